"""Dialect 3, the OnlyID seed: ``POST /api/open/send-otp`` and ``POST /api/open/verify-otp``.

JSON bodies carrying ``clientId`` and ``clientSecret``; failures are ``400 {"error": sentence}``
in Chinese by default (the seed's own sentence for an unknown client), or English. A wrong secret
gets the unknown-client sentence too, so answers do not tell which client ids exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow._checks import check_int_between
from otp_flow._clients import Client
from otp_flow.errors import (
    BlockedEmail,
    InvalidRequest,
    MalformedEmail,
    MalformedPhoneNumber,
    QuotaExhausted,
    RateLimited,
    VerificationFailed,
)
from otp_flow.policy import CALLER_CODE_LENGTH, CALLER_EXPIRE_MINUTES, CALLER_MAX_FAILURES
from otp_flow.web._clientauth import ClientAuthError
from otp_flow.web.api._common import (
    BadInput,
    PayloadTooLarge,
    RequiredText,
    decode,
    guarded,
    read_json_object,
    retry_after_headers,
)
from otp_flow.web.api._context import ApiContext
from otp_flow.web.api._schema import RETRY_AFTER, Fragment, components, json_response
from otp_flow.web.api._schema import operation as _operation

__all__ = ["MESSAGES", "VERIFIED", "OnlyIDApi"]

_LOW, _HIGH = CALLER_CODE_LENGTH

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "unknown_client": "应用不存在或应用ID错误，请检查",
        "json": "请求体应为JSON对象",
        "missing": "{field}不能为空",
        "type": "{field}应为字符串",
        "text": "{field}含有无效字符",
        "range.code": f"code应为{_LOW}~{_HIGH}位数字",
        "range": "{field}要 >= {low} 且 <= {high}",
        "invalid": "请求参数错误：{detail}",
        "phone": "手机号格式不正确",
        "email": "邮箱格式不正确",
        "blocked_email": "邮箱地址不存在或在黑名单中",
        "rate_limited": "发送过于频繁，请稍后再试",
        "sms_quota": "短信额度不足",
        "email_quota": "邮件额度不足",
        "verify_failed": "验证码错误或超过有效期",
        "too_large": "请求体过大",
        "unavailable": "服务暂时不可用，请稍后再试",
    },
    "en": {
        "unknown_client": "The app does not exist or the app ID is wrong; please check it",
        "json": "The request body must be a JSON object",
        "missing": "{field} is required",
        "type": "{field} must be a string",
        "text": "{field} must be valid Unicode text",
        "range.code": f"code must be {_LOW} to {_HIGH} digits",
        "range": "{field} must be >= {low} and <= {high}",
        "invalid": "Invalid request: {detail}",
        "phone": "The phone number is malformed",
        "email": "The email address is malformed",
        "blocked_email": "The email address does not exist or is blocked",
        "rate_limited": "Too many codes sent; please try again later",
        "sms_quota": "The SMS quota is used up",
        "email_quota": "The email quota is used up",
        "verify_failed": "The code is wrong or has expired",
        "too_large": "The request body is too large",
        "unavailable": "The service is temporarily unavailable; please try again later",
    },
}

_BOUNDS = {"expireMin": CALLER_EXPIRE_MINUTES, "maxFailCount": CALLER_MAX_FAILURES}
#: (?!\n): Python's $ (which msgspec's pattern check uses) also matches before a final newline.
_CODE = Annotated[str, msgspec.Meta(pattern=f"^[0-9]{{{_LOW},{_HIGH}}}(?!\n)$")]
_DATE = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")]


_EXPIRE_MIN = Annotated[int, msgspec.Meta(ge=_BOUNDS["expireMin"][0], le=_BOUNDS["expireMin"][1])]
_MAX_FAILS = Annotated[
    int, msgspec.Meta(ge=_BOUNDS["maxFailCount"][0], le=_BOUNDS["maxFailCount"][1])
]


class OnlyIdCredentials(msgspec.Struct, rename="camel"):
    client_id: Annotated[str, msgspec.Meta(min_length=1)]
    client_secret: str | None = None


class OnlyIdSendRequest(OnlyIdCredentials, rename="camel", kw_only=True):
    """``code``: the caller's own code (else one is drawn); the others default to the
    service's settings."""

    recipient: Annotated[RequiredText, msgspec.Meta(description="Mobile number or email address")]
    code: _CODE | None = None
    expire_min: _EXPIRE_MIN | None = None
    max_fail_count: _MAX_FAILS | None = None


class OnlyIdSendResponse(msgspec.Struct, rename="camel"):
    recipient: str
    code: str
    create_date: _DATE
    expire_date: _DATE
    max_fail_count: _MAX_FAILS


class OnlyIdVerifyRequest(OnlyIdCredentials, rename="camel", kw_only=True):
    recipient: RequiredText
    code: RequiredText


class OnlyIdVerifyResponse(msgspec.Struct):
    result: Literal["success"]


class OnlyIdError(msgspec.Struct):
    """One sentence, in the configured language (MESSAGES)."""

    error: Annotated[str, msgspec.Meta(examples=[t["unknown_client"] for t in MESSAGES.values()])]


#: The documented success body of verify-otp, exactly.
VERIFIED: dict[str, object] = msgspec.to_builtins(OnlyIdVerifyResponse("success"))


class OnlyIDApi:
    """The context's ``onlyid_*`` options are checked here: ``onlyid_language`` the language
    of the error sentences; ``onlyid_expire_minutes`` / ``onlyid_max_fail_count`` what applies
    when a request does not say."""

    dialect: ClassVar[str] = "OnlyID"
    paths: ClassVar[str] = "/api/open/*"
    note: ClassVar[str] = ""

    def __init__(self, context: ApiContext) -> None:
        language = context.onlyid_language
        if language not in MESSAGES:
            raise ValueError(f"language must be one of {', '.join(MESSAGES)}")
        expire_minutes = context.onlyid_expire_minutes
        max_fail_count = context.onlyid_max_fail_count
        check_int_between("expire_minutes", expire_minutes, _BOUNDS["expireMin"])
        check_int_between("max_fail_count", max_fail_count, _BOUNDS["maxFailCount"])
        self.engine = context.engine
        self.clients = context.clients
        self.text = MESSAGES[language]
        self.expire_minutes = expire_minutes
        self.max_fail_count = max_fail_count
        self.max_body_bytes = context.max_body_bytes
        self._tz = ZoneInfo(context.engine.limits.timezone)

    def routes(self) -> list[BaseRoute]:
        guard = guarded(self.to_response, self.unavailable)
        return [
            Route("/api/open/send-otp", guard(self.send), methods=["POST"], name="onlyid_send"),
            Route(
                "/api/open/verify-otp", guard(self.verify), methods=["POST"], name="onlyid_verify"
            ),
        ]

    def _client(self, data: dict[str, object]) -> Client:
        credentials = decode(data, OnlyIdCredentials)
        try:
            client_id, secret = credentials.client_id, credentials.client_secret or ""
        except BadInput as exc:
            if exc.problem == "text":
                raise
            raise ClientAuthError("unknown_client") from exc
        return self.clients.authenticate(client_id, secret)

    async def send(self, request: Request) -> Response:
        data = await read_json_object(request, self.max_body_bytes)
        client = self._client(data)
        body = decode(data, OnlyIdSendRequest)
        result = await self.engine.send(
            body.recipient,
            client_id=client.id,
            code=body.code,
            ttl_seconds=(body.expire_min or self.expire_minutes) * 60,
            max_failures=body.max_fail_count or self.max_fail_count,
        )
        answer = OnlyIdSendResponse(
            body.recipient,
            result.code,
            self._date(result.created_at),
            self._date(result.expires_at),
            result.max_failures,
        )
        return JSONResponse(msgspec.to_builtins(answer))

    async def verify(self, request: Request) -> Response:
        data = await read_json_object(request, self.max_body_bytes)
        client = self._client(data)
        body = decode(data, OnlyIdVerifyRequest)
        await self.engine.verify_recipient(body.recipient, body.code, client_id=client.id)
        return JSONResponse(VERIFIED)

    def _date(self, timestamp: float) -> str:
        return datetime.fromtimestamp(timestamp, self._tz).strftime("%Y-%m-%dT%H:%M:%S")

    def _error(self, key: str, status: int = 400, **values: object) -> JSONResponse:
        body = OnlyIdError(self.text[key].format(**values))
        return JSONResponse(msgspec.to_builtins(body), status_code=status)

    def unavailable(self) -> Response:
        return self._error("unavailable", 503)

    def to_response(self, exc: Exception) -> Response | None:
        match exc:
            case ClientAuthError():
                return self._error("unknown_client")
            case PayloadTooLarge():
                return self._error("too_large", 413)
            case BadInput(problem="range", field="code"):
                return self._error("range.code")
            case BadInput(problem="range", field=field):
                low, high = _BOUNDS.get(field, (0, 0))
                return self._error("range", field=field, low=low, high=high)
            case BadInput(problem="missing" | "type" | "json" | "text" as problem, field=field):
                return self._error(problem, field=field)
            case MalformedPhoneNumber():
                return self._error("phone")
            case MalformedEmail():
                return self._error("email")
            case BlockedEmail():
                return self._error("blocked_email")
            case RateLimited():
                response = self._error("rate_limited")
                response.headers.update(retry_after_headers(exc))
                return response
            case QuotaExhausted(channel=channel):
                return self._error(f"{channel}_quota")
            case VerificationFailed():
                # Wrong, expired, used, dead or never sent: the provider's one sentence for all,
                # which also tells a guesser nothing about which it was.
                return self._error("verify_failed")
            case InvalidRequest():
                return self._error("invalid", detail=str(exc))
        return None

    @staticmethod
    def openapi() -> Fragment:
        def post(summary: str, body: type, ok: type) -> dict[str, Any]:
            error = "OnlyIdError"
            responses = {
                "200": json_response(ok.__name__, "Success"),
                "400": json_response(
                    error, "A human-readable reason", **{"Retry-After": RETRY_AFTER}
                ),
                "413": json_response(error, "Body over the size limit"),
                "503": json_response(error, "Outage"),
            }
            return {"post": _operation(OnlyIDApi.dialect, summary, responses, body=body)}

        return Fragment(
            paths={
                "/api/open/send-otp": post("Send an OTP", OnlyIdSendRequest, OnlyIdSendResponse),
                "/api/open/verify-otp": post(
                    "Verify an OTP", OnlyIdVerifyRequest, OnlyIdVerifyResponse
                ),
            },
            schemas=components(
                OnlyIdSendRequest,
                OnlyIdSendResponse,
                OnlyIdVerifyRequest,
                OnlyIdVerifyResponse,
                OnlyIdError,
            ),
        )
