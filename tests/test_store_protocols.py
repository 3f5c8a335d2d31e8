"""The store protocols are narrow: ``OTPStore`` is what the engine needs for codes; nonces,
throttles and the dev outbox are protocols of their own, which the shipped stores also
implement, and the web layer reaches them through the engine (an ``OTPEngine`` is a
``NonceStore`` and a ``ThrottleStore``)."""

from __future__ import annotations

import pytest

from otp_flow import OTPEngine
from otp_flow.stores import MemoryStore, NonceStore, OTPStore, OutboxStore, ThrottleStore
from otp_flow.stores.base import IssueOutcome, IssueRequest, VerifyOutcome, VerifyRequest
from otp_flow.stores.redis import RedisStore
from otp_flow.types import Channel, Usage
from otp_flow.web.api._yunpian import rate_limit_stats
from tests.conftest import FakeClock

KEY = "k" * 32
MINUTE_MS = 60_000


class CodesOnly:
    """A store for codes only, as an application may write: ``OTPStore`` and nothing more."""

    def __init__(self) -> None:
        self._inner = MemoryStore()

    async def issue(self, request: IssueRequest) -> IssueOutcome:
        return await self._inner.issue(request)

    async def verify(self, request: VerifyRequest) -> VerifyOutcome:
        return await self._inner.verify(request)

    async def cancel(
        self,
        *,
        client_id: str,
        recipient: str,
        usage: Usage,
        channel: Channel,
        challenge_id: str,
        refund_quota: bool,
    ) -> None:
        await self._inner.cancel(
            client_id=client_id,
            recipient=recipient,
            usage=usage,
            channel=channel,
            challenge_id=challenge_id,
            refund_quota=refund_quota,
        )

    async def quota_used(self, client_id: str, channel: Channel) -> int:
        return await self._inner.quota_used(client_id, channel)

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


@pytest.mark.parametrize("store_class", [MemoryStore, RedisStore])
@pytest.mark.parametrize("protocol", [OTPStore, NonceStore, ThrottleStore, OutboxStore])
def test_the_shipped_stores_implement_every_protocol(store_class: type, protocol: type) -> None:
    assert issubclass(store_class, protocol)


def test_a_codes_only_store_is_an_otp_store_and_nothing_more() -> None:
    store = CodesOnly()
    assert isinstance(store, OTPStore)
    assert not isinstance(store, NonceStore | ThrottleStore | OutboxStore)


async def test_the_engine_remembers_nonces_in_its_store(clock: FakeClock) -> None:
    store = MemoryStore()
    engine = OTPEngine(secret_keys=[KEY], store=store, clock=clock)
    assert isinstance(engine, NonceStore)
    assert await engine.remember_nonce("s", "n", now_ms=0, ttl_ms=MINUTE_MS)
    assert not await engine.remember_nonce("s", "n", now_ms=1, ttl_ms=MINUTE_MS)
    # The same state another worker's engine (or the store itself) sees.
    assert not await store.remember_nonce("s", "n", now_ms=2, ttl_ms=MINUTE_MS)


async def test_the_engine_throttles_in_its_store(clock: FakeClock) -> None:
    store = MemoryStore()
    engine = OTPEngine(secret_keys=[KEY], store=store, clock=clock)
    assert isinstance(engine, ThrottleStore)
    first = await engine.throttle("s", "k", now_ms=0, window_ms=MINUTE_MS, limit=1)
    second = await engine.throttle("s", "k", now_ms=1, window_ms=MINUTE_MS, limit=1)
    assert first.allowed and not second.allowed and second.retry_after_ms == MINUTE_MS - 1
    await engine.clear_throttle("s", "k")
    assert (await store.throttle("s", "k", now_ms=2, window_ms=MINUTE_MS, limit=1)).allowed


async def test_an_engine_on_a_codes_only_store_takes_nonces_and_throttles_apart(
    clock: FakeClock,
) -> None:
    bare = OTPEngine(secret_keys=[KEY], store=CodesOnly(), clock=clock)
    await bare.send("13612345678")  # codes need nothing more
    with pytest.raises(TypeError, match="nonces="):
        await bare.remember_nonce("s", "n", now_ms=0, ttl_ms=MINUTE_MS)
    with pytest.raises(TypeError, match="throttles="):
        await bare.throttle("s", "k", now_ms=0, window_ms=MINUTE_MS, limit=1)
    beside = MemoryStore()
    engine = OTPEngine(
        secret_keys=[KEY], store=CodesOnly(), clock=clock, nonces=beside, throttles=beside
    )
    assert await engine.remember_nonce("s", "n", now_ms=0, ttl_ms=MINUTE_MS)
    assert not await beside.remember_nonce("s", "n", now_ms=1, ttl_ms=MINUTE_MS)
    await engine.throttle("s", "k", now_ms=0, window_ms=MINUTE_MS, limit=1)
    assert not (await beside.throttle("s", "k", now_ms=1, window_ms=MINUTE_MS, limit=1)).allowed


def test_yunpian_stats_without_known_windows_are_empty() -> None:
    assert rate_limit_stats(None) == {}
