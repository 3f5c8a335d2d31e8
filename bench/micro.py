"""Micro-benchmarks of the hot-path cuts: each old way beside the new one, in microseconds.

    python -m bench.micro [--quick]

Each figure is the median of ``REPEATS`` timings of a loop of calls (timeit-style), divided by
the loop's length. The timer is this process's CPU time (``time.process_time``), not the wall
clock, so time spent descheduled on a busy machine is left out; caches and frequency still vary
with the load, so compare old and new of one run rather than figures of different runs.
What is compared:

- tokens: itsdangerous' ``URLSafeTimedSerializer.dumps`` (tries zlib on every payload) vs
  otp_flow's ``TimedSerializer`` (never tries; still loads compressed tokens);
- a send's delivery: ``asyncio.wait_for`` (a new Task per call on 3.11) vs ``asyncio.timeout``,
  on asyncio's loop and on uvloop;
- the API behind ``Mount("/", app=api)`` (a second Starlette middleware stack) vs its routes in
  the outer app (what ``otp_flow.service.create_app`` does), one in-process ASGI request;
- phone numbers: ``parse`` + ``is_valid_number`` + ``number_type`` vs ``parse`` + ``number_type``
  alone (UNKNOWN exactly when invalid), and otp_flow's cached parse when the number comes again.

The Redis call path has its own script: bench/redis_path.py.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/micro.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import phonenumbers
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bench.common import CLIENT, SECRET_KEY, command_line, machine, phone, save_section
from bench.profile_app import call
from otp_flow._signing import TimedSerializer
from otp_flow.identifiers import IdentifierParser

REPEATS = 7
#: What the engine signs into an otp_token (_otp_token.py: version, client, channel, to, usage, id).
TOKEN_PAYLOAD = [1, CLIENT.id, "sms", "+8613612345678", "login", "118587043977212"]


def per_call_us(loop_of: Callable[[int], float], number: int) -> float:
    """Median over REPEATS of ``loop_of(number)`` (seconds for ``number`` calls), in µs/call."""
    loop_of(max(1, number // 10))  # warm-up
    return statistics.median(loop_of(number) for _ in range(REPEATS)) / number * 1e6


def timed(function: Callable[[], object]) -> Callable[[int], float]:
    def loop_of(number: int) -> float:
        started = time.process_time()
        for _ in range(number):
            function()
        return time.process_time() - started

    return loop_of


def timed_async(
    make_loop: Callable[[], asyncio.AbstractEventLoop], function: Callable[[], Awaitable[object]]
) -> Callable[[int], float]:
    """The loop of awaits runs inside one event loop (``make_loop``), timed inside it."""

    def loop_of(number: int) -> float:
        async def body() -> float:
            started = time.process_time()
            for _ in range(number):
                await function()
            return time.process_time() - started

        loop = make_loop()
        try:
            return loop.run_until_complete(body())
        finally:
            loop.close()

    return loop_of


def pair(name: str, old: float, new: float, old_label: str, new_label: str) -> dict[str, Any]:
    return {
        "item": name,
        "old": old_label,
        "old_us": old,
        "new": new_label,
        "new_us": new,
        "saved_us": old - new,
    }


def tokens(number: int) -> list[dict[str, Any]]:
    stock = URLSafeTimedSerializer([SECRET_KEY.encode()], salt="otp_flow.otp_token")
    ours = TimedSerializer([SECRET_KEY.encode()], salt="otp_flow.otp_token", max_age=3600)
    stock_token, our_token = stock.dumps(TOKEN_PAYLOAD), ours.dumps(TOKEN_PAYLOAD)
    assert ours.loads(stock_token) == TOKEN_PAYLOAD  # old tokens still load
    return [
        pair(
            "sign an otp_token (dumps)",
            per_call_us(timed(lambda: stock.dumps(TOKEN_PAYLOAD)), number),
            per_call_us(timed(lambda: ours.dumps(TOKEN_PAYLOAD)), number),
            "itsdangerous URLSafeTimedSerializer (zlib attempt)",
            "otp_flow TimedSerializer (no zlib attempt)",
        ),
        pair(
            "check an otp_token (loads)",
            per_call_us(timed(lambda: stock.loads(stock_token, max_age=3600)), number),
            per_call_us(timed(lambda: ours.loads(our_token)), number),
            "itsdangerous, its own token",
            "otp_flow, its own (uncompressed) token",
        ),
    ]


class _Sender:
    async def send(self) -> None:
        return None


def timeouts(number: int) -> list[dict[str, Any]]:
    sender = _Sender()

    async def with_wait_for() -> None:
        await asyncio.wait_for(sender.send(), 10.0)

    async def with_timeout() -> None:
        async with asyncio.timeout(10.0):
            await sender.send()

    loops: list[tuple[str, Callable[[], asyncio.AbstractEventLoop]]] = [
        ("asyncio", asyncio.new_event_loop)
    ]
    try:
        import uvloop

        loops.append(("uvloop", uvloop.new_event_loop))
    except ImportError:
        pass
    return [
        pair(
            f"bound a delivery by a timeout ({name} loop)",
            per_call_us(timed_async(make, with_wait_for), number),
            per_call_us(timed_async(make, with_timeout), number),
            "asyncio.wait_for(sender.send(m), t)",
            "async with asyncio.timeout(t): await sender.send(m)",
        )
        for name, make in loops
    ]


async def _ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


def mounts(number: int) -> list[dict[str, Any]]:
    inner = Starlette(routes=[Route("/otp/verify", _ok, methods=["POST"])])
    mounted = Starlette(routes=[Mount("/", app=inner)])
    flat = Starlette(routes=inner.routes)
    body = b'{"otp_token": "x", "code": "123456"}'
    make = asyncio.new_event_loop
    return [
        pair(
            "one request through the API app (in-process ASGI, trivial endpoint)",
            per_call_us(timed_async(make, lambda: call(mounted, "/otp/verify", body)), number),
            per_call_us(timed_async(make, lambda: call(flat, "/otp/verify", body)), number),
            'Starlette(routes=[Mount("/", app=api)])',
            "Starlette(routes=api.routes)",
        )
    ]


def phones(number: int) -> list[dict[str, Any]]:
    numbers = [phone(i) for i in range(number)]
    index = 0

    def next_number() -> str:
        nonlocal index
        index = (index + 1) % number
        return numbers[index]

    def twice() -> object:
        parsed = phonenumbers.parse(next_number(), "CN")
        return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed)

    def once() -> object:
        return phonenumbers.number_type(phonenumbers.parse(next_number(), "CN"))

    parser = IdentifierParser()
    parser.phone(numbers[0])
    return [
        pair(
            "validate a mobile number (new number each call)",
            per_call_us(timed(twice), number),
            per_call_us(timed(once), number),
            "parse + is_valid_number + number_type",
            "parse + number_type (UNKNOWN when invalid)",
        ),
        pair(
            "the same number again (verify after send, Yunpian/OnlyID)",
            per_call_us(timed(once), number),
            per_call_us(timed(lambda: parser.phone(numbers[0])), number),
            "parse + number_type again",
            "IdentifierParser.phone, LRU-cached",
        ),
    ]


def run(*, quick: bool = False) -> dict[str, object]:
    scale = 10 if quick else 1
    items = [
        *tokens(20_000 // scale),
        *timeouts(20_000 // scale),
        *mounts(5_000 // scale),
        *phones(5_000 // scale),
    ]
    return {
        "command": command_line(),
        "machine": machine(),
        "repeats": REPEATS,
        "items": items,
    }


def report(figures: dict[str, object]) -> None:
    print(f"\nmicro-benchmarks: median of {figures['repeats']} loops, µs per call")
    items = figures["items"]
    assert isinstance(items, list)
    for item in items:
        print(
            f"  {item['item']}\n    old {item['old_us']:8.2f}  {item['old']}\n"
            f"    new {item['new_us']:8.2f}  {item['new']}   (saves {item['saved_us']:.2f} µs)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick)
    report(figures)
    save_section("micro", figures)


if __name__ == "__main__":
    main()
