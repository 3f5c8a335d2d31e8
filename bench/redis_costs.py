"""What one send and one verify cost Redis: commands (from INFO commandstats) and memory.

    python -m bench.redis_costs [--requests N] [--pending N]

Round trips: ``--requests`` sends and then as many verifies go over HTTP to the benchmark server
(bench/apps.py) one after another, with rate limits off and again with the default limits; INFO
commandstats is read before and after each batch. A command a Lua script runs with redis.call is
counted by Redis too, so the difference is split into what the application sent (its round
trips) and what the scripts ran inside Redis.

Memory: on a fresh private Redis, ``--pending`` codes (default 100,000) are issued to as many
phone numbers; the change in INFO used_memory divided by that count is what a pending code costs.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from importlib.resources import files
from pathlib import Path

if __package__ in (None, ""):  # `python bench/redis_costs.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx
import redis

from bench.apps import LIMITS_VARIABLE, REDIS_URL_VARIABLE
from bench.common import (
    CLIENT,
    bench_engine,
    command_line,
    machine,
    phone,
    private_redis,
    redis_binary,
    redis_version,
    save_section,
)
from bench.load import AUTHORIZATION, UvicornServer
from bench.tokens import issue_codes, issue_with
from otp_flow.stores.redis import RedisStore


def script_commands() -> set[str]:
    """Every command name the store's Lua scripts call."""
    names: set[str] = set()
    for entry in (files("otp_flow.stores") / "lua").iterdir():
        if entry.name.endswith(".lua"):
            text = entry.read_text(encoding="utf-8")
            names.update(m.lower() for m in re.findall(r"redis\.p?call\(\s*'(\w+)'", text))
    return names


def command_calls(client: redis.Redis) -> dict[str, int]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def calls_per_request(
    before: dict[str, int], after: dict[str, int], requests: int
) -> dict[str, float]:
    """Calls of each command per request; the INFO calls of this measurement left out."""
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    return {name: n / requests for name, n in sorted(delta.items()) if n and name != "info"}


def split(per_request: dict[str, float]) -> dict[str, object]:
    inside = script_commands()
    sent = {k: v for k, v in per_request.items() if k not in inside}
    ran = {k: v for k, v in per_request.items() if k in inside}
    return {
        "round_trips": sum(sent.values()),
        "sent_by_app": sent,
        "run_by_scripts": ran,
    }


def round_trips(redis_url: str, requests: int, *, limits: bool = False) -> dict[str, object]:
    """With ``limits``: the engine's default rate limits (app-per-day raised out of the way)."""
    client = redis.Redis.from_url(redis_url)
    results: dict[str, object] = {}
    env = {REDIS_URL_VARIABLE: redis_url, LIMITS_VARIABLE: "on" if limits else "off"}
    offset = 5 * 10**7 if limits else 0  # other numbers than the run without limits
    with (
        UvicornServer("bench.apps:otp_app", env=env) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": AUTHORIZATION}) as http,
    ):
        # Warm-up: the first call of each script loads it (NOSCRIPT, SCRIPT LOAD, EVALSHA).
        warm = asyncio.run(issue_codes(redis_url, [phone(offset + 10**7 + i) for i in range(10)]))
        for i, (token, code) in enumerate(warm):
            http.post("/otp/send", json={"phone_number": phone(offset + 2 * 10**7 + i)})
            http.post("/otp/verify", json={"otp_token": token, "code": code})

        before = command_calls(client)
        for i in range(requests):
            response = http.post("/otp/send", json={"phone_number": phone(offset + i)})
            response.raise_for_status()
        results["send"] = split(calls_per_request(before, command_calls(client), requests))

        phones = [phone(offset + 3 * 10**7 + i) for i in range(requests)]
        pairs = asyncio.run(issue_codes(redis_url, phones))
        before = command_calls(client)
        for token, code in pairs:
            response = http.post("/otp/verify", json={"otp_token": token, "code": code})
            response.raise_for_status()
        results["verify"] = split(calls_per_request(before, command_calls(client), requests))
    client.close()
    return results


async def _fill(redis_url: str, pending: int) -> None:
    engine = bench_engine(RedisStore.from_url(redis_url), render=False)
    try:
        for start in range(0, pending, 10_000):
            await issue_with(engine, [phone(i) for i in range(start, min(start + 10_000, pending))])
    finally:
        await engine.aclose()


def memory(pending: int, binary: str) -> dict[str, object]:
    with private_redis(binary) as server:
        client = redis.Redis.from_url(server.url)
        before = client.info("memory")
        asyncio.run(_fill(server.url, pending))
        # The engine's 64 connections are closed, but until Redis has noticed, their buffers
        # still count in used_memory (about 2.5 MB): wait for them to go.
        deadline = time.monotonic() + 10
        while client.info("clients")["connected_clients"] > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        after = client.info("memory")
        # from_url connects lazily: this store only lends its key function.
        sample = RedisStore.from_url(server.url).key(CLIENT.id, "r", "+86" + phone(0))
        figures = {
            "pending_codes": pending,
            "keys": int(client.dbsize()),
            "used_memory_before": int(before["used_memory"]),
            "used_memory_after": int(after["used_memory"]),
            "bytes_per_pending_code": (after["used_memory"] - before["used_memory"]) / pending,
            "memory_usage_of_one_recipient_key": client.memory_usage(sample),
            "allocator": str(after.get("mem_allocator", "?")),
            "redis_server": redis_version(binary),
        }
        client.close()
    return figures


def run(*, requests: int, pending: int) -> dict[str, object]:
    # Production builds use jemalloc; the test harness's redis-server may use libc malloc.
    binaries = ["system", "harness"] if redis_binary("system") != redis_binary("harness") else []
    binaries = [b for b in binaries if Path(redis_binary(b)).exists()] or ["best"]
    with private_redis() as server:
        trips = round_trips(server.url, requests)
        with_limits = round_trips(server.url, requests, limits=True)
    return {
        "command": command_line(),
        "machine": machine(),
        "requests": requests,
        "commands": trips,
        "commands_with_limits": with_limits,
        "memory": [memory(pending, binary) for binary in binaries],
    }


def report(figures: dict[str, object]) -> None:
    commands = figures["commands"]
    assert isinstance(commands, dict)
    print(f"\nRedis commands per request, over {figures['requests']} requests of each kind")
    limited = figures.get("commands_with_limits") or {}
    assert isinstance(limited, dict)
    for label, source in (("limits off", commands), ("default limits", limited)):
        for kind, data in source.items():
            sent = ", ".join(f"{k} {v:g}" for k, v in data["sent_by_app"].items())
            ran = ", ".join(f"{k} {v:g}" for k, v in data["run_by_scripts"].items())
            print(
                f"  {kind:6} ({label}) round trips {data['round_trips']:g} ({sent}); "
                f"inside the script: {ran}"
            )
    measured = figures["memory"]
    assert isinstance(measured, list)
    for mem in measured:
        print(
            f"\nmemory on {mem['redis_server']}:\n  {mem['pending_codes']:,} pending codes, "
            f"{mem['keys']:,} keys, used_memory {mem['used_memory_before']:,} -> "
            f"{mem['used_memory_after']:,} bytes: {mem['bytes_per_pending_code']:.1f} bytes per "
            f"pending code (MEMORY USAGE of one recipient key: "
            f"{mem['memory_usage_of_one_recipient_key']} bytes)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--pending", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.requests < 1 or args.pending < 1:
        parser.error("counts must be positive")
    figures = run(requests=args.requests, pending=args.pending)
    report(figures)
    save_section("redis", figures)


if __name__ == "__main__":
    main()
