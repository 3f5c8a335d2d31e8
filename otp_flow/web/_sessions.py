"""Server-side sessions: the cookie holds only (user id, session id), signed.

Because the truth is on the server, signing out really ends a session (a copied cookie stops
working) and a password reset can end every session of a user at once. Sessions live per user
(a Redis hash ``user id -> {session digest: expiry}``), so "end all of this user's sessions" is a
single command and no index has to be kept in step. Only a SHA-256 digest of each session id is
stored: whoever reads the store cannot replay the ids.

Expiry follows the injected clock (tests move time instead of sleeping); Redis key TTLs only
collect garbage.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from otp_flow.stores._redis_support import RedisKeyspace, commands, load_script, unavailable
from otp_flow.types import Clock, system_clock

__all__ = ["MemorySessionStore", "RedisSessionStore", "Session", "SessionStore"]

#: Who failed, in the StoreUnavailable of an outage.
_STORE = "the session store"


@dataclass(frozen=True, slots=True)
class Session:
    user_id: str
    id: str
    expires_at: float


@runtime_checkable
class SessionStore(Protocol):
    async def create(self, user_id: str, *, ttl_seconds: int) -> Session: ...

    async def get(self, user_id: str, session_id: str) -> Session | None: ...

    async def delete(self, user_id: str, session_id: str) -> None: ...

    async def delete_user(self, user_id: str) -> None:
        """End every session of ``user_id``."""
        ...


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class MemorySessionStore:
    """Sessions in this process only: for the demo, tests and single-worker apps."""

    def __init__(self, *, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._users: dict[str, dict[str, float]] = {}

    async def create(self, user_id: str, *, ttl_seconds: int) -> Session:
        now = self._clock()
        session = Session(user_id, _new_id(), now + ttl_seconds)
        with self._lock:
            live = {d: e for d, e in self._users.get(user_id, {}).items() if e > now}
            live[_digest(session.id)] = session.expires_at
            self._users[user_id] = live
        return session

    async def get(self, user_id: str, session_id: str) -> Session | None:
        expires = self._users.get(user_id, {}).get(_digest(session_id))
        if expires is None or expires <= self._clock():
            return None
        return Session(user_id, session_id, expires)

    async def delete(self, user_id: str, session_id: str) -> None:
        with self._lock:
            self._users.get(user_id, {}).pop(_digest(session_id), None)

    async def delete_user(self, user_id: str) -> None:
        with self._lock:
            self._users.pop(user_id, None)


class RedisSessionStore:
    """Sessions in Redis, shared by every worker; keys under ``keyspace``'s prefix function."""

    def __init__(
        self,
        keyspace: RedisKeyspace,
        *,
        namespace: str = "web:sessions",
        clock: Clock = system_clock,
    ) -> None:
        self._keyspace = keyspace
        self._ns = namespace
        self._clock = clock
        self._client = commands(keyspace.redis)
        self._create = load_script(self._client, "otp_flow.web", "create_session.lua")

    def _key(self, user_id: str) -> str:
        return self._keyspace.key(self._ns, "user", user_id)

    async def create(self, user_id: str, *, ttl_seconds: int) -> Session:
        now = self._clock()
        session = Session(user_id, _new_id(), now + ttl_seconds)
        # One script: the expired sessions go and the new one comes in one round trip.
        args = (repr(now), _digest(session.id), repr(session.expires_at), ttl_seconds)
        with unavailable(_STORE):
            await self._create(keys=(self._key(user_id),), args=args)
        return session

    async def get(self, user_id: str, session_id: str) -> Session | None:
        with unavailable(_STORE):
            expires = await self._client.hget(self._key(user_id), _digest(session_id))
        if expires is None or float(expires) <= self._clock():
            return None
        return Session(user_id, session_id, float(expires))

    async def delete(self, user_id: str, session_id: str) -> None:
        with unavailable(_STORE):
            await self._client.hdel(self._key(user_id), _digest(session_id))

    async def delete_user(self, user_id: str) -> None:
        with unavailable(_STORE):
            await self._client.delete(self._key(user_id))
