"""The CIAM error vocabulary: every ``error`` and description of the CIAM endpoints (the seed's
``/otp/*``, the token and the account endpoints), written once, with the answers they make.

Every refusal is ``{"error", "error_description"?}`` (``CiamError``): 401 ``invalid_client``,
400 for the rest, 503 ``temporarily_unavailable`` for outages. Handlers raise otp_flow's errors,
``CIAMError`` (an ``error`` chosen by the handler) or ``IdentifierUsed``; ``to_response`` turns
each into its answer. The endpoints, the OpenAPI document (``error_responses``) and the docs read
from here; nothing here imports an endpoint.
"""

from __future__ import annotations

from enum import StrEnum, auto
from typing import Annotated

import msgspec
from msgspec import Meta
from starlette.responses import JSONResponse, Response

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
    Refused,
    WrongCode,
)
from otp_flow.types import USER_FIELDS, Channel, Recipient
from otp_flow.web._clientauth import ClientAuthError
from otp_flow.web.api._common import PayloadTooLarge, retry_after_headers
from otp_flow.web.api._schema import RETRY_AFTER, header, json_response

__all__ = [
    "BEARER_CHALLENGE",
    "CIAMError",
    "CiamError",
    "CiamErrorCode",
    "IdentifierUsed",
    "bad_otp",
    "bad_otp_token",
    "error_response",
    "error_responses",
    "invalid_token",
    "otp_unavailable",
    "to_response",
    "unavailable",
]


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
    #: otp_flow's: the application's guard (``UserHooks``) refused the address (RFC 6749's word).
    ACCESS_DENIED = auto()
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


#: ``temporarily_unavailable`` of ``/otp/send`` and ``/otp/verify`` (the seed's words).
OTP_UNAVAILABLE = "Failed to send OTP. Please try again later."
#: ``temporarily_unavailable`` of the token and account endpoints.
SERVICE_UNAVAILABLE = "The service is temporarily unavailable. Please try again later."
#: ``invalid_request`` (413) of a body over ``max_body_bytes``.
TOO_LARGE = "The request body is too large"

#: ``/oauth2/token``: the descriptions of its errors, in CIAM's own words. (CIAM's "Abnormal user
#: status" is never answered: the user stores keep no account status.)
UNKNOWN_OTP_TOKEN = "Unknown or expired otp_token"  # noqa: S105 (a message)
UNKNOWN_OTP = "Unknown or expired OTP"
MISMATCHED = "Mismatched OTP token and OTP sending parameters"
USER_NOT_FOUND = "User not found"
AUTH_SOURCE = "Auth source and application not associated"
BAD_REFRESH_TOKEN = "Invalid refresh token"  # noqa: S105 (a message)
UNSUPPORTED_GRANT = "Unsupported grant_type"
#: A password given to a service whose user store keeps none (passwordless, see PasswordUserStore).
NO_PASSWORDS = "This service does not keep passwords"
#: ``invalid_token`` (401) of a bearer endpoint whose token no longer signs anyone in.
BAD_ACCESS_TOKEN = "The access token is invalid, expired or revoked"  # noqa: S105 (a message)

#: ``WWW-Authenticate`` of a 401 on a bearer endpoint (RFC 6750).
BEARER_CHALLENGE = 'Bearer realm="otp_flow"'


class CIAMError(OTPError):
    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = Code(error)
        self.description = description
        self.status = status
        self.headers = headers or {}


class IdentifierUsed(OTPError):
    """A signup code asked for an identifier that already has an account (``*_is_used``)."""

    def __init__(self, recipient: Recipient) -> None:
        super().__init__(recipient.channel)
        self.recipient = recipient


def bad_otp_token(channel: Channel) -> CIAMError:
    return CIAMError(Code(f"bad_{USER_FIELDS[channel]}_otp_token"))


def bad_otp(channel: Channel) -> CIAMError:
    return CIAMError(Code(f"bad_{USER_FIELDS[channel]}_otp"))


def invalid_token(description: str, *, presented: bool = True) -> CIAMError:
    challenge = BEARER_CHALLENGE
    if presented:
        challenge += f', error="invalid_token", error_description="{description}"'
    return CIAMError(
        Code.INVALID_TOKEN, description, status=401, headers={"WWW-Authenticate": challenge}
    )


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
        case CIAMError():
            return error_response(
                exc.status, exc.error, exc.description, headers=exc.headers or None
            )
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
        case Refused():
            return error_response(400, Code.ACCESS_DENIED, exc.message)
    return None


def otp_unavailable() -> Response:
    """The 503 of ``/otp/send`` and ``/otp/verify``."""
    return error_response(503, Code.TEMPORARILY_UNAVAILABLE, OTP_UNAVAILABLE)


def unavailable() -> Response:
    """The 503 of the token and account endpoints."""
    return error_response(503, Code.TEMPORARILY_UNAVAILABLE, SERVICE_UNAVAILABLE)


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
