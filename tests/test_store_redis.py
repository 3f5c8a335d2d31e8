"""What only the Redis store must prove: atomicity under concurrency, its memory budget,
surviving SCRIPT FLUSH, and a restart costing no request.

Proven elsewhere, once each: one round trip per send and per verify and no plaintext code at
rest (tests/test_engine_redis.py, through the engine that callers use); a stopped Redis failing
fast and healing (tests/test_engine_outage.py); a frozen one ending in the socket timeout, 503
and recovery (tests/test_fault_drills.py); which failures count as an outage, a connection torn
down under a command among them (tests/test_redis_support.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from otp_flow.stores.redis import RedisStore
from tests.redis_harness import RedisServer
from tests.test_store_contract import MINUTE, PHONE, T, issue_request, verify_request

#: The commands issue.lua / verify.lua / cancel.lua run *inside* Redis; INFO commandstats
#: counts those too, so they are told apart from commands the client sends.
SCRIPT_INTERNAL = {
    "hmget", "get", "hget", "hset", "hdel", "hkeys", "pttl", "pexpire", "incr", "hincrby",
}  # fmt: skip


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A second connection for INFO, so measuring does not add to what is measured."""
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def command_calls(admin: aioredis.Redis) -> Counter[str]:
    stats = await admin.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})


# --- atomicity under concurrency ----------------------------------------------------------


async def test_concurrent_sends_pass_a_limit_exactly_limit_times(redis_store: RedisStore) -> None:
    outcomes = await asyncio.gather(
        *(redis_store.issue(issue_request(T + n, minute=7)) for n in range(1_000))
    )
    assert sum(o.accepted for o in outcomes) == 7
    assert {o.refused_by for o in outcomes if not o.accepted} == {"recipient_per_minute"}
    assert await redis_store.quota_used("demo", "sms") == 7


async def test_concurrent_verifies_of_one_code_verify_once(redis_store: RedisStore) -> None:
    await redis_store.issue(issue_request())
    outcomes = await asyncio.gather(*(redis_store.verify(verify_request(T + 1)) for _ in range(50)))
    assert Counter(o.status for o in outcomes) == {"verified": 1, "no_challenge": 49}


async def test_concurrent_wrong_guesses_never_pass_the_limit(redis_store: RedisStore) -> None:
    await redis_store.issue(issue_request(max_failures=5))
    outcomes = await asyncio.gather(
        *(redis_store.verify(verify_request(T + 1, code=f"{n:06d}")) for n in range(200))
    )
    assert Counter(o.status for o in outcomes) == {"wrong": 5, "exceeded": 195}
    assert sorted(o.failures for o in outcomes if o.status == "wrong") == [1, 2, 3, 4, 5]
    assert {o.failures for o in outcomes if o.status == "exceeded"} == {5}
    right = await redis_store.verify(verify_request(T + 2))
    assert (right.status, right.failures) == ("exceeded", 5)


# --- memory ---------------------------------------------------------------------------------------


async def test_memory_per_pending_code(
    redis_store: RedisStore, redis_url: str, admin: aioredis.Redis
) -> None:
    # One connection: Redis keeps a read buffer of up to 16 KiB+ per busy connection for a
    # while, which would swamp the measurement (100 connections ~ 160 bytes per code here).
    store = RedisStore.from_url(redis_url, max_connections=1)
    limits = {"minute": 10, "hour": 30, "day": 30, "app_day": 100_000, "resend": 30_000}

    async def send(count: int, phone_prefix: str) -> None:
        for start in range(0, count, 500):
            await asyncio.gather(
                *(
                    store.issue(
                        issue_request(recipient=f"{phone_prefix}{n:08d}", quota=10**6, **limits)
                    )
                    for n in range(start, min(start + 500, count))
                )
            )

    try:
        await send(100, "+86135")  # warm-up: scripts, the connection, app-day and quota keys
        pending = 10_000
        before = (await admin.info("memory"))["used_memory"]
        await send(pending, "+86136")
        after = (await admin.info("memory"))["used_memory"]
    finally:
        await store.aclose()
    per_code = (after - before) / pending
    print(f"\nRedis memory per pending code: {per_code:.1f} bytes")
    assert per_code <= 250


async def test_scripts_survive_script_flush(redis_store: RedisStore) -> None:
    store = redis_store
    await store.redis.script_flush()
    first = issue_request()
    assert (await store.issue(first)).accepted
    await store.redis.script_flush()
    assert (await store.verify(verify_request(T + 1, code="000000"))).status == "wrong"
    await store.redis.script_flush()
    await store.cancel(
        client_id="demo",
        recipient=PHONE,
        usage="login",
        channel="sms",
        challenge_id=first.challenge_id,
        refund_quota=True,
    )
    assert await store.quota_used("demo", "sms") == 0
    await store.redis.script_flush()
    assert await store.remember_nonce("demo", "n", now_ms=T, ttl_ms=MINUTE)
    await store.redis.script_flush()
    await store.outbox_push("message", max_len=10)
    assert await store.outbox_list(10) == ["message"]


async def test_key_ttls_collect_garbage_relative_to_now(redis_store: RedisStore) -> None:
    store = redis_store
    # The engine's clock is a day ahead of Redis's: the TTLs must still be relative durations.
    now = T + 86_400_000 + 30 * MINUTE
    await store.issue(issue_request(now, app_day=100, day=100, resend=30_000))
    recipient_ttl = await store.redis.pttl(store.key("demo", "r", PHONE))
    day_ends = (now // 86_400_000 + 1) * 86_400_000
    assert day_ends - now - 5_000 < recipient_ttl <= day_ends - now
    app_ttl = await store.redis.pttl(store.key("demo", "d", str(now // 86_400_000)))
    assert day_ends - now - 5_000 < app_ttl <= day_ends - now
    assert await store.redis.pttl(store.key("demo", "q")) == -1  # quota is not a window


async def test_every_key_carries_the_client_hash_tag(redis_store: RedisStore) -> None:
    assert redis_store.key("demo", "r", PHONE) == "otp:{demo}:r:+8613612345678"
    assert redis_store.key("outbox") == "otp:{outbox}"
    for bad in ("", "a{b", "a}b"):
        with pytest.raises(ValueError, match="brace-free"):
            redis_store.key(bad, "r", PHONE)


async def test_invalid_requests_are_refused_before_redis(redis_store: RedisStore) -> None:
    with pytest.raises(ValueError, match="challenge_id"):
        await redis_store.issue(issue_request(challenge_id="0123"))
    with pytest.raises(ValueError, match="challenge_id"):
        await redis_store.issue(issue_request(challenge_id=str(2**48)))
    with pytest.raises(ValueError, match="max_failures"):
        await redis_store.issue(issue_request(max_failures=256))


# --- outages ---------------------------------------------------------------------------------


async def test_a_restart_between_requests_costs_no_request(private_redis: RedisServer) -> None:
    """Pooled connections go stale when Redis restarts while they sit idle; the first command
    on each is retried once on a fresh connection instead of failing a user's request. Ten at
    once, so every stale connection of the pool is used (one request after another would
    reuse one connection and prove the retry for that one only)."""
    store = RedisStore.from_url(private_redis.url)
    try:
        # Ten concurrent sends leave ten connections in the pool.
        first = await asyncio.gather(
            *(store.issue(issue_request(recipient=f"+86136000000{n:02d}")) for n in range(10))
        )
        assert all(o.accepted for o in first)
        private_redis.stop()
        private_redis.start()  # nothing was sent meanwhile: every pooled connection is stale
        again = await asyncio.gather(
            *(
                store.issue(issue_request(T + 1, recipient=f"+86137000000{n:02d}"))
                for n in range(10)
            )
        )
        assert all(o.accepted for o in again)
    finally:
        await store.aclose()
