"""Fail closed: while Redis is down nothing verifies; when it is back, everything works again.

The one test of a stopped Redis below the HTTP layer (the store's and the engine's together);
the dialects' 503 bodies are tests/test_api_common.py's, the pages' tests/test_web_outage.py's,
and the same under load tests/test_fault_drills.py's.
"""

from __future__ import annotations

import pytest
import redis.exceptions

from otp_flow import OTPEngine, StoreUnavailable
from otp_flow.stores.redis import RedisStore
from tests.conftest import FakeClock
from tests.redis_harness import RedisServer


async def test_redis_outage_fails_closed_and_recovers(
    private_redis: RedisServer, clock: FakeClock
) -> None:
    store = RedisStore.from_url(private_redis.url, socket_timeout=1.0)
    engine = OTPEngine(secret_keys=["k" * 32], store=store, clock=clock)
    try:
        sent = await engine.send("13612345678")

        private_redis.stop()
        with pytest.raises(StoreUnavailable) as raised:
            await engine.verify(sent.otp_token, sent.code)  # the right code, yet it fails
        # A stopped server refuses the connection: the store says so, it does not wait it out.
        assert isinstance(raised.value.__cause__, redis.exceptions.ConnectionError)
        with pytest.raises(StoreUnavailable):
            await engine.verify_recipient("13612345678", sent.code)
        with pytest.raises(StoreUnavailable):
            await engine.send("13612345679")
        with pytest.raises(StoreUnavailable):
            await store.ping()

        # A restart loses the (non-persistent) data; the same engine and store work again.
        private_redis.start()
        await store.ping()
        fresh = await engine.send("13612345679")
        result = await engine.verify(fresh.otp_token, fresh.code)
        assert result.recipient.value == "+8613612345679"
    finally:
        await engine.aclose()
