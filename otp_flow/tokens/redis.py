"""Refresh-token families in Redis, beside the codes: one hash per user.

    <prefix>{api:tokens}:user:<user id>    hash: family id -> JSON (layout in start_family.lua)

Starting a family and rotating a refresh token are one Lua script each (``lua/*.lua``); ending a
family is one HDEL and ending every family of a user one DEL, so a password reset revokes
everything at once. Every key carries the ``namespace`` hash tag (Redis Cluster).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from contextlib import AbstractContextManager
from importlib.resources import files
from typing import Protocol, cast

from otp_flow.errors import StoreUnavailable
from otp_flow.stores.redis_errors import redis_unavailable
from otp_flow.tokens.store import USED_DIGESTS_KEPT, RotateOutcome
from otp_flow.users import RedisKeyspace

__all__ = ["RedisTokenStore"]

_OUTCOMES: dict[bytes, RotateOutcome] = {
    b"rotated": "rotated",
    b"reused": "reused",
    b"unknown": "unknown",
}


class _Script(Protocol):
    def __call__(self, *, keys: Sequence[str], args: Sequence[str | int]) -> Awaitable[bytes]: ...


class _Commands(Protocol):
    def register_script(self, script: str) -> _Script: ...
    def hget(self, name: str, key: str) -> Awaitable[bytes | None]: ...
    def hdel(self, name: str, *keys: str) -> Awaitable[int]: ...
    def delete(self, *names: str) -> Awaitable[int]: ...


def _unavailable() -> AbstractContextManager[None]:
    return redis_unavailable("the token store (Redis) failed")


class RedisTokenStore:
    """``keyspace``: the ``RedisStore`` (its client and its key prefix function). The default
    tag has a colon, which no client id may contain, so it cannot meet a client's keys."""

    def __init__(self, keyspace: RedisKeyspace, *, namespace: str = "api:tokens") -> None:
        self._keyspace = keyspace
        self._ns = namespace
        self._client = cast(_Commands, keyspace.redis)
        lua = files("otp_flow.tokens") / "lua"
        self._start = self._client.register_script(
            (lua / "start_family.lua").read_text(encoding="utf-8")
        )
        self._rotate = self._client.register_script(
            (lua / "rotate.lua").read_text(encoding="utf-8")
        )

    def _key(self, user_id: str) -> str:
        return self._keyspace.key(self._ns, "user", user_id)

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
        family = json.dumps({"c": client_id, "d": refresh_digest, "e": expires_ms, "u": []})
        with _unavailable():
            await self._start(
                keys=[self._key(user_id)], args=[family_id, family, now_ms, expires_ms]
            )

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
        args: list[str | int] = [
            family_id,
            client_id,
            presented_digest,
            new_digest,
            now_ms,
            expires_ms,
            USED_DIGESTS_KEPT,
        ]
        with _unavailable():
            answer = await self._rotate(keys=[self._key(user_id)], args=args)
        outcome = _OUTCOMES.get(answer)
        if outcome is None:
            raise StoreUnavailable(f"unexpected reply from Redis: {answer!r}")
        return outcome

    async def is_live(self, *, user_id: str, family_id: str, now_ms: int) -> bool:
        with _unavailable():
            raw = await self._client.hget(self._key(user_id), family_id)
        if raw is None:
            return False
        try:
            expires = json.loads(raw)["e"]
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreUnavailable("a token family in Redis is unreadable") from exc
        return isinstance(expires, int | float) and expires > now_ms

    async def end_family(self, *, user_id: str, family_id: str) -> None:
        with _unavailable():
            await self._client.hdel(self._key(user_id), family_id)

    async def end_user(self, user_id: str) -> None:
        with _unavailable():
            await self._client.delete(self._key(user_id))
