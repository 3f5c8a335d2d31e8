"""Every default of the engine in one place, validated when constructed.

``CodePolicy`` says what a code looks like and how long it lives; ``Limits`` says how often codes
may be sent. Both are frozen: build a new one (``dataclasses.replace``) to change a value.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from otp_flow import defaults
from otp_flow.errors import InvalidRequest
from otp_flow.types import USAGES

__all__ = [
    "CALLER_CODE_LENGTH",
    "CALLER_EXPIRE_MINUTES",
    "CALLER_MAX_FAILURES",
    "CALLER_TTL_SECONDS",
    "CODE_LENGTH",
    "REQUESTER_WINDOW_SECONDS",
    "TOKEN_TTL_SECONDS",
    "TTL_SECONDS",
    "CodePolicy",
    "Limits",
    "RequesterLimits",
    "caller_int",
    "check_code_input",
    "check_usage",
    "is_caller_code",
]

#: Allowed ranges (inclusive). A code shorter than 4 is guessable, longer than 10 is unusable.
CODE_LENGTH = (4, 10)
#: A caller-supplied code (the OnlyID ``code`` parameter) must be 4-8 digits.
CALLER_CODE_LENGTH = (4, 8)
#: What a caller may ask for per request (OnlyID ``expireMin`` 1-20, ``maxFailCount`` 1-20).
CALLER_EXPIRE_MINUTES = (1, 20)
CALLER_TTL_SECONDS = (CALLER_EXPIRE_MINUTES[0] * 60, CALLER_EXPIRE_MINUTES[1] * 60)
CALLER_MAX_FAILURES = (1, 20)
#: Operators may configure a code TTL below the caller range (tests, short-lived flows), but a
#: code must outlive a round trip to the phone: 10 s is the floor.
TTL_SECONDS = (10, CALLER_TTL_SECONDS[1])
TOKEN_TTL_SECONDS = (10, 24 * 3600)
#: A requester's window is at most a week.
REQUESTER_WINDOW_SECONDS = (1, 7 * 24 * 3600)


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


@dataclass(frozen=True, slots=True)
class CodePolicy:
    """What a code looks like and how long it and its otp_token live.

    The defaults are the seeds': a 6-digit numeric code valid for 60 seconds, at most 5 wrong
    guesses, and an otp_token valid for 5 minutes.
    """

    code_length: int = defaults.CODE_LENGTH
    alphabet: str = string.digits
    ttl_seconds: int = defaults.CODE_TTL_SECONDS
    max_failures: int = defaults.MAX_FAILURES
    token_ttl_seconds: int = defaults.TOKEN_TTL_SECONDS

    def __post_init__(self) -> None:
        _check_range("code_length", self.code_length, CODE_LENGTH)
        _check_range("ttl_seconds", self.ttl_seconds, TTL_SECONDS)
        _check_range("max_failures", self.max_failures, CALLER_MAX_FAILURES)
        _check_range("token_ttl_seconds", self.token_ttl_seconds, TOKEN_TTL_SECONDS)
        if len(set(self.alphabet)) < 2 or len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError("alphabet must hold at least two distinct characters, none repeated")
        if self.token_ttl_seconds < self.ttl_seconds:
            raise ValueError("token_ttl_seconds must be at least ttl_seconds")


@dataclass(frozen=True, slots=True)
class Limits:
    """How often codes may be sent. A limit of 0 switches that limit off.

    Windows: ``app_per_day`` counts every send of one client per calendar day in ``timezone``;
    the ``recipient_*`` limits count sends of one client to one recipient per fixed minute, hour
    and calendar day; ``resend_interval_seconds`` is the minimum gap between two sends to one
    recipient. ``resend_backoff_max_seconds`` > 0 makes that gap double with each send to the
    recipient on the same calendar day (30 s, 60 s, 120 s ...), up to that many seconds; 0 (the
    default) keeps it fixed.
    """

    app_per_day: int = defaults.APP_PER_DAY
    recipient_per_minute: int = defaults.RECIPIENT_PER_MINUTE
    recipient_per_hour: int = defaults.RECIPIENT_PER_HOUR
    recipient_per_day: int = defaults.RECIPIENT_PER_DAY
    resend_interval_seconds: int = defaults.RESEND_INTERVAL_SECONDS
    timezone: str = defaults.TIMEZONE
    resend_backoff_max_seconds: int = defaults.RESEND_BACKOFF_MAX_SECONDS

    def __post_init__(self) -> None:
        for name in (
            "app_per_day",
            "recipient_per_minute",
            "recipient_per_hour",
            "recipient_per_day",
            "resend_interval_seconds",
            "resend_backoff_max_seconds",
        ):
            _check_range(name, getattr(self, name), (0, 10**9))
        if 0 < self.resend_backoff_max_seconds < self.resend_interval_seconds:
            raise ValueError("resend_backoff_max_seconds must be 0 or >= resend_interval_seconds")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone {self.timezone!r} is not a known IANA time zone") from exc

    @classmethod
    def off(cls, timezone: str = defaults.TIMEZONE) -> Limits:
        """No limits at all: for benchmarks and trusted internal callers."""
        return cls(0, 0, 0, 0, 0, timezone)


@dataclass(frozen=True, slots=True)
class RequesterLimits:
    """How much one requester (a client address, see ``otp_flow.web.requester``) may do.

    Applied when a caller names the requester (the pages do; the JSON APIs, whose callers are
    authenticated clients, do not). A limit of 0 switches it off.

    ``sends_per_window`` (login, password reset and contact changes) and
    ``signup_sends_per_window`` are two separate budgets of codes per ``window_seconds``, a
    window that starts at the requester's first send after the previous one ended: a signup
    flood does not stop the same network from signing in. Together they are the most one
    requester gets in its first window (10 by default). ``sends_per_day`` caps all of one
    requester's sends per calendar day, far below the site's ``Limits.app_per_day``;
    ``recipient_per_day`` caps one requester's sends to one recipient per calendar day, below
    ``Limits.recipient_per_day`` (the ceiling across requesters), so one requester cannot use
    up someone else's day. ``checks_per_window`` caps the codes one requester may check (right
    or wrong, any recipient) per ``window_seconds``.
    """

    sends_per_window: int = defaults.REQUESTER_SENDS_PER_WINDOW
    signup_sends_per_window: int = defaults.REQUESTER_SIGNUP_SENDS_PER_WINDOW
    window_seconds: int = defaults.REQUESTER_WINDOW_SECONDS
    sends_per_day: int = defaults.REQUESTER_SENDS_PER_DAY
    recipient_per_day: int = defaults.REQUESTER_RECIPIENT_PER_DAY
    checks_per_window: int = defaults.REQUESTER_CHECKS_PER_WINDOW

    def __post_init__(self) -> None:
        for name in (
            "sends_per_window",
            "signup_sends_per_window",
            "sends_per_day",
            "recipient_per_day",
            "checks_per_window",
        ):
            _check_range(name, getattr(self, name), (0, 10**9))
        _check_range("window_seconds", self.window_seconds, REQUESTER_WINDOW_SECONDS)

    @classmethod
    def off(cls) -> RequesterLimits:
        """No per-requester limits (trusted callers, benchmarks)."""
        return cls(0, 0, defaults.REQUESTER_WINDOW_SECONDS, 0, 0, 0)


# Checks of what a caller passes per request: InvalidRequest, never ValueError (not config).


def check_usage(usage: object) -> None:
    if usage not in USAGES:
        raise InvalidRequest(f"usage must be one of {', '.join(USAGES)}")


def check_code_input(code: object) -> None:
    if not isinstance(code, str) or not code or len(code) > 32:
        raise InvalidRequest("code must be a non-empty string")


def is_caller_code(code: object) -> bool:
    low, high = CALLER_CODE_LENGTH
    return isinstance(code, str) and code.isascii() and code.isdigit() and low <= len(code) <= high


def caller_int(name: str, value: object, bounds: tuple[int, int], default: int) -> int:
    """A per-request override within its caller range, or ``default`` when not given."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{name} must be an integer")
    low, high = bounds
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}")
    return value
