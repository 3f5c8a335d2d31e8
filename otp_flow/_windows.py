"""The rate-limit windows of one moment, and the counts of a send's outcome in them.

Fixed windows: the minute and the hour by the epoch, the day by the calendar in the configured
time zone (the seeds' "natural day"), so limits reset where an operator expects them to.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from otp_flow.policy import Limits
from otp_flow.stores.base import IssueOutcome, Window
from otp_flow.types import WindowCount, WindowCounts

__all__ = ["RateWindows", "rate_windows", "window_counts"]

_MINUTE_MS = 60_000
_HOUR_MS = 3_600_000
_EPOCH = datetime(1970, 1, 1)
_ONE_DAY = timedelta(days=1)
_ONE_MS = timedelta(milliseconds=1)
_NO_OFFSET = timedelta(0)

#: Keyword arguments of ``IssueRequest``: minute, hour, day, app_day.
RateWindows = dict[str, Window]


@lru_cache(maxsize=16)
def _calendar_day(minute: int, tz: ZoneInfo) -> tuple[int, int]:
    """(day id, end of the day in ms) of the local calendar day holding this minute.

    Cached per minute: time-zone arithmetic is the costly part of a send's windows, and every
    zone's day starts on a whole minute, so all instants of one minute share the answer.
    """
    local = datetime.fromtimestamp(minute * 60, tz)
    next_midnight = datetime(local.year, local.month, local.day) + _ONE_DAY
    # Local wall time minus its UTC offset: what ``.timestamp()`` of the aware datetime gives,
    # without it: CPython (3.11) keeps ~20 KiB allocated after calling that on aware datetimes
    # of a few hundred distinct days, which the memory store's size figures counted as ours.
    offset = next_midnight.replace(tzinfo=tz).utcoffset() or _NO_OFFSET
    return local.date().toordinal(), (next_midnight - _EPOCH - offset) // _ONE_MS


def rate_windows(now: float, limits: Limits, tz: ZoneInfo) -> RateWindows:
    now_ms = int(now * 1000)
    minute, hour = now_ms // _MINUTE_MS, now_ms // _HOUR_MS
    day_id, day_end_ms = _calendar_day(minute, tz)
    return {
        "minute": Window(minute, (minute + 1) * _MINUTE_MS, limits.recipient_per_minute),
        "hour": Window(hour, (hour + 1) * _HOUR_MS, limits.recipient_per_hour),
        "day": Window(day_id, day_end_ms, limits.recipient_per_day),
        "app_day": Window(day_id, day_end_ms, limits.app_per_day),
    }


def window_counts(outcome: IssueOutcome, limits: Limits) -> WindowCounts:
    """Every window's count and limit, enabled or not."""
    return WindowCounts(
        minute=WindowCount(outcome.minute_count, limits.recipient_per_minute),
        hour=WindowCount(outcome.hour_count, limits.recipient_per_hour),
        day=WindowCount(outcome.day_count, limits.recipient_per_day),
        app_day=WindowCount(outcome.app_day_count, limits.app_per_day),
    )
