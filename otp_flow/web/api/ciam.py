"""Dialect 1, the CIAM seed: ``POST /otp/send`` and ``POST /otp/verify`` with HTTP Basic clients.

Errors are ``{"error": ..., "error_description"?: ...}`` with the seed's strings: 401
``invalid_client``, 400 for every refusal, 503 ``temporarily_unavailable`` for outages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.clients import Client
from otp_flow.config import AuthSource
from otp_flow.engine import OTPEngine
from otp_flow.errors import (
    AttemptsExceeded,
    BlockedEmail,
    CodeExpired,
    InvalidRequest,
    InvalidToken,
    MalformedEmail,
    MalformedPhoneNumber,
    NoChallenge,
    OTPError,
    QuotaExhausted,
    RateLimited,
    WrongCode,
)
from otp_flow.types import USAGES, Recipient, Usage
from otp_flow.users import User
from otp_flow.web.api.common import (
    MAX_BODY_BYTES,
    BadInput,
    PayloadTooLarge,
    get_str,
    guarded,
    read_json_object,
    retry_after_headers,
)
from otp_flow.web.clientauth import ClientAuthError, ClientDirectory, parse_basic

__all__ = ["CIAMApi", "UserLookup"]

UNAVAILABLE_DESCRIPTION = "Failed to send OTP. Please try again later."


class UserLookup(Protocol):
    """The part of ``otp_flow.users.UserStore`` signup needs: is this identifier taken?"""

    async def find_by_phone(self, phone_number: str) -> User | None: ...

    async def find_by_email(self, email: str) -> User | None: ...


class IdentifierUsed(OTPError):
    def __init__(self, recipient: Recipient) -> None:
        super().__init__(recipient.channel)
        self.recipient = recipient


def _error(status: int, error: str, description: str | None = None, **extra: object) -> Response:
    body: dict[str, object] = {"error": error}
    if description:
        body["error_description"] = description
    body.update(extra)
    return JSONResponse(body, status_code=status)


def _rate_limited(exc: RateLimited) -> Response:
    sms = exc.channel == "sms"
    who = "same phone number" if sms else "same email address"
    if exc.limit == "app_per_day":
        who = "this application today"
    elif exc.limit == "failures":
        who = f"{who} after too many wrong codes"
    kind = "SMS" if sms else "Email"
    response = _error(
        400,
        "sms_rate_limit_exceeded" if sms else "email_rate_limit_exceeded",
        f"{kind} rate limit exceeded for {who}",
    )
    response.headers.update(retry_after_headers(exc))
    return response


def to_response(exc: Exception) -> Response | None:
    """The CIAM answer for one of the errors otp_flow raises (None: not a known error)."""
    match exc:
        case ClientAuthError():
            response = _error(401, "invalid_client")
            response.headers["WWW-Authenticate"] = 'Basic realm="otp_flow", charset="UTF-8"'
            return response
        case PayloadTooLarge():
            return _error(413, "invalid_request", "The request body is too large")
        case MalformedPhoneNumber():
            return _error(400, "malformed_phone_number")
        case MalformedEmail():
            return _error(400, "malformed_email")
        case BlockedEmail():
            return _error(400, "invalid_email")
        case IdentifierUsed(recipient=recipient):
            used = "phone_number_is_used" if recipient.channel == "sms" else "email_is_used"
            return _error(400, used)
        case RateLimited():
            return _rate_limited(exc)
        case QuotaExhausted(channel=channel):
            return _error(400, f"insufficient_{channel}_quota")
        case WrongCode():
            return _error(400, "invalid_otp", attempts_remaining=exc.attempts_remaining)
        case AttemptsExceeded():
            return _error(400, "otp_attempts_exceeded")
        case CodeExpired() | NoChallenge():
            return _error(400, "otp_expired")
        case InvalidToken():
            return _error(400, "invalid_otp_token")
        case InvalidRequest():
            return _error(400, "invalid_request", str(exc))
    return None


def unavailable() -> Response:
    return _error(503, "temporarily_unavailable", UNAVAILABLE_DESCRIPTION)


class CIAMApi:
    """The two CIAM endpoints over one engine; ``auth_sources`` only apply to ``login``."""

    def __init__(
        self,
        engine: OTPEngine,
        clients: ClientDirectory,
        *,
        auth_sources: Mapping[str, AuthSource],
        users: UserLookup | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.engine = engine
        self.clients = clients
        self.auth_sources = auth_sources
        self.users = users
        self.max_body_bytes = max_body_bytes

    def routes(self) -> list[BaseRoute]:
        guard = guarded(to_response, unavailable)
        return [
            Route("/otp/send", guard(self.send), methods=["POST"], name="ciam_send"),
            Route("/otp/verify", guard(self.verify), methods=["POST"], name="ciam_verify"),
        ]

    def _client(self, request: Request) -> Client:
        client_id, secret = parse_basic(request.headers.get("authorization"))
        return self.clients.authenticate(client_id, secret)

    async def send(self, request: Request) -> Response:
        client = self._client(request)
        data = await read_json_object(request, self.max_body_bytes)
        usage = _usage(get_str(data, "usage"))
        phone = get_str(data, "phone_number")
        email = get_str(data, "email")
        if (phone is None) == (email is None):
            raise InvalidRequest("give exactly one of phone_number and email")
        source = self._auth_source(get_str(data, "auth_source_id"), usage, phone is not None)
        recipient = (
            self.engine.identifiers.phone(phone)
            if phone is not None
            else self.engine.identifiers.email(email or "")
        )
        used = usage == "signup" and await self._is_used(recipient)
        # A taken identifier still goes through the engine's limits (issued and counted, never
        # delivered) before the answer says so: otherwise *_is_used would be a free, uncounted
        # oracle for which phone numbers and addresses have accounts.
        result = await self.engine.send(
            recipient,
            usage=usage,
            client_id=client.id,
            code_length=source.code_length if source else None,
            ttl_seconds=source.ttl_seconds if source else None,
            deliver=not used,
        )
        if used:
            raise IdentifierUsed(recipient)
        return JSONResponse({"otp_token": result.otp_token})

    async def verify(self, request: Request) -> Response:
        client = self._client(request)
        data = await read_json_object(request, self.max_body_bytes)
        otp_token = get_str(data, "otp_token", required=True) or ""
        code = get_str(data, "code", required=True) or ""
        result = await self.engine.verify(otp_token, code, client_id=client.id)
        field = "phone_number" if result.recipient.channel == "sms" else "email"
        return JSONResponse(
            {"verified": True, "usage": result.usage, field: result.recipient.value}
        )

    def _auth_source(
        self, source_id: str | None, usage: Usage, is_phone: bool
    ) -> AuthSource | None:
        if source_id is None:
            return None
        if usage != "login":
            raise InvalidRequest("auth_source_id applies to usage login only")
        source = self.auth_sources.get(source_id)
        if source is None:
            raise InvalidRequest("auth_source_id names no configured auth source")
        if (source.channel == "sms") != is_phone:
            raise InvalidRequest(f"auth source {source_id} sends by {source.channel}")
        return source

    async def _is_used(self, recipient: Recipient) -> bool:
        if self.users is None:
            return False
        if recipient.channel == "sms":
            taken = await self.users.find_by_phone(recipient.value)
        else:
            taken = await self.users.find_by_email(recipient.value)
        return taken is not None


def _usage(raw: str | None) -> Usage:
    if raw is None:
        return "login"  # the seed: no usage means login
    for usage in USAGES:
        if raw == usage:
            return usage
    raise BadInput("range", "usage", f"must be one of {', '.join(USAGES)}")
