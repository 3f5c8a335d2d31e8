"""Where refresh-token families live: the small store protocol and its in-memory backend.

A *family* is one sign-in: every refresh token rotated from it belongs to it, and so does every
access token minted along the way (claim ``sid``). The store keeps, per family, the digest of the
one refresh token that may be used next and the digests of the ones already used. Presenting a
used one means a token was copied: the whole family ends, and with it every access token of it.
Ending a family (sign-out) or every family of a user (password reset) is what revokes access
tokens, which are checked against the store on use.

Only SHA-256 digests of refresh tokens are stored. Time is passed in (the caller's clock).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from otp_flow.stores.base import OTPStore

__all__ = [
    "USED_DIGESTS_KEPT",
    "MemoryTokenStore",
    "RotateOutcome",
    "TokenStore",
    "token_store_beside",
]

RotateOutcome = Literal["rotated", "reused", "unknown"]

#: How many used refresh tokens per family are remembered for reuse detection. An older one
#: presented again is still refused ("unknown"), it just no longer ends the family.
USED_DIGESTS_KEPT = 64


@runtime_checkable
class TokenStore(Protocol):
    async def start_family(
        self,
        *,
        user_id: str,
        family_id: str,
        client_id: str,
        refresh_digest: str,
        now_ms: int,
        expires_ms: int,
    ) -> None:
        """Record a new sign-in whose first refresh token has ``refresh_digest``."""
        ...

    async def rotate(
        self,
        *,
        user_id: str,
        family_id: str,
        client_id: str,
        presented_digest: str,
        new_digest: str,
        now_ms: int,
        expires_ms: int,
    ) -> RotateOutcome:
        """Atomically: the current token is replaced by ``new_digest`` ("rotated"); a used one
        ends the family ("reused"); anything else changes nothing ("unknown")."""
        ...

    async def is_live(self, *, user_id: str, family_id: str, now_ms: int) -> bool: ...

    async def end_family(self, *, user_id: str, family_id: str) -> None: ...

    async def end_user(self, user_id: str) -> None:
        """End every family of ``user_id`` (password reset)."""
        ...


@dataclass(slots=True)
class _Family:
    client_id: str
    current: str
    expires_ms: int
    used: list[str] = field(default_factory=list)


class MemoryTokenStore:
    """Families in this process only: for tests and single-worker apps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, dict[str, _Family]] = {}

    async def start_family(
        self,
        *,
        user_id: str,
        family_id: str,
        client_id: str,
        refresh_digest: str,
        now_ms: int,
        expires_ms: int,
    ) -> None:
        with self._lock:
            families = {
                fid: f for fid, f in self._users.get(user_id, {}).items() if f.expires_ms > now_ms
            }
            families[family_id] = _Family(client_id, refresh_digest, expires_ms)
            self._users[user_id] = families

    async def rotate(
        self,
        *,
        user_id: str,
        family_id: str,
        client_id: str,
        presented_digest: str,
        new_digest: str,
        now_ms: int,
        expires_ms: int,
    ) -> RotateOutcome:
        with self._lock:
            families = self._users.get(user_id, {})
            family = families.get(family_id)
            if family is None or family.expires_ms <= now_ms or family.client_id != client_id:
                return "unknown"
            if family.current == presented_digest:
                family.used = [family.current, *family.used][:USED_DIGESTS_KEPT]
                family.current = new_digest
                family.expires_ms = expires_ms
                return "rotated"
            if presented_digest in family.used:
                del families[family_id]
                return "reused"
            return "unknown"

    async def is_live(self, *, user_id: str, family_id: str, now_ms: int) -> bool:
        family = self._users.get(user_id, {}).get(family_id)
        return family is not None and family.expires_ms > now_ms

    async def end_family(self, *, user_id: str, family_id: str) -> None:
        with self._lock:
            self._users.get(user_id, {}).pop(family_id, None)

    async def end_user(self, user_id: str) -> None:
        with self._lock:
            self._users.pop(user_id, None)


def token_store_beside(store: OTPStore) -> TokenStore:
    """Token families beside the codes: in the same Redis when ``store`` is a ``RedisStore``."""
    from otp_flow.stores.redis import RedisStore  # only deployments with Redis import redis code

    if isinstance(store, RedisStore):
        from otp_flow.tokens._redis import RedisTokenStore

        return RedisTokenStore(store)
    return MemoryTokenStore()
