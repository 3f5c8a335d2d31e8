"""The Redis call path: client CPU per script call, redis-py as otp_flow uses it vs leaner ways.

    python -m bench.redis_path [--calls N] [--loop uvloop|asyncio] [--check]

Every variant replays the very EVALSHA calls ``RedisStore`` makes for one send (issue.lua, 20
arguments) and one verify (verify.lua), captured from a real send and verify, on a private
Redis, sequentially (1 task) and from 64 concurrent tasks. The figure is this process's CPU time
(``time.process_time``: Redis's own work is another process and is not counted) per call, in
microseconds, the median of ``REPEATS`` runs; calls/s (wall) and redis-server's CPU per call
(from /proc; fewer, larger reads and writes cost it less) beside it. Variants:

- ``redis-py RedisStore``: the store's own script objects (BlockingConnectionPool, one retry on a
  connection error, maintenance notifications off), as shipped;
- ``redis-py ConnectionPool``: redis-py's plain (non-blocking) pool, no retry object;
- ``redis-py Connection per task``: a ``redis.asyncio.Connection`` owned by each task, no pool
  get/release (``send_command`` + ``read_response``; redis-py still packs in Python and wraps
  each read and write in a timeout);
- ``hiredis per task``: hiredis packing and parsing on a bare asyncio stream owned by each task
  (the floor of a connection-per-task design; no timeouts, no retry);
- ``lane``: bench/redis_lane.py, one connection for all tasks, the calls of one event-loop turn
  written at once (pipelining), hiredis, with the store's outage semantics;
- ``coredis``: coredis (another maintained async client) with its own pool, when installed.

``--check`` runs the lane through an outage (Redis stopped, restarted with scripts flushed, and
a Redis busy past the timeout) and prints what each caller saw.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/redis_path.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import hiredis
import redis.asyncio
from redis.asyncio import ConnectionPool, Redis

from bench.common import (
    CLIENT,
    bench_engine,
    command_line,
    machine,
    phone,
    private_redis,
    save_section,
)
from bench.load import cpu_seconds
from bench.redis_lane import Lane, LaneScript
from otp_flow.errors import VerificationFailed
from otp_flow.stores.redis import RedisStore

REPEATS = 5
CONCURRENCY = (1, 64)
Call = Callable[[], Awaitable[object]]
#: Keeps Redis busy for 0.6 s (DEBUG SLEEP is off by default since Redis 7).
_BUSY_SCRIPT = """
local started = redis.call('TIME')
repeat
  local now = redis.call('TIME')
until (now[1] - started[1]) * 1000000 + (now[2] - started[2]) > 600000
return 1
"""


@dataclass(frozen=True)
class Captured:
    """One EVALSHA as RedisStore made it (``script``: the store's attribute, e.g. ``_issue``)."""

    script: str
    source: str
    sha: str
    keys: tuple[Any, ...]
    args: tuple[Any, ...]

    def command(self) -> tuple[Any, ...]:
        return ("EVALSHA", self.sha, len(self.keys), *self.keys, *self.args)


class _Recorder:
    """Stands in for one of the store's script objects long enough to see one call."""

    def __init__(self, name: str, script: Any) -> None:
        self.name = name
        self.script = script
        self.seen: Captured | None = None

    async def __call__(self, *, keys: Sequence[Any], args: Sequence[Any]) -> object:
        self.seen = Captured(
            self.name, self.script.script, self.script.sha, tuple(keys), tuple(args)
        )
        return await self.script(keys=keys, args=args)


async def capture(url: str) -> dict[str, Captured]:
    """The issue.lua and verify.lua calls of one real send and verify."""
    store = RedisStore.from_url(url)
    try:
        issue, verify = _Recorder("_issue", store._issue), _Recorder("_verify", store._verify)
        store._issue, store._verify = issue, verify
        engine = bench_engine(store, render=False)
        sent = await engine.send(phone(0), client_id=CLIENT.id)
        wrong = "000000" if sent.code != "000000" else "111111"
        with contextlib.suppress(VerificationFailed):  # a wrong code: replays find it again
            await engine.verify(sent.otp_token, wrong, client_id=CLIENT.id)
        if issue.seen is None or verify.seen is None:
            raise RuntimeError("RedisStore made no issue.lua or verify.lua call")
        return {"send (issue.lua)": issue.seen, "verify (verify.lua)": verify.seen}
    finally:
        await store.aclose()


# A variant: given the URL and a captured call, an async context manager that yields a factory
# of per-task callables (each task calls its own callable over and over).
Variant = Callable[[str, Captured], contextlib.AbstractAsyncContextManager[Callable[[], Call]]]


@asynccontextmanager
async def store_as_shipped(url: str, call: Captured) -> AsyncIterator[Callable[[], Call]]:
    store = RedisStore.from_url(url)
    script = getattr(store, call.script)
    try:
        yield lambda: lambda: script(keys=call.keys, args=call.args)
    finally:
        await store.aclose()


@asynccontextmanager
async def plain_pool(url: str, call: Captured) -> AsyncIterator[Callable[[], Call]]:
    client = Redis(connection_pool=ConnectionPool.from_url(url, socket_timeout=2.0))
    command = call.command()
    try:
        yield lambda: lambda: client.execute_command(*command)  # type: ignore[no-untyped-call]
    finally:
        await client.aclose()


@asynccontextmanager
async def connection_per_task(url: str, call: Captured) -> AsyncIterator[Callable[[], Call]]:
    pool = ConnectionPool.from_url(url, socket_timeout=2.0)
    connections: list[redis.asyncio.Connection] = []
    command = call.command()

    def make() -> Call:
        connection = pool.make_connection()  # type: ignore[no-untyped-call]
        connections.append(connection)

        async def one() -> object:
            await connection.send_command(*command)
            return await connection.read_response()

        return one

    try:
        yield make
    finally:
        for connection in connections:
            await connection.disconnect()


@asynccontextmanager
async def hiredis_per_task(url: str, call: Captured) -> AsyncIterator[Callable[[], Call]]:
    host, port = _host_port(url)
    packed = hiredis.pack_command(call.command())
    writers: list[asyncio.StreamWriter] = []

    def make() -> Call:
        state: dict[str, Any] = {}

        async def one() -> object:
            if not state:
                state["reader"], state["writer"] = await asyncio.open_connection(host, port)
                state["parser"] = hiredis.Reader()
                writers.append(state["writer"])
            state["writer"].write(packed)
            parser = state["parser"]
            while (reply := parser.gets()) is False:
                parser.feed(await state["reader"].read(65536))
            return reply

        return one

    try:
        yield make
    finally:
        for writer in writers:
            writer.close()


@asynccontextmanager
async def lane(url: str, call: Captured) -> AsyncIterator[Callable[[], Call]]:
    host, port = _host_port(url)
    shared = Lane(host, port, timeout=2.0)
    script = LaneScript(shared, call.source)
    try:
        yield lambda: lambda: script(keys=call.keys, args=call.args)
    finally:
        await shared.aclose()


@asynccontextmanager
async def coredis_client(url: str, call: Captured) -> AsyncIterator[Callable[[], Call]]:
    import coredis

    host, port = _host_port(url)
    client: Any = coredis.Redis(host, port, stream_timeout=2.0, connect_timeout=2.0)
    async with client:
        yield lambda: lambda: client.evalsha(call.sha, keys=list(call.keys), args=list(call.args))


def _host_port(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("redis://").partition(":")
    return host, int(port.split("/")[0])


def variants() -> dict[str, Variant]:
    found: dict[str, Variant] = {
        "redis-py RedisStore (as shipped)": store_as_shipped,
        "redis-py ConnectionPool": plain_pool,
        "redis-py Connection per task (no pool)": connection_per_task,
        "hiredis per task (floor, no timeouts)": hiredis_per_task,
        "lane: 1 connection, pipelined, hiredis": lane,
    }
    try:
        import coredis  # noqa: F401

        found["coredis"] = coredis_client
    except ImportError:
        print("coredis is not installed (the bench extra has it): its row is left out")
    return found


async def one_run(
    make: Callable[[], Call], calls: int, tasks: int, redis_pid: int
) -> tuple[float, float, float]:
    """(µs of this process's CPU per call, calls per second, µs of Redis's CPU per call)."""
    callers = [make() for _ in range(tasks)]
    for caller in callers:  # connect and load the script outside the measurement
        await caller()
    per_task = calls // tasks

    async def drive(caller: Call) -> None:
        for _ in range(per_task):
            await caller()

    done = per_task * tasks
    redis_cpu = cpu_seconds(redis_pid)
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(drive(caller) for caller in callers))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    redis_cpu = cpu_seconds(redis_pid) - redis_cpu
    return cpu / done * 1e6, done / wall, redis_cpu / done * 1e6


async def measure(url: str, calls: int, redis_pid: int) -> list[dict[str, Any]]:
    captured = await capture(url)
    rows = []
    for name, variant in variants().items():
        for kind, call in captured.items():
            for tasks in CONCURRENCY:
                async with variant(url, call) as make:
                    runs = [await one_run(make, calls, tasks, redis_pid) for _ in range(REPEATS)]
                row = {
                    "variant": name,
                    "call": kind,
                    "tasks": tasks,
                    "cpu_us": statistics.median(r[0] for r in runs),
                    "calls_per_second": statistics.median(r[1] for r in runs),
                    "redis_cpu_us": statistics.median(r[2] for r in runs),
                }
                rows.append(row)
                print(
                    f"  {name:42} {kind:20} {tasks:>2} task(s): {row['cpu_us']:7.1f} µs CPU "
                    f"per call, {row['calls_per_second']:>8,.0f} calls/s, Redis "
                    f"{row['redis_cpu_us']:5.1f} µs CPU per call",
                    flush=True,
                )
    return rows


async def check_outage(server: Any) -> list[str]:
    """The lane through a stop, a restart (scripts gone) and a busy Redis; what callers saw."""
    call = (await capture(server.url))["verify (verify.lua)"]
    shared = Lane(*_host_port(server.url), timeout=0.3)
    script = LaneScript(shared, call.source)
    seen: list[str] = []

    async def attempt(label: str) -> None:
        try:
            reply = await script(keys=call.keys, args=call.args)
            seen.append(f"{label}: reply {reply!r}")
        except Exception as exc:
            seen.append(f"{label}: {type(exc).__name__} ({exc})")

    await attempt("Redis up")
    server.stop()
    await attempt("Redis stopped (fails closed)")
    server.start()
    await attempt("Redis restarted, scripts gone (retried once, NOSCRIPT, loaded)")
    busy = redis.asyncio.Redis.from_url(server.url)

    async def keep_busy() -> object:
        return await busy.eval(_BUSY_SCRIPT, 0)

    sleeping = asyncio.create_task(keep_busy())
    await asyncio.sleep(0.05)  # the script has begun: Redis answers no one for 0.6 s
    await asyncio.gather(*(attempt(f"Redis busy, caller {i} (timeout 0.3 s)") for i in range(2)))
    await sleeping
    await busy.aclose()
    await attempt("Redis free again (replies still matched in order)")
    await shared.aclose()
    return seen


def run(*, calls: int = 20_000, loop: str = "uvloop") -> dict[str, object]:
    with private_redis() as server:
        assert server.process is not None
        rows = _run_loop(measure(server.url, calls, server.process.pid), loop)
    return {
        "command": command_line(),
        "machine": machine(),
        "loop": loop,
        "calls": calls,
        "repeats": REPEATS,
        "rows": rows,
    }


def _run_loop(coroutine: Awaitable[Any], loop: str) -> Any:
    if loop == "uvloop":
        import uvloop

        return uvloop.run(coroutine)  # type: ignore[arg-type]
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def report(figures: dict[str, object]) -> None:
    print(
        f"\nclient CPU per script call ({figures['loop']} loop, {figures['calls']:,} calls per "
        f"run, median of {figures['repeats']}), µs; calls/s in brackets"
    )
    rows = figures["rows"]
    assert isinstance(rows, list)
    for row in rows:
        print(
            f"  {row['variant']:42} {row['call']:20} {row['tasks']:>2} task(s) "
            f"{row['cpu_us']:7.1f}  ({row['calls_per_second']:,.0f}/s; Redis "
            f"{row.get('redis_cpu_us', 0):.1f} µs)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per run")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--check", action="store_true", help="the lane through an outage")
    args = parser.parse_args(argv)
    if args.check:
        with private_redis() as server:
            for line in _run_loop(check_outage(server), args.loop):
                print(line)
        return
    if args.calls < max(CONCURRENCY):
        parser.error(f"--calls must be at least {max(CONCURRENCY)}")
    figures = run(calls=args.calls, loop=args.loop)
    report(figures)
    save_section("redis_path", figures)


if __name__ == "__main__":
    main()
