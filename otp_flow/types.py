"""Plain value types shared by the engine, the stores and the web layer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from otp_flow._channels import CHANNELS, Channel
from otp_flow._usages import USAGES, Usage

__all__ = [
    "CHANNELS",
    "USAGES",
    "USER_FIELDS",
    "Channel",
    "Clock",
    "IdentifierField",
    "Recipient",
    "RequesterStats",
    "SendResult",
    "TokenClaims",
    "Usage",
    "VerifyResult",
    "WindowCount",
    "WindowCounts",
    "system_clock",
]

#: The ``User`` field (and the CIAM body field) holding each channel's identifier.
IdentifierField = Literal["phone_number", "email"]
USER_FIELDS: dict[Channel, IdentifierField] = {"sms": "phone_number", "email": "email"}
# Channel and CHANNELS live in otp_flow._channels, Usage and USAGES in otp_flow._usages (the usage
# registry); both are re-exported here.

#: Seconds since the epoch. Injected everywhere time matters so tests never sleep.
Clock = Callable[[], float]


def system_clock() -> float:
    return time.time()


@dataclass(frozen=True, slots=True)
class WindowCount:
    """One rate-limit window: the sends counted in its current period, and its limit (0 = off;
    a window switched off is still counted)."""

    count: int
    limit: int

    @property
    def enabled(self) -> bool:
        return self.limit > 0


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """The windows of one send (after it when accepted, current when refused): to this
    recipient per minute, hour and calendar day, and the client's calendar day (the site's day
    budget, ``Limits.app_per_day``)."""

    minute: WindowCount
    hour: WindowCount
    day: WindowCount
    app_day: WindowCount


@dataclass(frozen=True, slots=True)
class Recipient:
    """A normalised identifier: E.164 phone number or normalised email address."""

    channel: Channel
    value: str

    def __str__(self) -> str:
        return self.value

    @property
    def user_field(self) -> IdentifierField:
        """``phone_number`` or ``email``: the ``User`` field this identifier is kept in."""
        return USER_FIELDS[self.channel]


class TokenClaims(NamedTuple):
    """What a valid otp_token says (``OTPEngine.read_token``); ``OTPEngine.verify`` takes these
    too, so a caller that already read the token (the pages) does not decode it again."""

    client_id: str
    recipient: Recipient
    usage: Usage
    challenge_id: str


@dataclass(frozen=True, slots=True)
class RequesterStats:
    """Where one requester stands after a send (or at a refusal): its sends in its current
    window of this send's budget and on this calendar day, against their limits (0 = off).

    With ``SendResult.windows.app_day`` (the site's day budget: count and limit) this is
    what a caller needs to escalate (e.g. ask for a challenge after N sends from one requester,
    or for everyone once the site's day budget is 80 % spent) without asking the store again.
    """

    window_count: int
    window_limit: int
    day_count: int
    day_limit: int


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a successful send returns.

    ``code`` is the plaintext code, handed back so a caller that delivers the code itself (or the
    OnlyID dialect, which returns it) can use it; otp_flow never stores or logs it.
    """

    otp_token: str
    recipient: Recipient
    usage: Usage
    client_id: str
    challenge_id: str
    code: str
    created_at: float
    expires_at: float
    max_failures: int
    #: The rate-limit windows, counting this send.
    windows: WindowCounts
    #: The requester's counts after this send, when the send named a requester.
    requester: RequesterStats | None = None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """A successful verification."""

    recipient: Recipient
    usage: Usage
    client_id: str
    failures: int
    max_failures: int
