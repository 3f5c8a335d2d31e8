"""The memory store's size: bytes per pending code, and whether it shrinks back once they expire.

    python -m bench.memory_store [--pending N]

Through ``OTPEngine`` with production's default limits (the app-per-day one raised out of the
way) and a clock the script moves: ``--pending`` codes to as many phone numbers, then the clock
two days on (past every code, rate-limit window and day), then the trickle of traffic a live
store gets (sends to one other number), which sweeps a bounded number of stale entries each.
Memory is what ``tracemalloc`` counts as allocated after a full ``gc.collect()``, the driver
holding nothing of what it sent; the phone parse is skipped (``Recipient`` given), so its LRU
cache does not count.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):  # `python bench/memory_store.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import CLIENT, SECRET_KEY, command_line, machine, phone, save_section
from otp_flow.engine import OTPEngine
from otp_flow.policy import Limits
from otp_flow.stores.memory import MemoryStore
from otp_flow.types import Recipient

#: 2026-01-01 00:00 UTC, a fixed start.
T0 = 1_767_225_600.0
DAY = 86_400


class SteppedClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _allocated() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def _measure(pending: int) -> dict[str, object]:
    clock = SteppedClock()
    store = MemoryStore()
    engine = OTPEngine(
        secret_keys=[SECRET_KEY],
        store=store,
        limits=Limits(app_per_day=10**9),
        clients=[CLIENT],
        clock=clock,
    )
    probe = Recipient("sms", "+8613900000000")
    await engine.send(probe, client_id=CLIENT.id)  # warm: every lazy structure exists
    clock.now += DAY
    await engine.send(probe, client_id=CLIENT.id)
    start = _allocated()
    entries_at_start = len(store._recipients)
    for index in range(pending):
        await engine.send(Recipient("sms", "+86" + phone(index)), client_id=CLIENT.id)
    full = _allocated()
    entries_full = len(store._recipients)
    clock.now += 2 * DAY
    trickle = 0
    # Each send sweeps a bounded batch; stop when the store is back to its starting entries or
    # after twice the sends that sweeping everything should take.
    while len(store._recipients) > entries_at_start and trickle < 2 * pending:
        clock.now += 3601  # one send an hour: within every limit of the number it goes to
        await engine.send(probe, client_id=CLIENT.id)
        trickle += 1
    end = _allocated()
    return {
        "pending_codes": pending,
        "allocated_start": start,
        "allocated_full": full,
        "allocated_after_expiry": end,
        "bytes_per_pending_code": (full - start) / pending,
        "entries_start": entries_at_start,
        "entries_full": entries_full,
        "entries_after_expiry": len(store._recipients),
        "trickle_sends": trickle,
        "residue_bytes": end - start,
        # Within 16 KiB of the start: a few stray allocations, not a table kept at its peak.
        "returned_to_start": len(store._recipients) <= entries_at_start and end - start < 16384,
    }


def run(*, pending: int = 100_000) -> dict[str, object]:
    tracemalloc.start()
    try:
        figures = asyncio.run(_measure(pending))
    finally:
        tracemalloc.stop()
    return {"command": command_line(), "machine": machine(), **figures}


def report(figures: dict[str, object]) -> None:
    print(
        f"\nmemory store: {figures['pending_codes']:,} pending codes, "
        f"{figures['bytes_per_pending_code']:.0f} bytes each (tracemalloc); entries "
        f"{figures['entries_start']} -> {figures['entries_full']:,} -> "
        f"{figures['entries_after_expiry']} after expiry and {figures['trickle_sends']:,} "
        f"further sends; allocated {figures['allocated_start']:,} -> "
        f"{figures['allocated_full']:,} -> {figures['allocated_after_expiry']:,} bytes"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pending", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.pending < 1:
        parser.error("--pending must be positive")
    figures = run(pending=args.pending)
    report(figures)
    save_section("memory_store", figures)


if __name__ == "__main__":
    main()
