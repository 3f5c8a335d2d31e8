"""The memory store's entries: plain mutable records, each changed only under the store's lock."""

from __future__ import annotations

from dataclasses import dataclass, field

from otp_flow.stores.base import Window

__all__ = ["Anchored", "Challenge", "Counter", "RecipientState", "RequesterState", "Throttle"]


@dataclass(slots=True)
class Challenge:
    challenge_id: str
    digest: bytes
    expires_ms: int
    max_failures: int
    failures: int
    #: First 4 bytes of the digest of the code this one replaced (as the Redis layout keeps).
    previous: bytes = b"\0\0\0\0"


@dataclass(slots=True)
class Counter:
    window_id: int = -1
    count: int = 0

    def current(self, window: Window) -> int:
        return self.count if self.window_id == window.id else 0

    def bump(self, window: Window) -> int:
        self.count = self.current(window) + 1
        self.window_id = window.id
        return self.count


@dataclass(slots=True)
class Throttle:
    ends_ms: int
    count: int


@dataclass(slots=True)
class Anchored:
    """A window that starts at the first event after the previous one ended."""

    ends_ms: int = 0
    count: int = 0

    def current(self, now_ms: int) -> int:
        return self.count if now_ms < self.ends_ms else 0

    def bump(self, now_ms: int, length_ms: int) -> int:
        if now_ms >= self.ends_ms:
            self.ends_ms, self.count = now_ms + length_ms, 0
        self.count += 1
        return self.count


@dataclass(slots=True)
class RequesterState:
    budgets: dict[str, Anchored] = field(default_factory=dict)
    day: Counter = field(default_factory=Counter)
    #: This requester's sends per recipient, on ``day``'s day only.
    recipients: dict[str, Counter] = field(default_factory=dict)
    checks: Anchored = field(default_factory=Anchored)
    keep_until_ms: int = 0


@dataclass(slots=True)
class RecipientState:
    minute: Counter = field(default_factory=Counter)
    hour: Counter = field(default_factory=Counter)
    day: Counter = field(default_factory=Counter)
    last_send_ms: int = 0
    challenges: dict[str, Challenge] = field(default_factory=dict)
    #: After this time nothing in the state matters any more and it may be dropped.
    keep_until_ms: int = 0
