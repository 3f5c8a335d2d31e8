"""Every default of the engine in one place, validated when constructed.

``CodePolicy`` says what a code looks like and how long it lives; ``Limits`` says how often codes
may be sent; ``RequesterLimits`` how much one requester may do. Each extends (or is) its table of
the configuration file (``otp_flow._tables.Table``), so a default and a bound are written once, and
is checked when built. All are frozen, keyword-only msgspec Structs: build a new one
(``msgspec.structs.replace``) to change a value.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from otp_flow import defaults
from otp_flow._tables import Limit, Table, within
from otp_flow._usages import REGISTRY, UsageSpec
from otp_flow.errors import InvalidRequest
from otp_flow.types import USAGES, Channel, Usage

__all__ = [
    "CALLER_CODE_LENGTH",
    "CALLER_EXPIRE_MINUTES",
    "CALLER_MAX_FAILURES",
    "CALLER_TTL_SECONDS",
    "CODE_LENGTH",
    "REQUESTER_WINDOW_SECONDS",
    "TOKEN_TTL_SECONDS",
    "TTL_SECONDS",
    "CallerTTL",
    "CodeLength",
    "CodePolicy",
    "CodeTable",
    "Failures",
    "Limits",
    "LimitsTable",
    "RequesterLimits",
    "caller_int",
    "check_channel",
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


CodeLength = Annotated[int, within(CODE_LENGTH)]
CallerTTL = Annotated[int, within(CALLER_TTL_SECONDS)]
Failures = Annotated[int, within(CALLER_MAX_FAILURES)]


class CodeTable(Table, frozen=True):
    """The code policy when no auth source applies (`otp_flow.CodePolicy`)."""

    code_length: CodeLength = defaults.CODE_LENGTH
    "Characters in a generated code."
    ttl_seconds: Annotated[int, within(TTL_SECONDS)] = defaults.CODE_TTL_SECONDS
    "How long a code lives."
    max_failures: Failures = defaults.MAX_FAILURES
    "Wrong codes before the code is dead."
    token_ttl_seconds: Annotated[int, within(TOKEN_TTL_SECONDS)] = defaults.TOKEN_TTL_SECONDS
    """How long an `otp_token` (and the pages' pending-challenge cookie) is valid; at least
    `ttl_seconds`."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.token_ttl_seconds < self.ttl_seconds:
            raise ValueError("token_ttl_seconds must be at least ttl_seconds")


class CodePolicy(CodeTable, frozen=True):
    """What a code looks like and how long it and its otp_token live: the ``[defaults]`` table
    and the code's ``alphabet``.

    The defaults are the seeds': a 6-digit numeric code valid for 60 seconds, at most 5 wrong
    guesses, and an otp_token valid for 5 minutes.
    """

    alphabet: str = string.digits

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(set(self.alphabet)) < 2 or len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError("alphabet must hold at least two distinct characters, none repeated")


class LimitsTable(Table, frozen=True):
    """How often codes may be sent (`otp_flow.Limits`); `0` switches a limit off. See
    [Limits](limits.md)."""

    app_per_day: Limit = defaults.APP_PER_DAY
    "Codes one client may send per calendar day (in `timezone`)."
    recipient_per_minute: Limit = defaults.RECIPIENT_PER_MINUTE
    "Codes one client may send to one recipient per minute."
    recipient_per_hour: Limit = defaults.RECIPIENT_PER_HOUR
    "Codes one client may send to one recipient per hour."
    recipient_per_day: Limit = defaults.RECIPIENT_PER_DAY
    "Codes one client may send to one recipient per calendar day."
    resend_interval_seconds: Limit = defaults.RESEND_INTERVAL_SECONDS
    "Minimum gap between two sends to one recipient."
    resend_backoff_max_seconds: Limit = defaults.RESEND_BACKOFF_MAX_SECONDS
    """`0` keeps `resend_interval_seconds` fixed. Above `0` (and at least
    `resend_interval_seconds`), the gap doubles with each send to the recipient on the same
    calendar day (30 s, 60 s, 120 s ...) up to this many seconds."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if 0 < self.resend_backoff_max_seconds < self.resend_interval_seconds:
            raise ValueError("resend_backoff_max_seconds must be 0 or >= resend_interval_seconds")


class Limits(LimitsTable, frozen=True):
    """How often codes may be sent: the ``[limits]`` table and the ``timezone`` of its calendar
    days (a top-level key of the file). A limit of 0 switches that limit off.

    Windows: ``app_per_day`` counts every send of one client per calendar day in ``timezone``;
    the ``recipient_*`` limits count sends of one client to one recipient per fixed minute, hour
    and calendar day; ``resend_interval_seconds`` is the minimum gap between two sends to one
    recipient. ``resend_backoff_max_seconds`` > 0 makes that gap double with each send to the
    recipient on the same calendar day (30 s, 60 s, 120 s ...), up to that many seconds; 0 (the
    default) keeps it fixed.
    """

    timezone: str = defaults.TIMEZONE

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone {self.timezone!r} is not a known IANA time zone") from exc

    @classmethod
    def off(cls, timezone: str = defaults.TIMEZONE) -> Limits:
        """No limits at all: for benchmarks and trusted internal callers."""
        limits = dict.fromkeys((f.name for f in msgspec.structs.fields(LimitsTable)), 0)
        return cls(**limits, timezone=timezone)


class RequesterLimits(Table, frozen=True):
    """How much one requester (a client address, see ``otp_flow.web._requester``) may do.

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

    sends_per_window: Limit = defaults.REQUESTER_SENDS_PER_WINDOW
    "Login, password-reset and contact-change codes one requester may have sent per window."
    signup_sends_per_window: Limit = defaults.REQUESTER_SIGNUP_SENDS_PER_WINDOW
    "Signup codes one requester may have sent per window, a budget apart from `sends_per_window`."
    window_seconds: Annotated[int, within(REQUESTER_WINDOW_SECONDS)] = (
        defaults.REQUESTER_WINDOW_SECONDS
    )
    """Length of a requester's window (at most a week); it starts at the requester's first send
    after the previous window ended."""
    sends_per_day: Limit = defaults.REQUESTER_SENDS_PER_DAY
    "All codes one requester may have sent per calendar day (in `timezone`)."
    recipient_per_day: Limit = defaults.REQUESTER_RECIPIENT_PER_DAY
    """Codes one requester may have sent to one recipient per calendar day (below
    `limits.recipient_per_day`, the ceiling of all requesters together)."""
    checks_per_window: Limit = defaults.REQUESTER_CHECKS_PER_WINDOW
    "Codes one requester may check, right or wrong, any recipient, per window."

    @classmethod
    def off(cls) -> RequesterLimits:
        """No per-requester limits (trusted callers, benchmarks)."""
        return cls(
            sends_per_window=0,
            signup_sends_per_window=0,
            sends_per_day=0,
            recipient_per_day=0,
            checks_per_window=0,
        )


# Checks of what a caller passes per request: InvalidRequest, never ValueError (not config).


def check_usage(usage: object) -> None:
    if usage not in USAGES:
        raise InvalidRequest(f"usage must be one of {', '.join(USAGES)}")


def check_channel(
    usage: Usage, channel: Channel, usages: Mapping[Usage, UsageSpec] = REGISTRY
) -> None:
    """A usage's codes go only by its channels (it has no message templates for the others)."""
    channels = usages[usage].channels
    if channel not in channels:
        raise InvalidRequest(f"usage {usage} is sent only by {', '.join(channels)}")


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
