"""What only the Redis store must prove: atomicity under concurrency, one round trip per call,
no plaintext at rest, its memory budget, surviving SCRIPT FLUSH, and failing fast in an outage.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from otp_flow.errors import StoreUnavailable
from otp_flow.stores.redis import RedisStore
from otp_flow.stores.redis_errors import redis_unavailable
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


# --- one round trip, no plaintext, memory ----------------------------------------------------


async def test_one_command_per_send_and_per_verify(
    redis_store: RedisStore, admin: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Warm up: the first call of a script may need SCRIPT LOAD.
    await redis_store.issue(issue_request(recipient="+8613700000000"))
    await redis_store.verify(verify_request(recipient="+8613700000000"))
    sent: list[Any] = []
    execute = redis_store.redis.execute_command

    async def counting(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[0])
        return await execute(*args, **kwargs)

    monkeypatch.setattr(redis_store.redis, "execute_command", counting)
    rounds = 20
    before = await command_calls(admin)
    for n in range(rounds):
        recipient = f"+86136000{n:05d}"
        request = issue_request(recipient=recipient, minute=10, hour=30, day=30, app_day=1000)
        assert (await redis_store.issue(request)).accepted
        assert (await redis_store.verify(verify_request(T + 1, recipient=recipient))).status == (
            "verified"
        )
    delta = await command_calls(admin) - before
    assert sent == ["EVALSHA"] * (2 * rounds)
    assert delta["evalsha"] == 2 * rounds
    client_sent = {name: n for name, n in delta.items() if name not in SCRIPT_INTERNAL}
    assert client_sent == {"evalsha": 2 * rounds, "info": 1}  # info: the "before" snapshot


async def test_no_plaintext_code_at_rest(redis_store: RedisStore) -> None:
    codes = [f"{(n * 7_919 + 104_729) % 900_000 + 100_000}" for n in range(300)]
    for n, code in enumerate(codes):
        recipient = f"+86139{n:08d}"
        await redis_store.issue(issue_request(recipient=recipient, code=code, minute=10))
        await redis_store.verify(verify_request(T + 1, recipient=recipient, code="000000"))
    stored: list[bytes] = []
    async for key in redis_store.redis.scan_iter(count=1_000):
        stored.append(key)
        kind = (await redis_store.redis.type(key)).decode()
        if kind == "hash":
            for field, value in (await redis_store.redis.hgetall(key)).items():
                stored += [field, value]
        elif kind == "string":
            stored.append(await redis_store.redis.get(key))
        else:
            pytest.fail(f"unexpected {kind} key {key!r}")
    assert len(stored) > 300
    blob = b"\n".join(stored)
    leaked = [code for code in codes if code.encode() in blob]
    assert leaked == []


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


async def test_outage_is_store_unavailable_and_heals_without_a_new_store(
    private_redis: RedisServer,
) -> None:
    store = RedisStore.from_url(private_redis.url)
    try:
        assert (await store.issue(issue_request())).accepted
        private_redis.stop()
        with pytest.raises(StoreUnavailable) as raised:
            await store.issue(issue_request(T + 1))
        # A stopped server refuses the connection: the store says so, it does not wait it out.
        assert isinstance(raised.value.__cause__, redis.exceptions.ConnectionError)
        for _ in range(3):
            with pytest.raises(StoreUnavailable):
                await store.verify(verify_request(T + 2))  # the right code, yet nothing verifies
        with pytest.raises(StoreUnavailable):
            await store.ping()
        private_redis.start()  # same port, empty (persistence is off)
        await store.ping()
        again = issue_request(T + 3)
        assert (await store.issue(again)).accepted
        check = verify_request(T + 4, challenge_id=again.challenge_id)
        assert (await store.verify(check)).status == "verified"
    finally:
        await store.aclose()


async def test_hung_server_times_out(private_redis: RedisServer) -> None:
    store = RedisStore.from_url(private_redis.url, socket_timeout=1.0)
    assert private_redis.process is not None
    try:
        await store.ping()
        private_redis.process.send_signal(signal.SIGSTOP)
        with pytest.raises(StoreUnavailable) as raised:
            await store.verify(verify_request())
        # The connection is open and nothing answers: only the socket timeout ends the wait.
        assert isinstance(raised.value.__cause__, redis.exceptions.TimeoutError)
        private_redis.process.send_signal(signal.SIGCONT)
        await store.ping()
        assert (await store.verify(verify_request())).status == "no_challenge"
    finally:
        private_redis.process.send_signal(signal.SIGCONT)
        await store.aclose()


async def test_a_restart_between_requests_costs_no_request(private_redis: RedisServer) -> None:
    """Pooled connections go stale when Redis restarts while they sit idle; the first command
    on each is retried once on a fresh connection instead of failing a user's request."""
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


async def test_a_connection_torn_down_under_a_command_is_an_outage_not_a_500() -> None:
    # What a task sees when another task closed the client under it (a Cluster client's
    # reinitialisation, test_store_cluster.py): redis-py writes to a writer that is gone.
    torn = aioredis.Connection()  # never connected, as after a close: no writer
    with pytest.raises(StoreUnavailable) as caught, redis_unavailable():
        await torn._send_packed_command([b"PING"])
    assert isinstance(caught.value.__cause__, AttributeError)
    with pytest.raises(StoreUnavailable), redis_unavailable():
        raise OSError("connection refused")
    # An AttributeError of our own making is a bug to see, not an outage to hide as a 503.
    with pytest.raises(AttributeError), redis_unavailable():
        _ = None.writelines  # type: ignore[attr-defined]
