"""The embedded store: everything in one process, no services needed.

For the demo, tests and single-process deployments. Each operation runs under one lock with no
``await`` inside, so it is atomic for asyncio tasks and for threads alike. Expiry follows the
engine's clock (``now_ms`` of each request); stale entries are swept as the store is used: every
call looks at a bounded number of the stalest entries (the dicts are kept in order of last use)
and drops those nothing needs any more, so memory follows the enabled limits, not the calendar.
"""

from __future__ import annotations

import hmac
import threading
from collections import deque
from collections.abc import Callable, Sequence
from itertools import islice
from typing import TypeVar

from otp_flow.stores._memory_state import (
    Anchored,
    Challenge,
    Counter,
    RecipientState,
    RequesterState,
    Throttle,
)
from otp_flow.stores.base import (
    IssueOutcome,
    IssueRequest,
    RefusedBy,
    RequesterSends,
    ThrottleOutcome,
    VerifyOutcome,
    VerifyRequest,
    Window,
)
from otp_flow.types import Channel, Usage

__all__ = ["MemoryStore"]

# How many entries one call may look at: bounds the work any single request does.
_SWEEP_BUDGET = 64
#: Below this peak a dict's table (a few KiB) is not worth giving back.
_SHRINK_FROM = 64
_K = TypeVar("_K")
_V = TypeVar("_V")


class MemoryStore:
    """In-process OTPStore (see ``otp_flow.stores.base`` for the contract)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recipients: dict[tuple[str, str], RecipientState] = {}
        self._app_days: dict[str, Counter] = {}
        self._quota_used: dict[tuple[str, Channel], int] = {}
        self._nonces: dict[tuple[str, str], int] = {}
        self._outbox: deque[str] = deque()
        self._throttles: dict[tuple[str, str], Throttle] = {}
        self._requesters: dict[tuple[str, str], RequesterState] = {}
        #: Each swept dict's largest size since its table was last rebuilt (see _give_back).
        self._peaks: dict[str, int] = {}

    async def issue(self, request: IssueRequest) -> IssueOutcome:
        with self._lock:
            self._sweep(request.now_ms)
            return self._issue(request)

    def _issue(self, r: IssueRequest) -> IssueOutcome:
        key = (r.client_id, r.recipient)
        # Popped and re-inserted on acceptance, so the dict stays ordered by last send and the
        # sweep finds the stalest entries first.
        state = self._recipients.get(key) or RecipientState()
        app_day = self._app_days.get(r.client_id) or Counter()
        counts = (
            state.minute.current(r.minute),
            state.hour.current(r.hour),
            state.day.current(r.day),
            app_day.current(r.app_day),
        )
        q = r.requester
        rq_key = (r.client_id, q.key) if q is not None else None
        requester = (self._requesters.get(rq_key) if rq_key else None) or RequesterState()
        budget = requester.budgets.get(q.budget, Anchored()) if q else Anchored()
        pair = requester.recipients.get(r.recipient, Counter())
        rq_counts = (budget.current(r.now_ms), requester.day.current(r.day), pair.current(r.day))

        def refuse(by: RefusedBy, retry_at_ms: int) -> IssueOutcome:
            return IssueOutcome(
                False, by, max(retry_at_ms - r.now_ms, 0), *counts, rq_counts[0], rq_counts[1]
            )

        # 1. Every limit that refuses now; the one that refuses longest is named.
        refusing: list[tuple[int, RefusedBy]] = []
        interval = _interval(r, counts[2])
        if interval > 0 and state.last_send_ms and r.now_ms < state.last_send_ms + interval:
            refusing.append((state.last_send_ms + interval, "resend_interval"))
        windows: tuple[tuple[RefusedBy, Window], ...] = (
            ("recipient_per_minute", r.minute),
            ("recipient_per_hour", r.hour),
            ("recipient_per_day", r.day),
            ("app_per_day", r.app_day),
        )
        for (name, window), count in zip(windows, counts, strict=True):
            if window.limit > 0 and count >= window.limit:
                refusing.append((window.ends_ms, name))
        if q is not None:
            requester_limits: tuple[tuple[RefusedBy, int, int], ...] = (
                ("requester_per_window", q.window_limit, budget.ends_ms),
                ("requester_per_day", q.day_limit, r.day.ends_ms),
                ("requester_recipient_per_day", q.recipient_day_limit, r.day.ends_ms),
            )
            for (name, limit, ends_ms), count in zip(requester_limits, rq_counts, strict=True):
                if limit > 0 and count >= limit:
                    refusing.append((ends_ms, name))
        if refusing:
            retry_at, name = max(refusing, key=lambda item: item[0])  # first of the longest
            return refuse(name, retry_at)
        old = state.challenges.get(r.usage)
        carried = old.failures if old is not None and r.now_ms < old.expires_ms else 0
        if old is not None and carried >= r.max_failures:
            return refuse("failures", old.expires_ms)
        quota_key = (r.client_id, r.channel)
        if r.quota is not None and self._quota_used.get(quota_key, 0) >= r.quota:
            return refuse("quota", r.now_ms)

        counts = (
            state.minute.bump(r.minute),
            state.hour.bump(r.hour),
            state.day.bump(r.day),
            app_day.bump(r.app_day),
        )
        state.last_send_ms = r.now_ms
        state.challenges[r.usage] = Challenge(
            r.challenge_id,
            r.digest,
            r.expires_ms,
            r.max_failures,
            carried,
            old.digest[:4] if old is not None else b"\0\0\0\0",
        )
        # Only what still matters keeps the entry: the code, the next resend interval, and
        # the windows with a limit (switched-off ones are counted, but keep nothing alive; the
        # backoff needs the day's count).
        enabled_ends = (
            w.ends_ms
            for w in (r.minute, r.hour, r.day)
            if w.limit > 0 or (w is r.day and r.resend_backoff_max_ms > 0)
        )
        state.keep_until_ms = max(
            state.keep_until_ms,
            r.expires_ms,
            r.now_ms + _interval(r, counts[2] + 1),
            *enabled_ends,
        )
        self._quota_used[quota_key] = self._quota_used.get(quota_key, 0) + 1
        self._recipients.pop(key, None)
        self._recipients[key] = state
        self._app_days[r.client_id] = app_day
        rq_after = (0, 0)
        if q is not None and rq_key is not None:
            rq_after = self._count_requester(r, q, rq_key, requester, budget, pair)
        return IssueOutcome(True, None, 0, *counts, *rq_after)

    def _count_requester(
        self,
        r: IssueRequest,
        q: RequesterSends,
        key: tuple[str, str],
        requester: RequesterState,
        budget: Anchored,
        pair: Counter,
    ) -> tuple[int, int]:
        if requester.day.window_id != r.day.id:
            requester.recipients.clear()  # a new day: yesterday's per-recipient counts go
        window_count = budget.bump(r.now_ms, q.window_ms)
        day_count = requester.day.bump(r.day)
        pair.bump(r.day)
        requester.budgets[q.budget] = budget
        requester.recipients[r.recipient] = pair
        keep = budget.ends_ms
        if q.day_limit > 0 or q.recipient_day_limit > 0:
            keep = max(keep, r.day.ends_ms)
        requester.keep_until_ms = max(requester.keep_until_ms, keep)
        self._requesters.pop(key, None)
        self._requesters[key] = requester
        return window_count, day_count

    async def verify(self, request: VerifyRequest) -> VerifyOutcome:
        with self._lock:
            q = request.requester
            if q is not None:
                key = (request.client_id, q.key)
                requester = self._requesters.get(key) or RequesterState()
                checks = requester.checks
                if q.limit > 0 and checks.current(request.now_ms) >= q.limit:
                    return VerifyOutcome("requester_limited", 0, 0, checks.ends_ms - request.now_ms)
                checks.bump(request.now_ms, q.window_ms)
                requester.keep_until_ms = max(requester.keep_until_ms, checks.ends_ms)
                self._requesters.pop(key, None)
                self._requesters[key] = requester
            state = self._recipients.get((request.client_id, request.recipient))
            challenge = state.challenges.get(request.usage) if state else None
            if state is None or challenge is None:
                return VerifyOutcome("no_challenge", 0, 0)
            failures, limit = challenge.failures, challenge.max_failures
            if not challenge.challenge_id:  # cancelled: there is no code to check
                return VerifyOutcome("no_challenge", failures, limit)
            if request.challenge_id is not None and request.challenge_id != challenge.challenge_id:
                return VerifyOutcome("replaced", failures, limit)
            if request.now_ms >= challenge.expires_ms:
                return VerifyOutcome("expired", failures, limit)
            if failures >= limit:
                return VerifyOutcome("exceeded", failures, limit)
            candidates = (request.digest, *request.older_digests)
            # Every digest is compared (no early exit): the time does not tell which key matched.
            matches = [hmac.compare_digest(challenge.digest, d) for d in candidates]
            if any(matches):
                del state.challenges[request.usage]
                return VerifyOutcome("verified", failures, limit)
            if request.challenge_id is None and hmac.compare_digest(
                challenge.previous, request.digest[:4]
            ):
                return VerifyOutcome("replaced", failures, limit)
            challenge.failures += 1
            return VerifyOutcome("wrong", challenge.failures, limit)

    async def cancel(
        self,
        *,
        client_id: str,
        recipient: str,
        usage: Usage,
        channel: Channel,
        challenge_id: str,
        refund_quota: bool,
    ) -> None:
        with self._lock:
            state = self._recipients.get((client_id, recipient))
            challenge = state.challenges.get(usage) if state else None
            if challenge is not None and challenge.challenge_id == challenge_id:
                # Emptied, not deleted: expiry and failures stay, so they still carry over.
                challenge.challenge_id = ""
                challenge.digest = bytes(16)
            quota_key = (client_id, channel)
            if refund_quota and self._quota_used.get(quota_key, 0) > 0:
                self._quota_used[quota_key] -= 1

    async def quota_used(self, client_id: str, channel: Channel) -> int:
        with self._lock:
            return self._quota_used.get((client_id, channel), 0)

    async def remember_nonce(self, scope: str, nonce: str, *, now_ms: int, ttl_ms: int) -> bool:
        with self._lock:
            self._sweep(now_ms)
            key = (scope, nonce)
            if self._nonces.get(key, 0) > now_ms:
                return False
            # Re-inserted at the end, so the dict stays ordered by deadline for the sweep.
            self._nonces.pop(key, None)
            self._nonces[key] = now_ms + ttl_ms
            return True

    async def throttle(
        self,
        scope: str,
        key: str,
        *,
        now_ms: int,
        window_ms: int,
        limit: int,
        also: Sequence[tuple[str, int]] = (),
    ) -> ThrottleOutcome:
        with self._lock:
            self._sweep_throttles(now_ms)
            entries = []
            wait = 0
            for name, most in ((key, limit), *also):
                entry = self._throttles.get((scope, name))
                if entry is None or entry.ends_ms <= now_ms:
                    entry = Throttle(now_ms + window_ms, 0)
                if entry.count >= most:
                    wait = max(wait, entry.ends_ms - now_ms)
                entries.append((name, entry))
            if wait:
                return ThrottleOutcome(False, entries[0][1].count, wait)
            for name, entry in entries:
                entry.count += 1
                self._throttles[(scope, name)] = entry
            return ThrottleOutcome(True, entries[0][1].count, 0)

    async def clear_throttle(self, scope: str, key: str) -> None:
        with self._lock:
            self._throttles.pop((scope, key), None)

    def _sweep_throttles(self, now_ms: int) -> None:
        # Each entry knows its own end: windows of other lengths (other scopes) never decide.
        _sweep_some(self._throttles, now_ms, lambda entry: entry.ends_ms)
        self._give_back("throttles", self._throttles)

    async def outbox_push(self, payload: str, *, max_len: int) -> None:
        with self._lock:
            self._outbox.appendleft(payload)
            while len(self._outbox) > max_len:
                self._outbox.pop()

    async def outbox_list(self, limit: int) -> list[str]:
        with self._lock:
            return list(self._outbox)[:limit]

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def _sweep(self, now_ms: int) -> None:
        """Drop a bounded number of entries nothing can need any more."""
        _sweep_some(self._recipients, now_ms, lambda state: state.keep_until_ms)
        _sweep_some(self._requesters, now_ms, lambda state: state.keep_until_ms)
        _sweep_some(self._nonces, now_ms, lambda until: until)
        self._give_back("recipients", self._recipients)
        self._give_back("requesters", self._requesters)
        self._give_back("nonces", self._nonces)

    def _give_back(self, name: str, entries: dict[_K, _V]) -> None:
        """Rebuild ``entries``' table once it holds under a quarter of its peak.

        A dict keeps its table at its largest size after deletions: without this, a burst of
        codes leaves the store its peak size for good once they expire. A rebuild copies the
        live entries (in order, which the sweep relies on) into a table sized for them; it
        follows at least three deletions per entry it copies, so it costs O(1) per deletion.
        """
        size, peak = len(entries), self._peaks.get(name, 0)
        if size > peak:
            self._peaks[name] = size
        elif peak >= _SHRINK_FROM and size < peak // 4:
            live = list(entries.items())
            entries.clear()  # frees the table
            entries.update(live)
            self._peaks[name] = size


def _sweep_some(entries: dict[_K, _V], now_ms: int, until: Callable[[_V], int]) -> None:
    """Look at the first ``_SWEEP_BUDGET`` entries (the stalest: writes re-insert at the end),
    drop those whose ``until`` has passed, and move the rest to the back, so the next call
    looks at others: every entry is looked at within ``len / _SWEEP_BUDGET`` calls, however long
    its neighbours live."""
    for key, value in list(islice(entries.items(), _SWEEP_BUDGET)):
        del entries[key]
        if until(value) > now_ms:
            entries[key] = value


def _interval(r: IssueRequest, day_count: int) -> int:
    """The resend interval after ``day_count`` sends today (doubling with a backoff cap)."""
    if r.resend_backoff_max_ms <= 0 or day_count <= 1:
        return r.resend_interval_ms
    return int(min(r.resend_interval_ms * 2 ** (day_count - 1), r.resend_backoff_max_ms))
