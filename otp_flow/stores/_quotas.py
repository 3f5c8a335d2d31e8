"""``QuotaAdmin``: read and reset a client's quota use, for operators (``otp-flow quota``).

A protocol of its own, apart from ``OTPStore``: serving codes never resets a quota, and only a
store shared between processes can be administered from outside them. ``RedisQuotaAdmin``
works on the ``RedisStore``'s keys (the quota hash ``<prefix>{client}:q``, one field per
channel). A reset is one command (HDEL or DEL): a write that reads nothing needs no script.
The memory store lives inside each serving process, so there is nothing to administer there.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from otp_flow.stores._redis_support import unavailable
from otp_flow.stores.redis import RedisStore
from otp_flow.types import CHANNELS, Channel

__all__ = ["QuotaAdmin", "RedisQuotaAdmin"]


@runtime_checkable
class QuotaAdmin(Protocol):
    async def quota_used(self, client_id: str, channel: Channel) -> int: ...

    async def reset_quota(self, client_id: str, channel: Channel | None = None) -> None:
        """Forget the client's use of ``channel``'s quota (of every channel when None)."""
        ...


class RedisQuotaAdmin:
    def __init__(self, store: RedisStore) -> None:
        self.store = store

    async def quota_used(self, client_id: str, channel: Channel) -> int:
        return await self.store.quota_used(client_id, channel)

    async def reset_quota(self, client_id: str, channel: Channel | None = None) -> None:
        if channel is not None and channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        key = self.store.key(client_id, "q")
        with unavailable():
            if channel is None:
                await self.store.redis.delete(key)
            else:
                await self.store.redis.hdel(key, channel)
