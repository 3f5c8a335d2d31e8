"""Dialect 3, the OnlyID seed: ``POST /api/open/send-otp`` and ``POST /api/open/verify-otp``.

JSON bodies carrying ``clientId`` and ``clientSecret``; failures are ``400 {"error": sentence}``
in Chinese by default (the seed's own sentence for an unknown client), or English. A wrong secret
gets the unknown-client sentence too, so answers do not tell which client ids exist.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow import defaults
from otp_flow.clients import Client
from otp_flow.engine import OTPEngine
from otp_flow.errors import (
    BlockedEmail,
    InvalidRequest,
    MalformedEmail,
    MalformedPhoneNumber,
    QuotaExhausted,
    RateLimited,
    VerificationFailed,
)
from otp_flow.policy import CALLER_CODE_LENGTH, CALLER_MAX_FAILURES
from otp_flow.web.api.common import (
    MAX_BODY_BYTES,
    BadInput,
    PayloadTooLarge,
    get_int,
    get_str,
    guarded,
    read_json_object,
    retry_after_headers,
)
from otp_flow.web.clientauth import ClientAuthError, ClientDirectory, is_text

__all__ = ["MESSAGES", "VERIFIED", "OnlyIDApi"]

#: The documented success body of verify-otp, exactly.
VERIFIED = {"result": "success"}

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

_BOUNDS = {"expireMin": (1, 20), "maxFailCount": CALLER_MAX_FAILURES}


class OnlyIDApi:
    """``expire_minutes`` / ``max_fail_count``: what applies when a request does not say."""

    def __init__(
        self,
        engine: OTPEngine,
        clients: ClientDirectory,
        *,
        language: str = defaults.ONLYID_LANGUAGE,
        expire_minutes: int = defaults.ONLYID_EXPIRE_MINUTES,
        max_fail_count: int = defaults.ONLYID_MAX_FAIL_COUNT,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if language not in MESSAGES:
            raise ValueError(f"language must be one of {', '.join(MESSAGES)}")
        for name, value in (("expire_minutes", expire_minutes), ("max_fail_count", max_fail_count)):
            low, high = _BOUNDS["expireMin" if name == "expire_minutes" else "maxFailCount"]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer between {low} and {high}")
        self.engine = engine
        self.clients = clients
        self.text = MESSAGES[language]
        self.expire_minutes = expire_minutes
        self.max_fail_count = max_fail_count
        self.max_body_bytes = max_body_bytes
        self._tz = ZoneInfo(engine.limits.timezone)

    def routes(self) -> list[BaseRoute]:
        guard = guarded(self.to_response, self.unavailable)
        return [
            Route("/api/open/send-otp", guard(self.send), methods=["POST"], name="onlyid_send"),
            Route(
                "/api/open/verify-otp", guard(self.verify), methods=["POST"], name="onlyid_verify"
            ),
        ]

    def _client(self, data: dict[str, object]) -> Client:
        client_id, secret = data.get("clientId"), data.get("clientSecret")
        if not isinstance(client_id, str) or not client_id:
            raise ClientAuthError("unknown_client")
        for name, value in (("clientId", client_id), ("clientSecret", secret)):
            if isinstance(value, str) and not is_text(value):
                raise BadInput("text", name)
        return self.clients.authenticate(client_id, secret if isinstance(secret, str) else "")

    async def send(self, request: Request) -> Response:
        data = await read_json_object(request, self.max_body_bytes)
        client = self._client(data)
        recipient = get_str(data, "recipient", required=True) or ""
        code = get_str(data, "code")
        if code is not None and not (
            code.isascii() and code.isdigit() and _LOW <= len(code) <= _HIGH
        ):
            raise BadInput("range", "code")
        expire = _bounded(data, "expireMin") or self.expire_minutes
        failures = _bounded(data, "maxFailCount") or self.max_fail_count
        result = await self.engine.send(
            recipient,
            client_id=client.id,
            code=code,
            ttl_seconds=expire * 60,
            max_failures=failures,
        )
        return JSONResponse(
            {
                "recipient": recipient,
                "code": result.code,
                "createDate": self._date(result.created_at),
                "expireDate": self._date(result.expires_at),
                "maxFailCount": result.max_failures,
            }
        )

    async def verify(self, request: Request) -> Response:
        data = await read_json_object(request, self.max_body_bytes)
        client = self._client(data)
        recipient = get_str(data, "recipient", required=True) or ""
        code = get_str(data, "code", required=True) or ""
        await self.engine.verify_recipient(recipient, code, client_id=client.id)
        return JSONResponse(VERIFIED)

    def _date(self, timestamp: float) -> str:
        return datetime.fromtimestamp(timestamp, self._tz).strftime("%Y-%m-%dT%H:%M:%S")

    def _error(self, key: str, status: int = 400, **values: object) -> JSONResponse:
        return JSONResponse({"error": self.text[key].format(**values)}, status_code=status)

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


def _bounded(data: dict[str, object], name: str) -> int | None:
    low, high = _BOUNDS[name]
    return get_int(data, name, low, high)
