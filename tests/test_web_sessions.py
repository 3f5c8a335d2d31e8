"""The server-side session stores, memory and Redis, one suite."""

from __future__ import annotations

import pytest

from otp_flow.stores.base import OTPStore
from otp_flow.stores.redis import RedisStore
from otp_flow.web import MemorySessionStore, RedisSessionStore, SessionStore
from tests.conftest import FakeClock


@pytest.fixture
def sessions(store: OTPStore, clock: FakeClock) -> SessionStore:
    if isinstance(store, RedisStore):
        return RedisSessionStore(store, clock=clock)
    return MemorySessionStore(clock=clock)


async def test_create_get_delete(sessions: SessionStore, clock: FakeClock) -> None:
    one = await sessions.create("ann", ttl_seconds=100)
    two = await sessions.create("ann", ttl_seconds=100)
    bo = await sessions.create("bo", ttl_seconds=100)
    assert one.id != two.id and len(one.id) >= 40
    assert await sessions.get("ann", one.id) == one
    assert await sessions.get("bo", one.id) is None  # a session belongs to its user
    await sessions.delete("ann", one.id)
    assert await sessions.get("ann", one.id) is None
    assert await sessions.get("ann", two.id) == two
    await sessions.delete_user("ann")
    assert await sessions.get("ann", two.id) is None
    assert await sessions.get("bo", bo.id) == bo


async def test_sessions_expire_by_the_clock(sessions: SessionStore, clock: FakeClock) -> None:
    session = await sessions.create("ann", ttl_seconds=100)
    clock.advance(99)
    assert await sessions.get("ann", session.id) is not None
    clock.advance(1)
    assert await sessions.get("ann", session.id) is None
    fresh = await sessions.create("ann", ttl_seconds=100)  # sweeps the expired one
    assert await sessions.get("ann", fresh.id) == fresh


async def test_redis_keeps_only_digests(redis_store: RedisStore, clock: FakeClock) -> None:
    sessions = RedisSessionStore(redis_store, clock=clock)
    session = await sessions.create("ann", ttl_seconds=100)
    keys = [k.decode() for k in await redis_store.redis.keys("*")]
    assert keys == ["otp:{web:sessions}:user:ann"]
    stored = await redis_store.redis.hgetall(keys[0])
    assert session.id.encode() not in b" ".join([*stored, *stored.values()])
    assert 0 < await redis_store.redis.ttl(keys[0]) <= 100


async def test_redis_drops_a_users_expired_sessions_when_one_starts(
    redis_store: RedisStore, clock: FakeClock
) -> None:
    sessions = RedisSessionStore(redis_store, clock=clock)
    old = await sessions.create("ann", ttl_seconds=100)
    kept = await sessions.create("ann", ttl_seconds=150)
    clock.advance(100)  # old has just expired (its expiry is not after now), kept has not
    new = await sessions.create("ann", ttl_seconds=100)
    key = "otp:{web:sessions}:user:ann"
    assert await redis_store.redis.hlen(key) == 2
    assert await sessions.get("ann", old.id) is None
    assert await sessions.get("ann", kept.id) == kept
    assert await sessions.get("ann", new.id) == new
    assert 100 - 1 <= await redis_store.redis.ttl(key) <= 100
