"""Dialect 1, the CIAM seed: ``POST /otp/send`` and ``POST /otp/verify`` with HTTP Basic clients.

Errors are ``{"error": ..., "error_description"?: ...}`` with the seed's strings: 401
``invalid_client``, 400 for every refusal, 503 ``temporarily_unavailable`` for outages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum, auto
from typing import Annotated, Literal, cast

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow._clients import Client
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
from otp_flow.types import CHANNELS, USER_FIELDS, Channel, Recipient, Usage
from otp_flow.users import UserLookup, find_user
from otp_flow.web._clientauth import ClientAuthError, ClientDirectory, parse_basic
from otp_flow.web.api._common import (
    MAX_BODY_BYTES,
    PayloadTooLarge,
    RequiredText,
    decode,
    guarded,
    read_json_object,
    required,
    retry_after_headers,
)
from otp_flow.web.api._schema import RETRY_AFTER, Fragment, components, header, json_response
from otp_flow.web.api._schema import operation as _operation

__all__ = [
    "CIAMApi",
    "CiamErrorCode",
    "UserLookup",
    "channel_field",
    "error_response",
    "one_channel",
    "openapi",
    "required_channel_fields",
]

UNAVAILABLE_DESCRIPTION = "Failed to send OTP. Please try again later."
#: ``invalid_request`` of a body naming both or neither recipient (``ciam_account`` too).
ONE_RECIPIENT = "give exactly one of phone_number and email"
#: ``invalid_request`` (413) of a body over ``max_body_bytes``.
TOO_LARGE = "The request body is too large"


class CiamErrorCode(StrEnum):
    """Every ``error`` a CIAM endpoint answers (the seed's strings)."""

    INVALID_REQUEST = auto()
    INVALID_CLIENT = auto()
    MALFORMED_PHONE_NUMBER = auto()
    MALFORMED_EMAIL = auto()
    INSUFFICIENT_SMS_QUOTA = auto()
    INSUFFICIENT_EMAIL_QUOTA = auto()
    INVALID_EMAIL = auto()
    EMAIL_IS_USED = auto()
    PHONE_NUMBER_IS_USED = auto()
    SMS_RATE_LIMIT_EXCEEDED = auto()
    EMAIL_RATE_LIMIT_EXCEEDED = auto()
    INVALID_OTP = auto()
    OTP_EXPIRED = auto()
    OTP_ATTEMPTS_EXCEEDED = auto()
    INVALID_OTP_TOKEN = auto()
    TEMPORARILY_UNAVAILABLE = auto()
    # /oauth2/token, /signup, /reset_user_password, /userinfo
    INVALID_GRANT = auto()
    INVALID_AUTH_SOURCE = auto()
    UNSUPPORTED_GRANT_TYPE = auto()
    INVALID_TOKEN = auto()
    BAD_PHONE_NUMBER_OTP_TOKEN = auto()
    BAD_PHONE_NUMBER_OTP = auto()
    BAD_EMAIL_OTP_TOKEN = auto()
    BAD_EMAIL_OTP = auto()
    USER_NOT_FOUND = auto()
    RECURRENT_PASSWORD = auto()
    INVALID_NEW_PASSWORD = auto()
    ABNORMAL_USER_STATUS = auto()
    DUPLICATE_PHONE_NUMBER = auto()
    DUPLICATE_EMAIL = auto()


Code = CiamErrorCode


class CiamError(msgspec.Struct, omit_defaults=True):
    """A refusal: ``error`` says which, ``error_description`` says why in English."""

    error: CiamErrorCode
    error_description: str | None = None
    attempts_remaining: (
        Annotated[int, Meta(ge=0, description="invalid_otp: wrong codes left")] | None
    ) = None


#: The usages of the CIAM contract (the seeds'), a closed list of its own: a usage added to the
#: registry for a page flow (otp_flow._usages) does not change what POST /otp/send accepts.
CiamUsage = Literal["login", "signup", "update_userinfo", "reset_password"]


class CiamSendRequest(msgspec.Struct):
    """Exactly one of ``phone_number`` and ``email``."""

    usage: CiamUsage = "login"
    phone_number: (
        Annotated[str, Meta(description="Mainland-China 11-digit mobile (or E.164)")] | None
    ) = None
    email: Annotated[str, Meta(extra_json_schema={"format": "email"})] | None = None
    auth_source_id: (
        Annotated[str, Meta(description="login only: an SMS or email OTP auth source")] | None
    ) = None


class CiamSendResponse(msgspec.Struct):
    otp_token: str


class CiamVerifyRequest(msgspec.Struct):
    otp_token: RequiredText
    code: RequiredText


class CiamVerifyResponse(msgspec.Struct, omit_defaults=True):
    """The proven recipient: ``phone_number`` or ``email``."""

    verified: Literal[True]
    usage: CiamUsage
    phone_number: str | None = None
    email: str | None = None


def channel_field(body: object, channel: Channel, suffix: str = "") -> str | None:
    """``channel``'s field of a CIAM body (None: absent). CIAM names the identifier after the
    ``User`` field that keeps it (``USER_FIELDS``: ``phone_number``, ``email``) and its code's
    fields after that (``suffix``: ``_otp_token``, ``_otp``). Read by name, as ``decode``'s
    stand-in for a body it could not take whole checks each field when it is read."""
    return cast("str | None", getattr(body, USER_FIELDS[channel] + suffix))


def required_channel_fields(body: object, channel: Channel, *suffixes: str) -> list[str]:
    """``channel_field`` of each suffix, all read (a wrong type is named first) and then each
    required: absent, null or blank is "<field> is required"."""
    values = [channel_field(body, channel, suffix) for suffix in suffixes]
    names = [USER_FIELDS[channel] + suffix for suffix in suffixes]
    return [required(value, name) for value, name in zip(values, names, strict=True)]


def one_channel(read: Callable[[str], object]) -> Channel:
    """The channel of the one identifier a body gives (``read``: its field by name), else
    ``invalid_request``: a CIAM body names exactly one of ``phone_number`` and ``email``."""
    given = [channel for channel in CHANNELS if read(USER_FIELDS[channel]) is not None]
    if len(given) != 1:
        raise InvalidRequest(ONE_RECIPIENT)
    return given[0]


class IdentifierUsed(OTPError):
    def __init__(self, recipient: Recipient) -> None:
        super().__init__(recipient.channel)
        self.recipient = recipient


def error_response(
    status: int,
    error: str,
    description: str | None = None,
    attempts: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A CIAM refusal; ``error`` must be one of ``CiamErrorCode``."""
    body = CiamError(CiamErrorCode(error), description or None, attempts)
    return JSONResponse(msgspec.to_builtins(body), status_code=status, headers=headers)


def _rate_limited(exc: RateLimited) -> Response:
    sms = exc.channel == "sms"
    who = "same phone number" if sms else "same email address"
    if exc.limit == "app_per_day":
        who = "this application today"
    elif exc.limit == "failures":
        who = f"{who} after too many wrong codes"
    kind = "SMS" if sms else "Email"
    response = error_response(
        400, f"{exc.channel}_rate_limit_exceeded", f"{kind} rate limit exceeded for {who}"
    )
    response.headers.update(retry_after_headers(exc))
    return response


def to_response(exc: Exception) -> Response | None:
    """The CIAM answer for one of the errors otp_flow raises (None: not a known error)."""
    match exc:
        case ClientAuthError():
            response = error_response(401, Code.INVALID_CLIENT)
            response.headers["WWW-Authenticate"] = 'Basic realm="otp_flow", charset="UTF-8"'
            return response
        case PayloadTooLarge():
            return error_response(413, Code.INVALID_REQUEST, TOO_LARGE)
        case MalformedPhoneNumber():
            return error_response(400, Code.MALFORMED_PHONE_NUMBER)
        case MalformedEmail():
            return error_response(400, Code.MALFORMED_EMAIL)
        case BlockedEmail():
            return error_response(400, Code.INVALID_EMAIL)
        case IdentifierUsed(recipient=recipient):
            return error_response(400, Code(f"{recipient.user_field}_is_used"))
        case RateLimited():
            return _rate_limited(exc)
        case QuotaExhausted(channel=channel):
            return error_response(400, f"insufficient_{channel}_quota")
        case WrongCode():
            return error_response(400, Code.INVALID_OTP, attempts=exc.attempts_remaining)
        case AttemptsExceeded():
            return error_response(400, Code.OTP_ATTEMPTS_EXCEEDED)
        case CodeExpired() | NoChallenge():
            return error_response(400, Code.OTP_EXPIRED)
        case InvalidToken():
            return error_response(400, Code.INVALID_OTP_TOKEN)
        case InvalidRequest():
            return error_response(400, Code.INVALID_REQUEST, str(exc))
    return None


def unavailable() -> Response:
    return error_response(503, Code.TEMPORARILY_UNAVAILABLE, UNAVAILABLE_DESCRIPTION)


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
        body = decode(await read_json_object(request, self.max_body_bytes), CiamSendRequest)
        usage = body.usage
        channel = one_channel(lambda name: getattr(body, name))
        source = self._auth_source(body.auth_source_id, usage, channel)
        raw = cast(str, channel_field(body, channel))  # one_channel saw it given
        recipient = self.engine.identifiers.parse(raw, channel)
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
        return JSONResponse(msgspec.to_builtins(CiamSendResponse(result.otp_token)))

    async def verify(self, request: Request) -> Response:
        client = self._client(request)
        body = decode(await read_json_object(request, self.max_body_bytes), CiamVerifyRequest)
        result = await self.engine.verify(body.otp_token, body.code, client_id=client.id)
        proved = result.recipient
        answer = CiamVerifyResponse(True, result.usage, **{proved.user_field: proved.value})
        return JSONResponse(msgspec.to_builtins(answer))

    def _auth_source(
        self, source_id: str | None, usage: Usage, channel: Channel
    ) -> AuthSource | None:
        if source_id is None:
            return None
        if usage != "login":
            raise InvalidRequest("auth_source_id applies to usage login only")
        source = self.auth_sources.get(source_id)
        if source is None:
            raise InvalidRequest("auth_source_id names no configured auth source")
        if source.channel != channel:
            raise InvalidRequest(f"auth source {source_id} sends by {source.channel}")
        return source

    async def _is_used(self, recipient: Recipient) -> bool:
        return self.users is not None and await find_user(self.users, recipient) is not None


def error_responses(error: str, challenge: str = "Basic") -> dict[str, dict[str, object]]:
    """The refusals every CIAM endpoint with a body can answer, as ``error`` (a component)."""
    retry = {"Retry-After": RETRY_AFTER}
    return {
        "400": json_response(error, "Refused; see error", **retry),
        "401": json_response(
            error,
            f"Bad credentials ({challenge})",
            **{"WWW-Authenticate": header("", required=True)},
        ),
        "413": json_response(error, "Body over the size limit (64 KiB by default)"),
        "503": json_response(error, "temporarily_unavailable"),
    }


def openapi() -> Fragment:
    def post(summary: str, body: type, ok: type) -> dict[str, object]:
        responses = {"200": json_response(ok.__name__, "Success"), **error_responses("CiamError")}
        return {"post": _operation("CIAM", summary, responses, body=body, security="clientBasic")}

    return Fragment(
        paths={
            "/otp/send": post("Send an OTP by SMS or email", CiamSendRequest, CiamSendResponse),
            "/otp/verify": post(
                "Verify an OTP (otp_flow's extension, not a CIAM endpoint)",
                CiamVerifyRequest,
                CiamVerifyResponse,
            ),
        },
        schemas=components(
            CiamError, CiamSendRequest, CiamSendResponse, CiamVerifyRequest, CiamVerifyResponse
        ),
    )
