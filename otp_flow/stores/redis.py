"""The Redis store: shared state for any number of engine processes, standalone or Cluster.

Every read-then-write is one Lua script in ``lua/`` (one file per script, its KEYS / ARGV /
returns at the top), so one send and one verify are one round trip each and atomic. Times are
the engine's (``now_ms`` of each request), never Redis's own clock; key TTLs only collect
garbage and are set relative to ``now_ms``.

Keys, all made by ``RedisStore.key``; the hash tag keeps each client's keys in one Cluster slot:

    otp:{client}:r:<recipient>   hash: rate-limit windows, last send, one challenge per usage
    otp:{client}:d:<day id>      the client's sends on one app day (expires with the day)
    otp:{client}:q               hash: quota used per channel
    otp:{client}:a:<requester>   hash: one requester's sends and checks (layout in issue.lua)
    otp:{scope}:n:<nonce>        when a nonce may be used again
    otp:{scope}:t:<key>          attempts in the current throttle window
    otp:{outbox}                 list of messages, newest first

A pending code is one recipient hash of two packed fields (layout in issue.lua): about 235 bytes
of Redis ``used_memory`` all told, key, TTL and hash-table slots included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from otp_flow._usages import REDIS_FIELDS
from otp_flow.stores._redis_support import (
    commands,
    connect,
    load_script,
    unavailable,
    unexpected_reply,
)
from otp_flow.stores.base import (
    IssueOutcome,
    IssueRequest,
    RefusedBy,
    ThrottleOutcome,
    VerifyOutcome,
    VerifyRequest,
    VerifyStatus,
)
from otp_flow.types import Channel, Usage

if TYPE_CHECKING:
    from otp_flow.stores._redis_support import RedisClient

__all__ = ["RedisStore"]

_DIGEST_SIZE = 16
#: Each usage's challenge lives in one field of the recipient hash (see issue.lua).
_USAGE_FIELDS = REDIS_FIELDS
#: Index = the verdict issue.lua returns.
_REFUSALS: tuple[RefusedBy | None, ...] = (
    None,
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
)
#: Index = the status verify.lua returns.
_STATUSES: tuple[VerifyStatus, ...] = (
    "verified",
    "wrong",
    "expired",
    "replaced",
    "no_challenge",
    "exceeded",
    "requester_limited",
)
#: Lua numbers are doubles: a challenge id is packed exactly only below this.
_MAX_CHALLENGE_ID = 2**48
#: issue.lua packs the recipient's window ids as unsigned 32-bit integers.
_MAX_WINDOW_ID = 2**32
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def _ints(reply: object, size: int) -> list[int]:
    if not isinstance(reply, list) or len(reply) != size:
        raise unexpected_reply(reply)
    return [int(value) for value in reply]


def _challenge_number(challenge_id: str) -> int | None:
    """The id as the integer the scripts pack, or None when it cannot be one exactly."""
    if not _DECIMAL.fullmatch(challenge_id) or int(challenge_id) >= _MAX_CHALLENGE_ID:
        return None
    return int(challenge_id)


class RedisStore:
    """OTPStore on Redis (see ``otp_flow.stores.base`` for the contract).

    ``client`` is a ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster`` made with
    ``decode_responses=False``; ``from_url`` builds one with timeouts and without retries.
    """

    def __init__(self, client: RedisClient, *, prefix: str = "otp:") -> None:
        if "{" in prefix or "}" in prefix:
            raise ValueError("prefix must not contain '{' or '}': the hash tag follows it")
        self.redis = client
        self.prefix = prefix
        self._client = commands(client)
        script = partial(load_script, self._client, "otp_flow.stores")
        self._issue = script("issue.lua")
        self._verify = script("verify.lua")
        self._cancel = script("cancel.lua")
        self._nonce = script("nonce.lua")
        self._outbox_push = script("outbox_push.lua")
        self._throttle = script("throttle.lua")

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "otp:",
        socket_timeout: float = 2.0,
        cluster: bool = False,
        max_connections: int = 100,
    ) -> RedisStore:
        """Connect to ``redis://``, ``rediss://`` or (``cluster=True`` or a ``redis+cluster://``
        or ``rediss+cluster://`` URL) a Redis Cluster.

        ``socket_timeout`` bounds connecting, every command, and (standalone) waiting for one of
        the ``max_connections`` pooled connections, so an outage fails fast as StoreUnavailable.

        A connection error is retried once, on a fresh connection: after a Redis restart every
        pooled connection is stale, and without the retry the first request on each would fail.
        Should a script have run before its connection broke, the retry counts that send or
        guess twice, which errs on the safe side (a limit reached early, never late). Timeouts
        are never retried: the server may still be working, and the caller must not wait twice.
        """
        client = connect(
            url, socket_timeout=socket_timeout, cluster=cluster, max_connections=max_connections
        )
        return cls(client, prefix=prefix)

    def key(self, client_id: str, *parts: str) -> str:
        """The one key function: ``<prefix>{<client_id>}:<part>:...``.

        The braces are a Cluster hash tag, so every key of one client (or of any other tag, such
        as ``outbox``) lands in one slot and a script may touch several of them.
        """
        if not client_id or "{" in client_id or "}" in client_id:
            raise ValueError(f"a key tag must be non-empty and brace-free, got {client_id!r}")
        return ":".join((f"{self.prefix}{{{client_id}}}", *parts))

    async def issue(self, request: IssueRequest) -> IssueOutcome:
        r = request
        challenge = _challenge_number(r.challenge_id)
        if challenge is None:
            raise ValueError("challenge_id must be canonical decimal digits below 2**48")
        if len(r.digest) != _DIGEST_SIZE:
            raise ValueError(f"digest must be {_DIGEST_SIZE} bytes")
        if not 0 <= r.max_failures <= 255:
            raise ValueError("max_failures must be between 0 and 255")
        if not all(0 <= w.id < _MAX_WINDOW_ID for w in (r.minute, r.hour, r.day)):
            raise ValueError("minute, hour and day window ids must fit in 32 bits")
        keys: tuple[str, ...] = (
            self.key(r.client_id, "r", r.recipient),
            self.key(r.client_id, "d", str(r.app_day.id)),
            self.key(r.client_id, "q"),
        )
        args: tuple[str | bytes | int, ...] = (
            _USAGE_FIELDS[r.usage], r.channel, challenge, r.digest,
            r.now_ms, r.expires_ms, r.max_failures,
            r.minute.id, r.minute.ends_ms, r.minute.limit,
            r.hour.id, r.hour.ends_ms, r.hour.limit,
            r.day.id, r.day.ends_ms, r.day.limit,
            r.app_day.ends_ms, r.app_day.limit,
            r.resend_interval_ms, -1 if r.quota is None else r.quota,
            r.resend_backoff_max_ms,
        )  # fmt: skip
        if (q := r.requester) is not None:
            keys = (*keys, self.key(r.client_id, "a", q.key))
            args = (
                *args, q.budget, q.window_ms, q.window_limit, q.day_limit,
                q.recipient_day_limit, r.recipient,
            )  # fmt: skip
        with unavailable():
            reply = await self._issue(keys=keys, args=args)
        verdict, retry_after, *counts = _ints(reply, 8)
        return IssueOutcome(verdict == 0, _REFUSALS[verdict], retry_after, *counts)

    async def verify(self, request: VerifyRequest) -> VerifyOutcome:
        r = request
        wanted: int | str = ""  # any challenge
        if r.challenge_id is not None:
            challenge = _challenge_number(r.challenge_id)
            wanted = -1 if challenge is None else challenge  # -1 matches none: "replaced"
        keys = [self.key(r.client_id, "r", r.recipient)]
        window = limit = 0
        if r.requester is not None:
            keys.append(self.key(r.client_id, "a", r.requester.key))
            window, limit = r.requester.window_ms, r.requester.limit
        args = (_USAGE_FIELDS[r.usage], wanted, r.digest, r.now_ms, window, limit)
        with unavailable():
            reply = await self._verify(keys=keys, args=(*args, *r.older_digests))
        if isinstance(reply, list) and len(reply) == 4:
            status, _, _, retry_after = _ints(reply, 4)
            return VerifyOutcome(_STATUSES[status], 0, 0, retry_after)
        status, failures, max_failures = _ints(reply, 3)
        return VerifyOutcome(_STATUSES[status], failures, max_failures)

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
        keys = (self.key(client_id, "r", recipient), self.key(client_id, "q"))
        challenge = _challenge_number(challenge_id)
        args = (_USAGE_FIELDS[usage], -1 if challenge is None else challenge, channel)
        with unavailable():
            await self._cancel(keys=keys, args=(*args, int(refund_quota)))

    async def quota_used(self, client_id: str, channel: Channel) -> int:
        with unavailable():
            used = await self._client.hget(self.key(client_id, "q"), channel)
        return int(used or 0)

    async def remember_nonce(self, scope: str, nonce: str, *, now_ms: int, ttl_ms: int) -> bool:
        with unavailable():
            reply: object = await self._nonce(
                keys=(self.key(scope, "n", nonce),), args=(now_ms, ttl_ms)
            )
        return reply == 1

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
        counters = ((key, limit), *also)
        keys = [self.key(scope, "t", k) for k, _ in counters]
        with unavailable():
            reply = await self._throttle(
                keys=keys, args=(now_ms, window_ms, *(n for _, n in counters))
            )
        allowed, count, retry_after_ms = _ints(reply, 3)
        return ThrottleOutcome(bool(allowed), count, retry_after_ms)

    async def clear_throttle(self, scope: str, key: str) -> None:
        with unavailable():
            await self._client.delete(self.key(scope, "t", key))

    async def outbox_push(self, payload: str, *, max_len: int) -> None:
        with unavailable():
            await self._outbox_push(keys=(self.key("outbox"),), args=(payload, max_len))

    async def outbox_list(self, limit: int) -> list[str]:
        if limit == 0:
            return []  # LRANGE 0 -1 would mean "all"; other limits slice like list[:limit]
        with unavailable():
            items = await self._client.lrange(self.key("outbox"), 0, limit - 1)
        return [item.decode() if isinstance(item, bytes) else item for item in items]

    async def ping(self) -> None:
        with unavailable():
            await self._client.ping()

    async def aclose(self) -> None:
        with unavailable():
            await self._client.aclose()
