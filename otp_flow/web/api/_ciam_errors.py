"""The CIAM answers of the token and account endpoints: every ``error`` and its description,
written once (the handlers, the OpenAPI document and the docs read them from here).

Handlers raise ``CIAMError``; ``to_response`` turns it (or any error ``ciam.to_response`` knows)
into ``{"error", "error_description"?}`` with the right status.
"""

from __future__ import annotations

from starlette.responses import Response

from otp_flow.errors import OTPError
from otp_flow.types import USER_FIELDS, Channel
from otp_flow.web.api import _ciam as ciam
from otp_flow.web.api._ciam import CiamErrorCode as Code

__all__ = [
    "BEARER_CHALLENGE",
    "TOKEN_ERRORS",
    "CIAMError",
    "bad_otp",
    "bad_otp_token",
    "to_response",
    "unavailable",
]

#: ``/oauth2/token``: error -> descriptions it is answered with (CIAM's own words first).
UNKNOWN_OTP_TOKEN = "Unknown or expired otp_token"  # noqa: S105 (a message)
UNKNOWN_OTP = "Unknown or expired OTP"
MISMATCHED = "Mismatched OTP token and OTP sending parameters"
USER_NOT_FOUND = "User not found"
ABNORMAL_USER = "Abnormal user status"
AUTH_SOURCE = "Auth source and application not associated"
BAD_REFRESH_TOKEN = "Invalid refresh token"  # noqa: S105 (a message)
UNSUPPORTED_GRANT = "Unsupported grant_type"
#: A password given to a service whose user store keeps none (passwordless, see PasswordUserStore).
NO_PASSWORDS = "This service does not keep passwords"
#: ``invalid_token`` (401) of a bearer endpoint whose token no longer signs anyone in.
BAD_ACCESS_TOKEN = "The access token is invalid, expired or revoked"  # noqa: S105 (a message)

TOKEN_ERRORS: dict[Code, tuple[str, ...]] = {
    Code.INVALID_GRANT: (UNKNOWN_OTP_TOKEN, UNKNOWN_OTP, USER_NOT_FOUND, ABNORMAL_USER,
                         BAD_REFRESH_TOKEN),
    Code.INVALID_REQUEST: (MISMATCHED,),
    Code.INVALID_AUTH_SOURCE: (AUTH_SOURCE,),
    Code.UNSUPPORTED_GRANT_TYPE: (UNSUPPORTED_GRANT,),
}  # fmt: skip

#: ``WWW-Authenticate`` of a 401 on a bearer endpoint (RFC 6750).
BEARER_CHALLENGE = 'Bearer realm="otp_flow"'
SERVICE_UNAVAILABLE = "The service is temporarily unavailable. Please try again later."


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


def to_response(exc: Exception) -> Response | None:
    if isinstance(exc, CIAMError):
        return ciam.error_response(
            exc.status, exc.error, exc.description, headers=exc.headers or None
        )
    return ciam.to_response(exc)


def unavailable() -> Response:
    return ciam.error_response(503, Code.TEMPORARILY_UNAVAILABLE, SERVICE_UNAVAILABLE)
