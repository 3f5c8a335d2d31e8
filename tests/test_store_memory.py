"""The memory store's own promise: it holds only what an enabled limit or a live code needs,
and sweeps the rest as it is used, a bounded amount per call (F3)."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from otp_flow import Limits, OTPEngine, RequesterLimits
from otp_flow.errors import CodeExpired, NoChallenge
from otp_flow.stores.memory import MemoryStore
from tests.conftest import FakeClock
from tests.test_store_contract import MINUTE, T, issue_request


def _allocated() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def test_a_codes_state_is_gone_when_its_longest_enabled_window_ends(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    limits = Limits(recipient_per_hour=0, recipient_per_day=0)  # only the minute window is on
    engine = OTPEngine(secret_keys=["k" * 32], store=store, clock=clock, limits=limits)
    sent = await engine.send("13612345678")
    clock.advance(60)  # the code has expired; the state is still there until it is swept
    with pytest.raises(CodeExpired):
        await engine.verify_recipient("13612345678", sent.code)
    clock.advance(1)  # past the minute window's end (T0 is on a whole minute)
    await engine.send("13612345679")  # any later call sweeps
    with pytest.raises(NoChallenge):  # gone, not merely expired
        await engine.verify_recipient("13612345678", sent.code)


async def test_memory_follows_the_enabled_limits_not_the_calendar(clock: FakeClock) -> None:
    """20,000 sends with every limit off: the store holds roughly one code lifetime's worth."""
    store = MemoryStore()
    engine = OTPEngine(
        secret_keys=["k" * 32],
        store=store,
        clock=clock,
        limits=Limits.off(),
        requester_limits=RequesterLimits.off(),
    )
    for n in range(20_000):
        await engine.send(f"1360000{n % 10_000:04d}", usage="signup" if n >= 10_000 else "login")
        clock.advance(0.05)  # 1,000 s in all; a code lives 60 s: about 1,200 alive at a time
    held = len(store._recipients)
    assert held <= 1_500, held


async def test_requester_entries_go_when_their_windows_end(clock: FakeClock) -> None:
    store = MemoryStore()
    limits = RequesterLimits(sends_per_day=0, recipient_per_day=0, window_seconds=600)
    engine = OTPEngine(secret_keys=["k" * 32], store=store, clock=clock, requester_limits=limits)
    for n in range(50):
        await engine.send(f"1360001{n:04d}", requester=f"10.0.{n}.1")
    clock.advance(601)
    await engine.send("13600020000", requester="10.1.0.1")
    assert list(store._requesters) == [("default", "10.1.0.1")]


async def test_long_lived_entries_do_not_shield_expired_ones_from_the_sweep(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    whole_day = OTPEngine(secret_keys=["k" * 32], store=store, clock=clock)
    minute_only = OTPEngine(
        secret_keys=["k" * 32],
        store=store,
        clock=clock,
        limits=Limits(recipient_per_hour=0, recipient_per_day=0),
    )
    for n in range(100):  # first in line, and needed until the end of the day
        await whole_day.send(f"1360003{n:04d}")
    for n in range(100):
        await minute_only.send(f"1360004{n:04d}")
    clock.advance(120)
    for n in range(10):
        await minute_only.send(f"1360005{n:04d}")
    assert len(store._recipients) == 100 + 10


async def test_the_store_returns_to_its_starting_size_after_its_codes_expire() -> None:
    # A dict keeps its table at its peak size after deletions: a burst of codes, once expired
    # and swept, must not leave the store holding that table (measured, not timed). The store
    # alone is driven, so no cache of the engine's counts.
    store = MemoryStore()
    probe = "+8613900000000"
    await store.issue(issue_request(T, recipient=probe))  # every lazy structure exists
    tracemalloc.start()
    try:
        start = _allocated()
        for n in range(20_000):
            await store.issue(issue_request(T, recipient=f"+86136{n:08d}", minute=5))
        assert _allocated() - start > 2_000_000  # the burst really took room
        later = T + 2 * MINUTE  # past every code and its minute window
        for step in range(20_000 // 64 + 10):  # a trickle of traffic sweeps a batch per call
            await store.issue(issue_request(later + step, recipient=probe))
        assert len(store._recipients) == 1
        retained = _allocated() - start
    finally:
        tracemalloc.stop()
    assert retained < 4096  # stray allocations, not a table kept at its peak


async def test_days_of_traffic_leave_no_residue_outside_the_store(clock: FakeClock) -> None:
    # Each send works out its calendar day in the engine's time zone. CPython keeps ~20 KiB
    # allocated after `.timestamp()` on a few hundred aware datetimes, which the store's
    # size-after-expiry figure (bench/memory_store.py) counted as the store's; the day's end
    # is computed without it. The engine's per-minute cache is filled first: it is bounded.
    store = MemoryStore()
    engine = OTPEngine(secret_keys=["k" * 32], store=store, clock=clock)
    probe = "+8613900000000"
    for _ in range(20):  # more distinct minutes than the cache holds
        clock.advance(3601)  # one send an hour: within every limit of the number
        await engine.send(probe)
    tracemalloc.start()
    try:
        start = _allocated()
        for _ in range(400):
            clock.advance(3601)
            await engine.send(probe)
        retained = _allocated() - start
    finally:
        tracemalloc.stop()
    assert len(store._recipients) == 1
    assert retained < 16384  # bench/memory_store.py's bound; ~31 KB with `.timestamp()`
