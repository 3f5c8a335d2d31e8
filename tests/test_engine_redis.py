"""What the engine leaves in Redis: digests, never a code, and one command per operation."""

from __future__ import annotations

from collections import Counter

from otp_flow import Limits, OTPEngine
from otp_flow.stores.redis import RedisStore
from tests.conftest import FakeClock
from tests.test_store_redis import SCRIPT_INTERNAL


async def _everything_in(store: RedisStore) -> list[bytes]:
    """Every key and every stored byte string (hash fields and values, strings, lists)."""
    client = store.redis
    found: list[bytes] = []
    async for key in client.scan_iter(count=1000):
        found.append(key)
        kind = (await client.type(key)).decode()
        if kind == "hash":
            for field, value in (await client.hgetall(key)).items():
                found += [field, value]
        elif kind == "string":
            found.append(await client.get(key))
        elif kind == "list":
            found += await client.lrange(key, 0, -1)
    return found


async def test_no_plaintext_code_is_ever_stored(redis_store: RedisStore, clock: FakeClock) -> None:
    engine = OTPEngine(secret_keys=["k" * 32], store=redis_store, clock=clock, limits=Limits.off())
    codes = set()
    for n in range(200):
        # Caller-chosen 8-digit codes: long enough that a chance match with a packed binary
        # field or a number elsewhere is not a worry, and known to the test.
        code = f"{73_000_000 + n * 7919:08d}"
        await engine.send(f"1361234{n:04d}", code=code)
        await engine.send(f"user{n}@example.com", code=code, usage="signup")
        codes.add(code.encode())
    stored = await _everything_in(redis_store)
    assert len(stored) > 400  # the scan really saw the pending codes
    for blob in stored:
        for code in codes:
            assert code not in blob


async def test_one_redis_round_trip_per_send_and_per_verify(
    redis_store: RedisStore, clock: FakeClock
) -> None:
    engine = OTPEngine(secret_keys=["k" * 32], store=redis_store, clock=clock)
    warm = await engine.send("13612345670")  # both scripts loaded, connection open
    await engine.verify(warm.otp_token, warm.code)

    async def calls() -> Counter[str]:
        stats = await redis_store.redis.info("commandstats")
        return Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()})

    def client_commands(delta: Counter[str]) -> Counter[str]:
        # INFO commandstats also counts what a script runs inside Redis; those are not round
        # trips. What the client sent is the scripts and anything outside SCRIPT_INTERNAL.
        return Counter({k: n for k, n in delta.items() if k not in SCRIPT_INTERNAL | {"info"}})

    before = await calls()
    sent = await engine.send("13612345678")
    after_send = await calls()
    await engine.verify(sent.otp_token, sent.code)
    after_verify = await calls()
    assert client_commands(after_send - before) == Counter({"evalsha": 1})
    assert client_commands(after_verify - after_send) == Counter({"evalsha": 1})
