"""The one exception tree of otp_flow.

Every failure the engine can report is one of these; the web layer maps each class to the
error code of the dialect it speaks (CIAM strings, Yunpian numbers, OnlyID sentences).

    OTPError
    ├── InvalidRequest              a parameter is missing, of the wrong type or out of range
    │   └── BadInput                    web.api._common:a JSON API body field is bad (names it)
    ├── IdentifierError
    │   ├── MalformedPhoneNumber    not a mobile number (or not of an allowed region)
    │   │   └── PhoneRegionNotAllowed   a valid mobile number of a region not allowed
    │   ├── MalformedEmail          not a syntactically valid address
    │   └── BlockedEmail            a valid address on a blocked domain ("invalid_email")
    ├── IdentifierTaken             the phone number or email belongs to another user
    ├── IdentifierRequired          a user would be left without any identifier (a ValueError)
    ├── Refused                     an application's guard said no (pages: 422; CIAM: access_denied)
    ├── ConfigError                 the configuration is invalid (a ValueError; names the key)
    ├── TokenRejected               an access token is malformed, forged, expired or revoked
    ├── RefreshRejected             a refresh token is unknown, expired, reused or not yours
    ├── SendRefused
    │   ├── RateLimited             a rate limit refused the send (names the limit, retry_after)
    │   └── QuotaExhausted          the client's SMS or email quota is used up
    ├── VerificationFailed
    │   ├── InvalidToken            the otp_token is forged, too old, or belongs to another client
    │   ├── NoChallenge             no code is pending for this recipient
    │   ├── CodeExpired             the code expired, was used, or was replaced by a newer one
    │   ├── WrongCode               the code does not match (carries failures and limit)
    │   ├── AttemptsExceeded        the failure limit is reached; nothing is compared any more
    │   └── TooManyChecks           the requester checked too many codes (carries retry_after)
    ├── ServiceUnavailable
    │   ├── StoreUnavailable        the store (Redis) cannot be reached or answered an error
    │   ├── DeliveryFailed          the sender raised, timed out or got a non-success answer
    │   └── ChallengeUnavailable    the CAPTCHA provider could not be asked (nobody passes)
    │
    │   The web layer's own (defined in otp_flow.web, as they need Starlette or a dialect;
    │   the engine never raises them; each is answered by the module that raises it):
    ├── CSRFError                   web._csrf:a POST without a valid CSRF token (403 page)
    ├── FormError                   web._forms:a body no form of ours sends (422 page)
    ├── LoginRequired               web._middleware:a signed-in user is needed (303 or 401)
    ├── ClientAuthError             web._clientauth:the API caller is not an authenticated client
    ├── PayloadTooLarge             web.api._common:the request body is over the limit (413)
    ├── CIAMError                   web.api._ciam_errors:a CIAM error body (error, status)
    └── IdentifierUsed              web.api._ciam_errors:signup with an identifier already in use

Those outside ``errors.py`` derive from ``OTPError`` directly (``BadInput`` from
``InvalidRequest``) so ``except OTPError`` catches every error otp_flow raises on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otp_flow.types import Channel, RequesterStats, WindowCounts
    from otp_flow.users._base import IdentifierField

__all__ = [
    "AttemptsExceeded",
    "BlockedEmail",
    "ChallengeUnavailable",
    "CodeExpired",
    "ConfigError",
    "DeliveryFailed",
    "IdentifierError",
    "IdentifierRequired",
    "IdentifierTaken",
    "InvalidRequest",
    "InvalidToken",
    "MalformedEmail",
    "MalformedPhoneNumber",
    "NoChallenge",
    "OTPError",
    "PhoneRegionNotAllowed",
    "QuotaExhausted",
    "RateLimited",
    "RefreshRejected",
    "Refused",
    "SendRefused",
    "ServiceUnavailable",
    "StoreUnavailable",
    "TokenRejected",
    "TooManyChecks",
    "VerificationFailed",
    "WrongCode",
]


class OTPError(Exception):
    """Base of every otp_flow error."""


class InvalidRequest(OTPError):
    """A parameter is missing, of the wrong type, or outside its allowed range."""


class IdentifierError(OTPError):
    """The phone number or email address cannot be used."""


class MalformedPhoneNumber(IdentifierError):
    pass


class PhoneRegionNotAllowed(MalformedPhoneNumber):
    """A real mobile number, but of a region not in ``allowed_regions`` (``region``: its ISO
    3166 code, ``calling_code``: e.g. 1 for +1), so a page can say why instead of "invalid"."""

    def __init__(self, region: str, calling_code: int) -> None:
        super().__init__(f"mobile numbers of region {region} (+{calling_code}) are not accepted")
        self.region = region
        self.calling_code = calling_code


class MalformedEmail(IdentifierError):
    pass


class BlockedEmail(IdentifierError):
    """Syntactically valid, but on a blocked domain (the seeds' ``invalid_email``)."""


class IdentifierTaken(OTPError):
    """The phone number or email address already belongs to another user."""

    def __init__(self, field: IdentifierField) -> None:
        super().__init__(f"this {field.replace('_', ' ')} is already registered")
        self.field: IdentifierField = field


class IdentifierRequired(OTPError, ValueError):
    """A user must keep a phone number or an email address (it is how they sign in)."""

    def __init__(self) -> None:
        super().__init__("a user needs a phone number or an email address")


class Refused(OTPError):
    """Raised by a before-hook to say no. ``message`` is shown on the page (422), translated
    through the pages' catalog first (add it with ``create_auth_app(translations=...)``)."""

    def __init__(self, message: str) -> None:
        if not message:
            raise ValueError("a refusal needs a message to show")
        super().__init__(message)
        self.message = message


class ConfigError(OTPError, ValueError):
    """The configuration is invalid; the message names the offending key. Also a
    ``ValueError``, as every other invalid setting is."""


class TokenRejected(OTPError):
    """An access token that is malformed, forged, expired or revoked."""


class RefreshRejected(OTPError):
    """A refresh token that is unknown, expired, already used or of another client.

    ``reused``: it had been used before, so its family (every token of that sign-in) was ended.
    """

    def __init__(self, *, reused: bool = False) -> None:
        super().__init__("the refresh token is invalid")
        self.reused = reused


class SendRefused(OTPError):
    """The send was refused before any code was issued; nothing was stored or sent."""


class RateLimited(SendRefused):
    """A rate limit refused the send.

    ``limit`` names the rule: ``resend_interval``, ``recipient_per_minute``,
    ``recipient_per_hour``, ``recipient_per_day``, ``app_per_day``, ``failures`` (too many
    wrong codes for this recipient within the current code's lifetime), or, for a send that
    named its requester, ``requester_per_window``, ``requester_per_day`` or
    ``requester_recipient_per_day``. When several refuse, the one that refuses longest, so
    ``retry_after`` is when a send can succeed again as far as the limits know.
    ``windows``: the rate-limit windows' counts and limits at the refusal.
    ``requester``: that requester's counts (None when the send named none).
    """

    def __init__(
        self,
        limit: str,
        retry_after: int,
        channel: Channel,
        windows: WindowCounts | None = None,
        requester: RequesterStats | None = None,
    ) -> None:
        super().__init__(f"rate limit {limit!r} refused the send; retry after {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after
        self.channel = channel
        self.windows = windows
        self.requester = requester


class QuotaExhausted(SendRefused):
    def __init__(self, channel: Channel) -> None:
        super().__init__(f"the {channel} quota of this client is used up")
        self.channel = channel


class VerificationFailed(OTPError):
    """The code was not accepted. Subclasses say why."""

    def __init__(self, message: str = "", *, failures: int = 0, max_failures: int = 0) -> None:
        super().__init__(message or self.__class__.__doc__ or self.__class__.__name__)
        self.failures = failures
        self.max_failures = max_failures

    @property
    def attempts_remaining(self) -> int:
        return max(self.max_failures - self.failures, 0)


class InvalidToken(VerificationFailed):
    """The otp_token is forged, expired, or belongs to another client."""


class NoChallenge(VerificationFailed):
    """No code is pending for this recipient."""


class CodeExpired(VerificationFailed):
    """The code expired, was already used, or was replaced by a newer code."""


class WrongCode(VerificationFailed):
    """The code does not match."""


class AttemptsExceeded(VerificationFailed):
    """The failure limit is reached; the code is dead."""


class TooManyChecks(VerificationFailed):
    """This requester checked too many codes (any recipient); ``retry_after`` seconds to wait.
    Nothing was compared or counted against the code."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many code checks; retry after {retry_after} s")
        self.retry_after = retry_after


class ServiceUnavailable(OTPError):
    """A dependency is down; the caller should answer 503 and retry later."""


class StoreUnavailable(ServiceUnavailable):
    """The store cannot be reached or answered with an error. Nothing verifies meanwhile."""


class DeliveryFailed(ServiceUnavailable):
    """The message could not be delivered. The code was killed and the quota given back.

    ``otp_token`` names the killed challenge (None for a notice): a caller that must answer as
    if the send had worked (the pages, so a failure does not reveal that an account exists) can
    carry it on; verifying it only ever says the code expired.
    """

    def __init__(self, message: str = "", *, otp_token: str | None = None) -> None:
        super().__init__(message or "could not deliver the message")
        self.otp_token = otp_token


class ChallengeUnavailable(ServiceUnavailable):
    """The challenge provider could not be asked, or would not answer us (our secret rejected).

    Nobody passes meanwhile (fail closed); the web layer answers 503 ``temporarily_unavailable``.
    """
