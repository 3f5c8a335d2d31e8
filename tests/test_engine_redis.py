"""What the engine leaves in Redis and how it talks to it: digests, never a code (neither the
code sent nor a wrong one tried), and one command per send and per verify, with or without a
requester (every per-requester limit is counted inside the same script)."""

from __future__ import annotations

from collections import Counter

import pytest

from otp_flow import Limits, OTPEngine, RequesterLimits, WrongCode
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
        else:
            pytest.fail(f"unexpected {kind} key {key!r}")
    return found


async def test_no_plaintext_code_is_ever_stored(redis_store: RedisStore, clock: FakeClock) -> None:
    engine = OTPEngine(secret_keys=["k" * 32], store=redis_store, clock=clock, limits=Limits.off())
    codes = set()
    for n in range(200):
        # Caller-chosen 8-digit codes: long enough that a chance match with a packed binary
        # field or a number elsewhere is not a worry, and known to the test.
        code = f"{73_000_000 + n * 7919:08d}"
        wrong = f"{74_000_000 + n * 7919:08d}"
        sent = await engine.send(f"1361234{n:04d}", code=code)
        await engine.send(f"user{n}@example.com", code=code, usage="signup")
        with pytest.raises(WrongCode):
            await engine.verify(sent.otp_token, wrong)  # a failure is counted, not the guess
        codes |= {code.encode(), wrong.encode()}
    stored = await _everything_in(redis_store)
    assert len(stored) > 400  # the scan really saw the pending codes
    for blob in stored:
        for code in codes:
            assert code not in blob


@pytest.mark.parametrize("requester", [None, "127.0.0.2"])
async def test_one_redis_command_per_send_and_per_verify(
    redis_store: RedisStore, clock: FakeClock, requester: str | None
) -> None:
    engine = OTPEngine(secret_keys=["k" * 32], store=redis_store, clock=clock)
    warm = await engine.send("13612345670", requester=requester)  # scripts loaded, pool open
    await engine.verify(warm.otp_token, warm.code, requester=requester)
    clock.advance(31)

    async def calls() -> Counter[str]:
        stats = await redis_store.redis.info("commandstats")
        return Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()})

    def client_commands(delta: Counter[str]) -> Counter[str]:
        # INFO commandstats also counts what a script runs inside Redis; those are not round
        # trips. What the client sent is the scripts and anything outside SCRIPT_INTERNAL.
        return Counter({k: n for k, n in delta.items() if k not in SCRIPT_INTERNAL | {"info"}})

    before = await calls()
    sent = await engine.send("13612345678", usage="signup", requester=requester)
    after_send = await calls()
    await engine.verify(sent.otp_token, sent.code, requester=requester)
    after_verify = await calls()
    assert client_commands(after_send - before) == Counter({"evalsha": 1})
    assert client_commands(after_verify - after_send) == Counter({"evalsha": 1})
    if requester is not None:
        assert sent.requester is not None and sent.requester.day_count == 2


async def test_a_codes_state_lives_only_as_long_as_its_longest_enabled_window(
    redis_store: RedisStore, clock: FakeClock
) -> None:
    """F3: with the hour and day limits off, a 60 s code's key goes with the minute window."""
    limits = Limits(recipient_per_hour=0, recipient_per_day=0)
    engine = OTPEngine(secret_keys=["k" * 32], store=redis_store, clock=clock, limits=limits)
    sent = await engine.send("13612345678", requester="127.0.0.2")
    recipient_key = redis_store.key("default", "r", sent.recipient.value)
    assert 0 < await redis_store.redis.pttl(recipient_key) <= 60_000
    # With every limit on, the day window is enabled, and the key lasts to the end of the day.
    engine.limits = Limits()
    clock.advance(31)
    await engine.send("13612345678")
    assert await redis_store.redis.pttl(recipient_key) > 3_600_000
    # The requester's entry lasts as long as its longest window: its day (the default limits).
    requester_key = redis_store.key("default", "a", "127.0.0.2")
    assert 3_600_000 < await redis_store.redis.pttl(requester_key) <= 86_400_000
    engine.requester_limits = RequesterLimits(sends_per_day=0, recipient_per_day=0)
    other_key = redis_store.key("default", "a", "127.0.0.3")
    await engine.send("13612345679", requester="127.0.0.3")
    assert 0 < await redis_store.redis.pttl(other_key) <= 3_600_000
