"""How long answers take while Redis is killed or frozen under load, phase by phase.

    python -m bench.outage [--rounds N]

The outage drills' load (tests/outage_load.py: twelve workers sending and verifying through all
three dialects against the API app in a uvicorn process, bursts of 64 around the outage), with
Redis killed (connections refused) and frozen (SIGSTOP: only the store's socket timeout ends a
request). tests/test_fault_drills.py asserts what the answers are; this prints how long they took:
per phase, the answers by status and the median, 99th percentile and slowest latency. Figures,
not pass/fail: on a busy machine they grow with the load, not with a fault in the code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # `python bench/outage.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import machine
from tests.drill_helpers import Outbox
from tests.outage_load import PHASE_NAMES, WORKERS, MixedLoad, run_outage, served
from tests.redis_harness import RedisServer


def milliseconds(seconds: list[float], share: float) -> str:
    if not seconds:
        return "-"
    ordered = sorted(seconds)
    return f"{ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000:.0f}"


def report(name: str, load: MixedLoad) -> None:
    print(f"{name} (store socket_timeout {TIMEOUT * 1000:.0f} ms):")
    print(f"  {'phase':<11}{'answers':>8}  {'statuses':<28}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}")
    for phase, phase_name in enumerate(PHASE_NAMES):
        answers = load.within(phase)
        seconds = [a.seconds for a in answers]
        counts = Counter(a.status for a in answers)
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
        median = f"{statistics.median(seconds) * 1000:.0f}" if seconds else "-"
        print(
            f"  {phase_name:<11}{len(answers):>8}  {statuses:<28}{median:>8}"
            f"{milliseconds(seconds, 0.99):>8}{milliseconds(seconds, 1.0):>8}"
        )


Fault = Callable[[RedisServer], None]


#: The store's socket_timeout here: short, as a production setting would be.
TIMEOUT = 0.5


async def drill(fail: Fault, recover: Fault) -> MixedLoad:
    server = RedisServer()
    server.start()
    try:
        async with served(server.url, timeout=TIMEOUT) as http:
            load = MixedLoad(http, Outbox(server.url))
            await run_outage(
                load, lambda: fail(server), lambda: recover(server), down_answers=4 * WORKERS
            )
        return load
    finally:
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.cleanup()


def kill(server: RedisServer) -> None:
    server.stop()


def restart(server: RedisServer) -> None:
    server.start()


def freeze(server: RedisServer) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)


def thaw(server: RedisServer) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGCONT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="runs of each drill")
    rounds = parser.parse_args().rounds
    print("; ".join(f"{key} {value}" for key, value in machine().items()))
    for round_ in range(1, rounds + 1):
        report(f"Redis killed, round {round_}", asyncio.run(drill(kill, restart)))
        report(f"Redis frozen, round {round_}", asyncio.run(drill(freeze, thaw)))


if __name__ == "__main__":
    main()
