"""CPU per request inside the app, without HTTP or the network, and where it goes.

    python -m bench.profile_app [--requests N] [--profile send|verify|bare]

Calls the ASGI apps of bench/apps.py directly (no server, no sockets) one request at a time and
reports the process CPU time per request: what otp_flow itself adds to a bare endpoint, with the
memory store and with Redis (CPU only: time spent waiting for Redis is not counted). With
``--profile`` it runs that target on Redis under pyinstrument and prints the call tree.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/profile_app.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from starlette.applications import Starlette

from bench.apps import bare_app
from bench.common import CLIENT, REPO_ROOT, bench_engine, phone, private_redis
from bench.load import AUTHORIZATION
from otp_flow.stores.base import OTPStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.stores.redis import RedisStore
from otp_flow.web.api import create_api_app

ASGIApp = Callable[..., Awaitable[None]]
#: How many functions --profile lists.
TOP = 60


def inclusive_times(root: Any) -> dict[tuple[str, str], float]:
    """Seconds spent in each function including its callees, each stack counted once."""
    totals: dict[tuple[str, str], float] = {}

    def walk(frame: Any, seen: frozenset[tuple[str, str]]) -> None:
        key = (frame.function or "?", _short(frame.file_path or "?"))
        if key not in seen:
            totals[key] = totals.get(key, 0.0) + frame.time
            seen = seen | {key}
        for child in frame.children:
            walk(child, seen)

    walk(root, frozenset())
    return totals


def _short(path: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", str(REPO_ROOT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


async def call(app: ASGIApp, path: str, body: bytes) -> int:
    """One POST through ``app``; returns the status."""
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"authorization", AUTHORIZATION.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    received = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:  # the app only asks again to watch for a disconnect
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def otp_app(store: OTPStore) -> Starlette:
    """As bench/apps.py serves it: the API's routes in a service app (one middleware stack)."""
    api = create_api_app(bench_engine(store))
    return Starlette(routes=api.routes)


async def cpu_per_request(app: ASGIApp, path: str, bodies: list[bytes]) -> float:
    """Microseconds of process CPU per request (after a warm-up of a tenth of the bodies)."""
    warm = len(bodies) // 10
    for body in bodies[:warm]:
        await call(app, path, body)
    started = time.process_time()
    for body in bodies[warm:]:
        status = await call(app, path, body)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    return (time.process_time() - started) / (len(bodies) - warm) * 1e6


async def measure(store: OTPStore, requests: int, first: int) -> dict[str, float]:
    app = otp_app(store)
    sends = [json.dumps({"phone_number": phone(first + i)}).encode() for i in range(requests)]
    quiet = bench_engine(store, render=False)
    verifies = []
    for i in range(requests):
        result = await quiet.send(phone(first + requests + i), client_id=CLIENT.id)
        verifies.append(json.dumps({"otp_token": result.otp_token, "code": result.code}).encode())
    return {
        "send": await cpu_per_request(app, "/otp/send", sends),
        "verify": await cpu_per_request(app, "/otp/verify", verifies),
    }


async def run(requests: int, redis_url: str) -> dict[str, float]:
    bodies = [json.dumps({"phone_number": phone(i)}).encode() for i in range(requests)]
    figures = {"bare": await cpu_per_request(bare_app(), "/otp/send", bodies)}
    memory = await measure(MemoryStore(), requests, 0)
    store = RedisStore.from_url(redis_url)
    try:
        redis = await measure(store, requests, 10 * requests)
    finally:
        await store.aclose()
    figures |= {f"{op}, memory": us for op, us in memory.items()}
    figures |= {f"{op}, redis": us for op, us in redis.items()}
    return figures


async def profile(target: str, requests: int, redis_url: str) -> None:
    from pyinstrument import Profiler

    store = RedisStore.from_url(redis_url)
    try:
        app: ASGIApp = bare_app() if target == "bare" else otp_app(store)
        quiet = bench_engine(store, render=False)
        bodies = []
        for i in range(requests):
            if target == "verify":
                result = await quiet.send(phone(i), client_id=CLIENT.id)
                payload = {"otp_token": result.otp_token, "code": result.code}
            else:
                payload = {"phone_number": phone(requests + i)}
            bodies.append(json.dumps(payload).encode())
        path = "/otp/verify" if target == "verify" else "/otp/send"
        with Profiler(interval=0.0002, async_mode="disabled") as profiler:
            await cpu_per_request(app, path, bodies)
        root = profiler.last_session.root_frame() if profiler.last_session else None
        if root is None:
            raise RuntimeError("pyinstrument recorded nothing")
        print(f"{target}: share of the samples in each function (and what it calls)")
        totals = inclusive_times(root)
        for (function, file), seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:TOP]:
            print(f"  {100 * seconds / root.time:5.1f}%  {function}  ({file})")
    finally:
        await store.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--profile", choices=("bare", "send", "verify"))
    args = parser.parse_args(argv)
    with private_redis() as redis:
        if args.profile:
            asyncio.run(profile(args.profile, args.requests, redis.url))
            return
        figures = asyncio.run(run(args.requests, redis.url))
    print(f"process CPU per request, in-process ASGI calls ({args.requests} each), microseconds")
    for name, micros in figures.items():
        print(f"  {name:16}{micros:8.0f}   (+{micros - figures['bare']:.0f} over bare)")


if __name__ == "__main__":
    main()
