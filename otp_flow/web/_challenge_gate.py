"""When the pages ask for a challenge (a CAPTCHA) before sending a code.

Asked only when needed: from a requester that has already made ``after_sends`` sends in its
current window, and from everyone once the site's day budget (``Limits.app_per_day``) is
``site_threshold`` spent.

How the pages know before a send, without asking the store: every send's answer already carries
the counts (``SendResult.requester`` / ``RateLimited.requester`` for this requester's window,
``windows.app_day`` for the site's day), so each worker keeps what the last answers said:
the requesters over the threshold (each until its window could have ended at the latest) and the
day on which the site's budget passed the threshold. A read in the store per page would cost one
more round trip on every form render and post, for a state that changes only on a send.

What this costs: the state lives in each worker process. Another worker learns about a requester
on that requester's first send through it, so with W workers a requester gets at most
``after_sends + W - 1`` sends without a challenge (its per-requester limits, counted in the
store, still hold exactly); the site threshold likewise is learnt by each worker on its next
send. A cookie would not do: a bot drops it.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from otp_flow.challenges import Challenge, Widget
from otp_flow.types import Clock, RequesterStats, WindowCounts

__all__ = ["ChallengeGate"]

#: Requesters remembered at most (the oldest go first): bounded memory under a spray of keys.
MAX_REMEMBERED = 100_000


class ChallengeGate:
    """Per-process memory of who must pass ``challenge`` before a code is sent."""

    def __init__(
        self,
        challenge: Challenge,
        *,
        after_sends: int,
        site_threshold: float,
        window_seconds: int,
        timezone: str,
        clock: Clock,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        if isinstance(after_sends, bool) or not isinstance(after_sends, int) or after_sends < 0:
            raise ValueError("challenge_after_sends must be an integer >= 0")
        if (
            isinstance(site_threshold, bool)
            or not isinstance(site_threshold, int | float)
            or not 0 < site_threshold <= 1
        ):
            raise ValueError("challenge_site_threshold must be a number above 0 and at most 1")
        if challenge.widget.invisible:
            # reCAPTCHA v3 needs an inline script (grecaptcha.execute) the pages' CSP forbids.
            raise ValueError(
                "the pages show widget challenges only (Turnstile, hCaptcha, reCAPTCHA v2); "
                "reCAPTCHA v3 needs a script of the application's own"
            )
        self.challenge = challenge
        self.after_sends = after_sends
        self.site_threshold = float(site_threshold)
        self._window_seconds = window_seconds
        self._tz = ZoneInfo(timezone)
        self._clock = clock
        self._max = max_remembered
        #: requester key -> until when it is asked (its window's latest possible end).
        self._requesters: dict[str, float] = {}
        self._site_day: date | None = None

    @property
    def widget(self) -> Widget:
        return self.challenge.widget

    def _today(self) -> date:
        return datetime.fromtimestamp(self._clock(), self._tz).date()

    def required(self, requester: str) -> bool:
        """Whether a send for ``requester`` needs a solved challenge now."""
        if self.after_sends == 0 or self._site_day == self._today():
            return True
        until = self._requesters.get(requester)
        if until is None:
            return False
        if until <= self._clock():
            del self._requesters[requester]
            return False
        return True

    def observe(
        self,
        requester: str,
        counts: RequesterStats | None,
        windows: WindowCounts | None,
    ) -> None:
        """Learn from a send's answer (a ``SendResult`` or a ``RateLimited``)."""
        if counts is not None:
            self._requesters.pop(requester, None)
            if counts.window_count >= self.after_sends:
                self._requesters[requester] = self._clock() + self._window_seconds
                if len(self._requesters) > self._max:
                    del self._requesters[next(iter(self._requesters))]
        day = windows.app_day if windows is not None else None
        if day is not None and day.enabled:
            over = day.count >= self.site_threshold * day.limit
            today = self._today()
            if over:
                self._site_day = today
            elif self._site_day == today:
                self._site_day = None
