"""Dialect 2, the Yunpian seed: ``POST /api/sms/sendCode`` and ``POST /api/sms/verifyCode``.

Parameters come from the query string or an urlencoded body; the client is the ``x-app-id`` with
its ``x-app-key`` or ``x-signature`` (see ``otp_flow.web._clientauth``). Every answer is the
envelope ``{"code", "msg", "meta", "data"}``: HTTP 200 with code 0, else 400 (413 for an
oversized body, 503 for an outage).

The seed defines codes 40012, 40031, 40032, 40033, 40100 and 42900 (messages copied from it). It
has none for a bad parameter, an exhausted quota, an oversized body or an outage; otp_flow adds
40000, 40300, 41300 and 50300 for those, in the same style.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.errors import (
    AttemptsExceeded,
    IdentifierError,
    InvalidRequest,
    QuotaExhausted,
    RateLimited,
    VerificationFailed,
    WrongCode,
)
from otp_flow.types import WindowCount, WindowCounts
from otp_flow.web._clientauth import ClientAuthError
from otp_flow.web.api._common import (
    BadInput,
    PayloadTooLarge,
    RequiredText,
    decode,
    guarded,
    read_form_params,
    retry_after_headers,
)
from otp_flow.web.api._context import ApiContext
from otp_flow.web.api._schema import RETRY_AFTER, Fragment, Schema, components, json_response, ref
from otp_flow.web.api._schema import operation as _operation

__all__ = ["MESSAGES", "YunpianApi"]

#: Code → ``msg``. 40033 is the text of the seed's own example answer; the others are the
#: descriptions of its code table, word for word.
MESSAGES = {
    0: "ok",
    40000: "请求参数错误",
    40012: "应用不存在",
    40031: "验证码已过期,请重新获取验证码",
    40032: "验证失败次数达到上限,请重新获取验证码",
    40033: "验证码不正确",
    40100: "未通过身份验证,appKey 或签名错误导致",
    40300: "短信额度不足",
    41300: "请求体过大",
    42900: "请求过多,达到短信发送频率限制",
    50300: "服务暂时不可用,请稍后重试",
}

_PARAM_NAMES = {"phone": "手机号", "code": "验证码"}
_AUTH_HEADERS = ("x-app-id", "x-app-key", "x-signature", "x-timestamp", "x-nonce")
Count = Annotated[int, msgspec.Meta(ge=0)]


class YunpianSendParams(msgspec.Struct):
    """Query or urlencoded body parameters."""

    phone: RequiredText


class YunpianVerifyParams(msgspec.Struct):
    """Query or urlencoded body parameters."""

    phone: RequiredText
    code: RequiredText


class RateLimitWindow(msgspec.Struct):
    count: Count
    limit: Count
    enabled: bool


class RateLimitStats(msgspec.Struct, rename="camel"):
    app_natural_day: RateLimitWindow
    app_to_phone_per_minute: RateLimitWindow
    app_to_phone_per_hour: RateLimitWindow
    app_to_phone_per_day: RateLimitWindow


def rate_limit_stats(windows: WindowCounts | None) -> dict[str, object]:
    """Yunpian's ``rateLimitStats``: every window, enabled or not (empty when none is known)."""
    if windows is None:
        return {}

    def one(window: WindowCount) -> RateLimitWindow:
        return RateLimitWindow(window.count, window.limit, window.enabled)

    stats = RateLimitStats(
        app_natural_day=one(windows.app_day),
        app_to_phone_per_minute=one(windows.minute),
        app_to_phone_per_hour=one(windows.hour),
        app_to_phone_per_day=one(windows.day),
    )
    built: dict[str, object] = msgspec.to_builtins(stats)
    return built


class YunpianSendMeta(msgspec.Struct, rename="camel"):
    rate_limit_stats: RateLimitStats


class YunpianVerifyMeta(msgspec.Struct, rename="camel"):
    verify_success_count: Count
    verify_fail_limit: Count
    verify_fail_count: Count


def envelope(
    code: int,
    meta: dict[str, object] | None = None,
    *,
    status: int | None = None,
    msg: str | None = None,
) -> JSONResponse:
    body = {"code": code, "msg": msg or MESSAGES[code], "meta": meta or {}, "data": {}}
    return JSONResponse(body, status_code=status or (200 if code == 0 else 400))


def _bad_parameter(exc: InvalidRequest | IdentifierError) -> Response:
    if isinstance(exc, IdentifierError):
        detail = "phone 不是可接收短信的手机号"
    elif isinstance(exc, BadInput) and exc.problem == "missing":
        detail = f"缺少参数 {exc.field}({_PARAM_NAMES.get(exc.field, exc.field)})"
    elif isinstance(exc, BadInput) and exc.problem == "content_type":
        detail = "请求体应为 application/x-www-form-urlencoded"
    elif isinstance(exc, BadInput) and exc.problem == "type":
        detail = f"参数 {exc.field} 重复且取值不同"
    elif isinstance(exc, BadInput) and exc.problem == "text":
        detail = f"参数 {exc.field} 含有无效字符"
    else:
        detail = str(exc)
    return envelope(40000, msg=f"{MESSAGES[40000]}: {detail}")


def unavailable() -> Response:
    return envelope(50300, status=503)


class YunpianApi:
    dialect: ClassVar[str] = "Yunpian"
    paths: ClassVar[str] = "/api/sms/*"
    note: ClassVar[str] = ""

    def __init__(self, context: ApiContext) -> None:
        self.engine = context.engine
        self.auth = context.signed
        self.max_body_bytes = context.max_body_bytes

    def routes(self) -> list[BaseRoute]:
        guard = guarded(self.to_response, unavailable)
        return [
            Route("/api/sms/sendCode", guard(self.send_code), methods=["POST"], name="yp_send"),
            Route(
                "/api/sms/verifyCode", guard(self.verify_code), methods=["POST"], name="yp_verify"
            ),
        ]

    async def send_code(self, request: Request) -> Response:
        client = await self.auth.authenticate(request.headers)
        params = decode(await read_form_params(request, self.max_body_bytes), YunpianSendParams)
        result = await self.engine.send(params.phone, channel="sms", client_id=client.id)
        return envelope(0, {"rateLimitStats": rate_limit_stats(result.windows)})

    async def verify_code(self, request: Request) -> Response:
        client = await self.auth.authenticate(request.headers)
        params = decode(await read_form_params(request, self.max_body_bytes), YunpianVerifyParams)
        result = await self.engine.verify_recipient(
            params.phone, params.code, client_id=client.id, channel="sms"
        )
        return envelope(0, self._verify_meta(1, result.failures, result.max_failures))

    def _verify_meta(self, successes: int, failures: int, limit: int) -> dict[str, object]:
        # With no code pending the store knows no limit; the policy's is the one that applies.
        limit = limit or self.engine.policy.max_failures
        meta: dict[str, object] = msgspec.to_builtins(YunpianVerifyMeta(successes, limit, failures))
        return meta

    def to_response(self, exc: Exception) -> Response | None:
        match exc:
            case ClientAuthError(reason="unknown_client"):
                return envelope(40012)
            case ClientAuthError():
                return envelope(40100)
            case PayloadTooLarge():
                return envelope(41300, status=413)
            case RateLimited():
                response = envelope(42900, {"rateLimitStats": rate_limit_stats(exc.windows)})
                response.headers.update(retry_after_headers(exc))
                return response
            case QuotaExhausted():
                return envelope(40300)
            case VerificationFailed():
                meta = self._verify_meta(0, exc.failures, exc.max_failures)
                return envelope(_verify_code(exc), meta)
            case InvalidRequest() | IdentifierError():
                return _bad_parameter(exc)
        return None

    @staticmethod
    def openapi() -> Fragment:
        error = "YunpianError"

        def post(summary: str, params: type, ok: str) -> dict[str, Any]:
            names = [f.encode_name for f in msgspec.structs.fields(params)]
            parameters = [
                {"name": name, "in": where, "required": False, "schema": {"type": "string"}}
                for where, group in (("query", names), ("header", _AUTH_HEADERS))
                for name in group
            ]
            form = {"application/x-www-form-urlencoded": {"schema": ref(params.__name__)}}
            responses = {
                "200": json_response(ok, "code 0"),
                "400": json_response(error, "Any other code", **{"Retry-After": RETRY_AFTER}),
                "413": json_response(error, "Body over the size limit (41300)"),
                "503": json_response(error, "Outage (50300)"),
            }
            description = (
                "Auth: x-app-id with x-app-key, or with x-signature = hex "
                "HMAC-SHA256(appKey, app_id + x-timestamp + x-nonce)."
            )
            op = _operation(YunpianApi.dialect, summary, responses, description=description)
            op.update(parameters=parameters, requestBody={"required": False, "content": form})
            return {"post": op}

        metas = ["YunpianSendMeta", "YunpianVerifyMeta"]
        codes = {"type": "integer", "enum": [code for code in MESSAGES if code]}
        return Fragment(
            paths={
                "/api/sms/sendCode": post("Send an SMS code", YunpianSendParams, "YunpianSendOk"),
                "/api/sms/verifyCode": post(
                    "Verify an SMS code", YunpianVerifyParams, "YunpianVerifyOk"
                ),
            },
            schemas={
                **components(
                    YunpianSendParams, YunpianVerifyParams, YunpianSendMeta, YunpianVerifyMeta
                ),
                "YunpianSendOk": _envelope({"const": 0}, ref(metas[0])),
                "YunpianVerifyOk": _envelope({"const": 0}, ref(metas[1])),
                error: _envelope(
                    codes,
                    {"anyOf": [{"type": "object", "maxProperties": 0}, *map(ref, metas)]},
                ),
            },
        )


def _verify_code(exc: VerificationFailed) -> int:
    if isinstance(exc, WrongCode):
        return 40033
    if isinstance(exc, AttemptsExceeded):
        return 40032
    # Expired, used, replaced or never sent: to the caller, all mean "get a new code".
    return 40031


def _envelope(code: Schema, meta: Schema) -> Schema:
    """What ``envelope`` answers: ``data`` is always empty."""
    fields = {"code": code, "msg": {"type": "string"}, "meta": meta}
    data = {"type": "object", "maxProperties": 0}
    return {"type": "object", "required": [*fields, "data"], "properties": {**fields, "data": data}}
