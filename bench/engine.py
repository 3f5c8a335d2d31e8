"""The engine alone, no HTTP: sends and verifies per second on the memory store and on Redis.

    python -m bench.engine [--sends N] [--tasks N] [--repetitions N]

``--tasks`` coroutines share the work (64 by default, like the HTTP run's connections). Every send
goes to another phone number with rate limits off; each verify checks one of the codes just
sent, by its otp_token. "send" renders the message for a sender that discards it; "send, no
sender" is the engine handing the code back to its caller.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/engine.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    CLIENT,
    bench_engine,
    command_line,
    machine,
    median,
    phone,
    private_redis,
    save_section,
)
from bench.tokens import run_concurrently
from otp_flow.stores.base import OTPStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.stores.redis import RedisStore

OPERATIONS = ("send", "send, no sender", "verify")


async def one_round(store: OTPStore, first_phone: int, sends: int, tasks: int) -> dict[str, float]:
    """Operations per second of each operation over ``sends`` operations."""
    engine, quiet = bench_engine(store), bench_engine(store, render=False)
    pairs: list[tuple[str, str]] = [("", "")] * sends

    async def send(index: int) -> None:
        result = await engine.send(phone(first_phone + index), client_id=CLIENT.id)
        pairs[index] = (result.otp_token, result.code)

    async def send_quietly(index: int) -> None:
        await quiet.send(phone(first_phone + sends + index), client_id=CLIENT.id)

    async def verify(index: int) -> None:
        token, code = pairs[index]
        await engine.verify(token, code, client_id=CLIENT.id)

    rates: dict[str, float] = {}
    for name, job in zip(OPERATIONS, (send, send_quietly, verify), strict=True):
        started = time.perf_counter()
        await run_concurrently(sends, tasks, job)
        rates[name] = sends / (time.perf_counter() - started)
    return rates


async def measure(
    name: str, store: OTPStore, sends: int, tasks: int, repetitions: int
) -> dict[str, object]:
    rounds = []
    try:
        await one_round(store, 90_000_000, min(sends, 2000), tasks)  # warm-up
        for repetition in range(repetitions):
            rates = await one_round(store, repetition * 2 * sends, sends, tasks)
            rounds.append(rates)
            print(
                f"{name}, repetition {repetition + 1}: "
                + ", ".join(f"{op} {rate:,.0f}/s" for op, rate in rates.items()),
                flush=True,
            )
    finally:
        await store.aclose()
    return {
        "medians": {op: median([r[op] for r in rounds]) for op in OPERATIONS},
        "runs": rounds,
    }


def run(*, sends: int, tasks: int, repetitions: int) -> dict[str, object]:
    stores: dict[str, object] = {}
    stores["memory"] = asyncio.run(measure("memory", MemoryStore(), sends, tasks, repetitions))
    with private_redis() as redis:
        store = RedisStore.from_url(redis.url)
        stores["redis"] = asyncio.run(measure("redis", store, sends, tasks, repetitions))
    return {
        "command": command_line(),
        "machine": machine(),
        "operations": sends,
        "tasks": tasks,
        "repetitions": repetitions,
        "stores": stores,
    }


def report(figures: dict[str, object]) -> None:
    print(
        f"\nengine alone, {figures['operations']} operations per run, {figures['tasks']} tasks, "
        f"median of {figures['repetitions']} repetitions (operations per second)"
    )
    print(f"  {'':8}" + "".join(f"{op:>18}" for op in OPERATIONS))
    stores = figures["stores"]
    assert isinstance(stores, dict)
    for name, data in stores.items():
        medians = data["medians"]
        print(f"  {name:8}" + "".join(f"{medians[op]:>18,.0f}" for op in OPERATIONS))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args(argv)
    if min(args.sends, args.tasks, args.repetitions) < 1:
        parser.error("counts must be positive")
    figures = run(sends=args.sends, tasks=args.tasks, repetitions=args.repetitions)
    report(figures)
    save_section("engine", figures)


if __name__ == "__main__":
    main()
