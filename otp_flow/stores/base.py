"""The store protocols: ``OTPStore``, the engine's view of the codes' shared state, and three
small ones beside it: ``NonceStore`` (replay protection), ``ThrottleStore`` (attempts that are not
codes) and ``OutboxStore`` (the development outbox). The shipped stores implement all four; an
application writing its own store for codes only implements ``OTPStore``.

Every operation that reads and then writes shared state is ONE call here, so a store can make it
atomic (one Lua script on Redis, one lock in memory). The engine decides policy (clock, windows,
time zone, code hashing); the store only counts, compares and remembers. All times are integer
milliseconds from the engine's injected clock, never the store's own clock, so tests can move time
without sleeping and Redis can run on a machine whose clock differs.

Semantics every store must honour (the contract suite in tests/test_store_contract.py checks them):

``issue`` (one send), in this order, refusing at the first failing step and changing nothing then:
 1. Every limit that refuses now, of these: ``resend_interval_ms`` > 0 and the last accepted
    send to this (client, recipient), any usage, was less than the interval ago (the interval
    doubles with each send of the recipient's current day when ``resend_backoff_max_ms`` > 0,
    up to that cap: ``resend_interval_ms * 2**(day count - 1)``); minute, hour, day (per
    client→recipient) then app_day (per client): a window whose ``limit`` > 0 and whose count
    in the current window id has reached the limit (a stored count for an older window id
    counts 0); with a ``requester``: its window (per budget; a window that starts at the
    requester's first send after the previous one ended), its calendar day (``day``'s id), and
    its sends to this recipient on that day. If any refuses, the refusal names the one that
    refuses longest (the first of them on a tie) and the retry time is its end, so a caller
    is never told to come back while another limit still refuses.
 3. Failures carry over: if a challenge for the same (client, recipient, usage) exists and has not
    expired, its failure count carries to the new code; if that count is >= the new
    ``max_failures`` → refused ``failures``, retry when that challenge expires. An expired
    challenge's failures are forgotten.
 4. ``quota`` is not None and the client's used count for ``channel`` is >= quota → refused
    ``quota``.
 5. Accept: every window count goes up by one (disabled windows are still counted, so stats are
    always true), the last-send time is set, the quota used count goes up, and the challenge for
    (client, recipient, usage) is replaced by the new one (challenge id, digest, expiry,
    max_failures, carried failures). Any older code for that triple is dead from now on.
 The outcome carries the four window counts (after the send when accepted, current when refused).

``verify`` (one check of one code), in this order:
 - with a ``requester`` whose checks in its window reached the limit → ``requester_limited``
   (not counted, retry when the window ends); otherwise the check is counted for it
 - no challenge for (client, recipient, usage), or a cancelled one → ``no_challenge``
 - ``challenge_id`` given and different from the stored one → ``replaced``
 - ``now_ms`` >= expiry → ``expired``
 - failures >= max_failures → ``exceeded`` (nothing is compared)
 - ``digest`` or one of ``older_digests`` equal (constant-time) → ``verified``; the challenge
   is deleted (single use)
 - no ``challenge_id`` given and the digest's first 4 bytes equal those of the code the current
   one replaced → ``replaced`` (not counted: the person read an older message)
 - otherwise failures += 1 → ``wrong`` (with the new count; the code is dead once it reaches max)

``throttle`` counts one attempt of something that is not a code (a password sign-in) against a
fixed window that starts at the first attempt after the previous window ended: allowed while the
count before it is below ``limit`` (and then counted), refused with the time until the window
ends otherwise (and not counted). ``also`` names more (key, limit) pairs of the same scope and
window length, counted all or nothing with ``key``: allowed only if every one is below its limit,
refused with the longest wait otherwise. ``clear_throttle`` forgets the count (after a success).

State lives only as long as an enabled limit or a code needs it: a recipient's entry until its
code expires, its resend interval passes and the windows with a limit > 0 end (windows switched
off are counted but not kept alive); a requester's entry until its windows end.

``cancel`` kills a challenge that could not be delivered (only if it is still the same challenge)
and gives one quota unit back. The challenge's expiry and failures stay (its failures still carry
over to the next code); only the code is gone. The rate-limit counts are NOT given back: a failed
delivery still counts, so abuse gets no free retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from otp_flow.types import Channel, Usage

__all__ = [
    "IssueOutcome",
    "IssueRequest",
    "NonceStore",
    "OTPStore",
    "OutboxStore",
    "RefusedBy",
    "RequesterChecks",
    "RequesterSends",
    "ThrottleOutcome",
    "ThrottleStore",
    "VerifyOutcome",
    "VerifyRequest",
    "VerifyStatus",
    "Window",
]

RefusedBy = Literal[
    "resend_interval",
    "recipient_per_minute",
    "recipient_per_hour",
    "recipient_per_day",
    "app_per_day",
    "failures",
    "quota",
    "requester_per_window",
    "requester_per_day",
    "requester_recipient_per_day",
]
VerifyStatus = Literal[
    "verified", "wrong", "expired", "replaced", "no_challenge", "exceeded", "requester_limited"
]


@dataclass(frozen=True, slots=True)
class Window:
    """One fixed rate-limit window: which one it is, when it ends, and its limit (0 = off)."""

    id: int
    ends_ms: int
    limit: int


@dataclass(frozen=True, slots=True)
class RequesterSends:
    """The per-requester limits of one send (0 = off), counted in the requester's own entry."""

    #: Who is asking (``otp_flow.web._requester``); kept under the client's hash tag.
    key: str
    #: Which window budget this send spends: "l" (login and the other usages) or "s" (signup).
    budget: Literal["l", "s"]
    window_ms: int
    window_limit: int
    #: Sends of this requester per calendar day (the request's ``day`` window id and end).
    day_limit: int
    #: Sends of this requester to this recipient per calendar day.
    recipient_day_limit: int


@dataclass(frozen=True, slots=True)
class RequesterChecks:
    """The per-requester limit of one code check: checks per window (0 = off)."""

    key: str
    window_ms: int
    limit: int


@dataclass(frozen=True, slots=True)
class IssueRequest:
    client_id: str
    recipient: str
    channel: Channel
    usage: Usage
    #: Random, from ``secrets``; canonical decimal below 2**48 (packed in 6 bytes,
    #: and Lua numbers are doubles).
    challenge_id: str
    #: Keyed HMAC digest of the code (16 bytes). The code itself never reaches the store.
    digest: bytes
    now_ms: int
    expires_ms: int
    #: 1-255.
    max_failures: int
    minute: Window
    hour: Window
    day: Window
    app_day: Window
    resend_interval_ms: int
    #: None = unlimited.
    quota: int | None
    #: None = no per-requester limits (the JSON APIs' authenticated callers).
    requester: RequesterSends | None = None
    #: > 0: the resend interval doubles per send of the day, up to this (see the contract).
    resend_backoff_max_ms: int = 0


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    accepted: bool
    refused_by: RefusedBy | None
    retry_after_ms: int
    minute_count: int
    hour_count: int
    day_count: int
    app_day_count: int
    #: The requester's sends in its current window (this budget) and calendar day; 0 without one.
    requester_window_count: int = 0
    requester_day_count: int = 0


@dataclass(frozen=True, slots=True)
class ThrottleOutcome:
    allowed: bool
    #: Attempts counted in the current window (including this one when allowed).
    count: int
    retry_after_ms: int


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    client_id: str
    recipient: str
    usage: Usage
    #: The challenge the otp_token names, or None to check whatever code is current.
    challenge_id: str | None
    digest: bytes
    now_ms: int
    #: The same code's digests under older secret keys: a code issued before a key rotation
    #: still verifies. Any match counts; all are compared.
    older_digests: tuple[bytes, ...] = ()
    requester: RequesterChecks | None = None


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    status: VerifyStatus
    failures: int
    max_failures: int
    #: ``requester_limited`` only: when the requester's check window ends.
    retry_after_ms: int = 0


@runtime_checkable
class OTPStore(Protocol):
    """Shared state of the engine. Any backend error must be raised as ``StoreUnavailable``."""

    async def issue(self, request: IssueRequest) -> IssueOutcome: ...

    async def verify(self, request: VerifyRequest) -> VerifyOutcome: ...

    async def cancel(
        self,
        *,
        client_id: str,
        recipient: str,
        usage: Usage,
        channel: Channel,
        challenge_id: str,
        refund_quota: bool,
    ) -> None: ...

    async def quota_used(self, client_id: str, channel: Channel) -> int: ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class NonceStore(Protocol):
    """Nonces seen recently (a signed request's, a page's verified step), shared by workers."""

    async def remember_nonce(self, scope: str, nonce: str, *, now_ms: int, ttl_ms: int) -> bool:
        """Record a nonce; False when it was already seen within its lifetime (a replay)."""
        ...


@runtime_checkable
class ThrottleStore(Protocol):
    """Attempts at something that is not a code (a password sign-in); see ``throttle`` above."""

    async def throttle(
        self,
        scope: str,
        key: str,
        *,
        now_ms: int,
        window_ms: int,
        limit: int,
        also: Sequence[tuple[str, int]] = (),
    ) -> ThrottleOutcome: ...

    async def clear_throttle(self, scope: str, key: str) -> None: ...


@runtime_checkable
class OutboxStore(Protocol):
    """The development outbox's messages (``otp_flow.senders.OutboxSender``)."""

    async def outbox_push(self, payload: str, *, max_len: int) -> None:
        """Prepend one serialized message, keeping at most ``max_len`` (newest first)."""
        ...

    async def outbox_list(self, limit: int) -> list[str]:
        """The newest ``limit`` (>= 1) messages, newest first."""
        ...
