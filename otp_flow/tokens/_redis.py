"""Refresh-token families in Redis, beside the codes: one hash per user.

    <prefix>{api:tokens}:user:<user id>    hash: family id -> JSON (layout in start_family.lua)

Starting a family and rotating a refresh token are one Lua script each (``lua/*.lua``); ending a
family is one HDEL and ending every family of a user one DEL, so a password reset revokes
everything at once. Every key carries the ``namespace`` hash tag (Redis Cluster).
"""

from __future__ import annotations

import json

from otp_flow.errors import StoreUnavailable
from otp_flow.stores._redis_support import (
    RedisKeyspace,
    commands,
    load_script,
    unavailable,
    unexpected_reply,
)
from otp_flow.tokens._store import USED_DIGESTS_KEPT, RotateOutcome

__all__ = ["RedisTokenStore"]

_OUTCOMES: dict[bytes, RotateOutcome] = {
    b"rotated": "rotated",
    b"reused": "reused",
    b"unknown": "unknown",
}
#: Who failed, in the StoreUnavailable of an outage.
_STORE = "the token store"


class RedisTokenStore:
    """``keyspace``: the ``RedisStore`` (its client and its key prefix function). The default
    tag has a colon, which no client id may contain, so it cannot meet a client's keys."""

    def __init__(self, keyspace: RedisKeyspace, *, namespace: str = "api:tokens") -> None:
        self._keyspace = keyspace
        self._ns = namespace
        self._client = commands(keyspace.redis)
        self._start = load_script(self._client, "otp_flow.tokens", "start_family.lua")
        self._rotate = load_script(self._client, "otp_flow.tokens", "rotate.lua")

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
        with unavailable(_STORE):
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
        with unavailable(_STORE):
            answer = await self._rotate(keys=[self._key(user_id)], args=args)
        outcome = _OUTCOMES.get(answer)
        if outcome is None:
            raise unexpected_reply(answer)
        return outcome

    async def is_live(self, *, user_id: str, family_id: str, now_ms: int) -> bool:
        with unavailable(_STORE):
            raw = await self._client.hget(self._key(user_id), family_id)
        if raw is None:
            return False
        try:
            expires = json.loads(raw)["e"]
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreUnavailable("a token family in Redis is unreadable") from exc
        return isinstance(expires, int | float) and expires > now_ms

    async def end_family(self, *, user_id: str, family_id: str) -> None:
        with unavailable(_STORE):
            await self._client.hdel(self._key(user_id), family_id)

    async def end_user(self, user_id: str) -> None:
        with unavailable(_STORE):
            await self._client.delete(self._key(user_id))
