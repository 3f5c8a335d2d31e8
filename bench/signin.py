"""Server CPU per complete sign-in, against the bare floor of the same number of requests.

    python -m bench.signin [--loop uvloop|h11] [--flows N] [--concurrency N] [--repetitions N]

*Page sign-in* (bench/apps.py ``pages_app``: codes, users and sessions in Redis), as a browser
does it: GET /auth/login, POST the phone number, GET the code page, POST the code, GET the
protected /account. *CIAM API sign-in* (``ciam_app``): POST /otp/send, then POST /oauth2/token
with the code (the token grant; when the server answers 404 there, the run says so and measures
the send alone). The code reaches the driver as an SMS reaches a person: the server's sender
puts it in one UDP datagram. Each flow signs in another existing user (users created in Redis
first), ``--concurrency`` flows at a time, one HTTP client each (cookies cleared between flows).

The floor: the same flows' requests, as many and of the same kinds, against ``bare_pages_app``
(GET: a fixed page; POST: read the form, redirect) and ``bare_app`` (POST JSON, fixed answer).

CPU is utime + stime from /proc/<pid>/stat of every uvicorn process (and, apart, of
redis-server), read before and after each batch; the driver runs pinned apart from the server
where the cores allow. Target and floor are measured back to back in each repetition; the
ratio is taken per repetition, then the median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

if __package__ in (None, ""):  # `python bench/signin.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from bench.apps import AUTH_SOURCE, CODE_SINK_VARIABLE, PROTECTED, REDIS_URL_VARIABLE
from bench.common import CLIENT, command_line, machine, median, phone, private_redis, save_section
from bench.load import (
    AUTHORIZATION,
    H11,
    UVLOOP,
    Cores,
    ServerMode,
    UvicornServer,
    cpu_seconds,
    tree_cpu_seconds,
)
from otp_flow.stores.redis import RedisStore
from otp_flow.users import RedisUserStore

#: The token grant of the CIAM sign-in (see /work/shared/seeds/README.md: CIAM, POST /oauth2/token).
SMS_GRANT = "http://tencentciam.com/oauth2/grant-type/otp/sms"
TOKEN_PATH = "/oauth2/token"
#: The send's client authentication (Basic); the token grant carries the client in its body
#: instead, and a request must not use two methods at once (RFC 6749, 2.3).
BASIC = {"Authorization": AUTHORIZATION}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: How long a driver waits for a code datagram before calling the flow failed.
CODE_WAIT_SECONDS = 10.0


class CodeInbox(asyncio.DatagramProtocol):
    """Receives ``<recipient> <code>`` datagrams from the servers' UDP senders."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[str]] = {}

    def expect(self, recipient: str) -> asyncio.Future[str]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[recipient] = future
        return future

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        recipient, _, code = data.decode().partition(" ")
        future = self.waiting.pop(recipient, None)
        if future is not None and not future.done():
            future.set_result(code)


@dataclass
class Driver:
    """What a flow needs: its server's URL, the inbox, and whether the token grant exists."""

    inbox: CodeInbox
    token_grant: bool = True

    async def code_for(self, future: asyncio.Future[str]) -> str:
        return await asyncio.wait_for(future, CODE_WAIT_SECONDS)


def _csrf(response: httpx.Response) -> str:
    match = _CSRF.search(response.text)
    if response.status_code != 200 or match is None:
        raise RuntimeError(f"{response.request.url}: {response.status_code}, no CSRF token")
    return match.group(1)


def _expect(response: httpx.Response, status: int) -> httpx.Response:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} (wanted {status}): {response.text[:300]}"
        )
    return response


def e164(index: int) -> str:
    return "+86" + phone(index)


async def page_signin(driver: Driver, client: httpx.AsyncClient, index: int) -> int:
    """One whole sign-in through the pages; returns the number of requests it made.

    Each flow is another person behind the site's proxy (``X-Forwarded-For``, believed from
    loopback): the per-requester limits count each on its own, as in production."""
    client.headers["x-forwarded-for"] = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
    login = await client.get("/auth/login", params={"next": PROTECTED})
    code_sent = driver.inbox.expect(e164(index))
    form = {"csrf_token": _csrf(login), "identifier": phone(index), "next": PROTECTED}
    sent = _expect(await client.post("/auth/login", data=form), 303)
    code = await driver.code_for(code_sent)
    code_page = await client.get(sent.headers["location"])
    form = {"csrf_token": _csrf(code_page), "code": code}
    done = _expect(await client.post(sent.headers["location"], data=form), 303)
    if done.headers["location"] != PROTECTED:
        raise RuntimeError(f"signed in, but sent to {done.headers['location']}")
    _expect(await client.get(PROTECTED), 200)
    return 5


async def bare_pages(driver: Driver, client: httpx.AsyncClient, index: int) -> int:
    """The floor of ``page_signin``: GET, POST a form, GET, POST a form, GET."""
    for _ in range(2):
        _expect(await client.get("/page"), 200)
        _expect(await client.post("/form", data={"csrf_token": "x" * 40, "v": str(index)}), 303)
    _expect(await client.get("/page"), 200)
    return 5


async def api_signin(driver: Driver, client: httpx.AsyncClient, index: int) -> int:
    """CIAM: send a code, then trade it for tokens (when the server has the token grant)."""
    code_sent = driver.inbox.expect(e164(index))
    body = {"phone_number": phone(index), "auth_source_id": AUTH_SOURCE.id}
    sent = _expect(await client.post("/otp/send", json=body, headers=BASIC), 200).json()
    code = await driver.code_for(code_sent)
    if not driver.token_grant:
        return 1
    grant = {
        "grant_type": SMS_GRANT,
        "client_id": CLIENT.id,
        "client_secret": CLIENT.secret,
        "auth_source_id": AUTH_SOURCE.id,
        "phone_number": phone(index),
        "otp_token": sent["otp_token"],
        "otp": code,
    }
    tokens = _expect(await client.post(TOKEN_PATH, json=grant), 200).json()
    if "access_token" not in tokens:
        raise RuntimeError(f"the token grant answered without access_token: {tokens}")
    return 2


async def bare_api(driver: Driver, client: httpx.AsyncClient, index: int) -> int:
    """The floor of ``api_signin``: as many JSON POSTs."""
    _expect(await client.post("/otp/send", json={"phone_number": phone(index)}, headers=BASIC), 200)
    if driver.token_grant:
        _expect(await client.post(TOKEN_PATH, json={"grant_type": SMS_GRANT}), 200)
        return 2
    return 1


Flow = Callable[[Driver, httpx.AsyncClient, int], Awaitable[int]]


@dataclass(frozen=True)
class Batch:
    flows: int
    requests: int
    seconds: float
    server_cpu_s: float
    redis_cpu_s: float

    @property
    def cpu_ms_per_flow(self) -> float:
        return self.server_cpu_s * 1000 / self.flows


async def run_batch(
    driver: Driver,
    server: UvicornServer,
    redis_pid: int,
    flow: Flow,
    indexes: range,
    concurrency: int,
) -> Batch:
    """Every index's flow, ``concurrency`` at a time; the server's CPU before and after."""
    todo = iter(indexes)
    requests = 0

    async def worker() -> None:
        nonlocal requests
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            for index in todo:
                client.cookies.clear()  # every flow is a new browser
                made = await flow(driver, client, index)
                requests += made

    cpu_before, redis_before = tree_cpu_seconds(server.pid), cpu_seconds(redis_pid)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    cpu = tree_cpu_seconds(server.pid) - cpu_before
    return Batch(len(indexes), requests, seconds, cpu, cpu_seconds(redis_pid) - redis_before)


async def has_token_grant(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url) as client:
        answer = await client.post(TOKEN_PATH, json={})
    return answer.status_code != 404


async def create_users(redis_url: str, count: int) -> None:
    store = RedisStore.from_url(redis_url)
    users = RedisUserStore(store)
    try:
        for start in range(0, count, 64):
            await asyncio.gather(
                *(
                    users.create(display_name=f"user {i}", phone_number=e164(i))
                    for i in range(start, min(start + 64, count))
                )
            )
    finally:
        await store.aclose()


@contextmanager
def pinned_driver(cores: Cores) -> Iterator[None]:
    """This process (the driver) on the driver's CPU while it drives; as before afterwards."""
    before = os.sched_getaffinity(0)
    if cores.pinned:
        os.sched_setaffinity(0, cores.driver)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


async def measure(
    servers: dict[str, UvicornServer],
    inbox_socket: socket.socket,
    redis_pid: int,
    *,
    flows: int,
    concurrency: int,
    repetitions: int,
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    transport, inbox = await loop.create_datagram_endpoint(CodeInbox, sock=inbox_socket)
    try:
        driver = Driver(inbox, token_grant=await has_token_grant(servers["api"].url))
        if not driver.token_grant:
            print(
                f"NOTE: {TOKEN_PATH} answers 404 (no token grant in this otp_flow yet): the API "
                "sign-in below is the send alone, and its floor one request",
                flush=True,
            )
        pairs = (
            ("pages", page_signin, "bare_pages", bare_pages),
            ("api", api_signin, "bare", bare_api),
        )
        warm = max(concurrency, flows // 10)
        next_index = 0

        def take(count: int) -> range:
            nonlocal next_index
            start, next_index = next_index, next_index + count
            return range(start, start + count)

        for name, flow, floor_name, floor in pairs:  # warm-up
            await run_batch(driver, servers[name], redis_pid, flow, take(warm), concurrency)
            await run_batch(driver, servers[floor_name], redis_pid, floor, take(warm), concurrency)
        runs: dict[str, list[tuple[Batch, Batch]]] = {"pages": [], "api": []}
        for repetition in range(1, repetitions + 1):
            for name, flow, floor_name, floor in pairs:
                target = await run_batch(
                    driver, servers[name], redis_pid, flow, take(flows), concurrency
                )
                bare = await run_batch(
                    driver, servers[floor_name], redis_pid, floor, take(flows), concurrency
                )
                runs[name].append((target, bare))
                ratio = _ratio(target.server_cpu_s, bare.server_cpu_s)
                print(
                    f"repetition {repetition}, {name}: {target.cpu_ms_per_flow:.3f} ms of server "
                    f"CPU per sign-in ({target.requests // target.flows} requests, "
                    f"{target.flows / target.seconds:,.0f} sign-ins/s), floor "
                    f"{bare.cpu_ms_per_flow:.3f} ms: {ratio:.2f}x",
                    flush=True,
                )
    finally:
        transport.close()
    return {
        "token_grant": driver.token_grant,
        "flows": {name: summarise(pairs_) for name, pairs_ in runs.items()},
    }


def _ratio(cpu: float, floor: float) -> float:
    """NaN when the floor used less than one clock tick (too few flows to measure)."""
    return cpu / floor if floor > 0 else float("nan")


def summarise(runs: list[tuple[Batch, Batch]]) -> dict[str, object]:
    ratios = [_ratio(target.server_cpu_s, bare.server_cpu_s) for target, bare in runs]
    first = runs[0][0]
    return {
        "requests_per_flow": first.requests // first.flows,
        "cpu_ms": median([t.cpu_ms_per_flow for t, _ in runs]),
        "floor_cpu_ms": median([b.cpu_ms_per_flow for _, b in runs]),
        "redis_cpu_ms": median([t.redis_cpu_s * 1000 / t.flows for t, _ in runs]),
        "flows_per_second": median([t.flows / t.seconds for t, _ in runs]),
        "ratio": median(ratios),
        "ratio_runs": ratios,
        "cpu_ms_runs": [t.cpu_ms_per_flow for t, _ in runs],
        "floor_cpu_ms_runs": [b.cpu_ms_per_flow for _, b in runs],
    }


def run(
    *, mode: ServerMode = UVLOOP, flows: int = 1_000, concurrency: int = 16, repetitions: int = 3
) -> dict[str, object]:
    cores = Cores(mode.workers)
    warm = max(concurrency, flows // 10)
    # Every flow (pages, API and their floors alike) takes the next index: one user for each.
    users = 4 * (warm + flows * repetitions)
    inbox_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    inbox_socket.bind(("127.0.0.1", 0))
    env = {CODE_SINK_VARIABLE: str(inbox_socket.getsockname()[1])}
    with private_redis() as redis:
        assert redis.process is not None
        cores.pin_driver(redis.process.pid)
        asyncio.run(create_users(redis.url, users))
        env[REDIS_URL_VARIABLE] = redis.url
        with (
            UvicornServer("bench.apps:pages_app", env=env, mode=mode, cores=cores) as pages,
            UvicornServer("bench.apps:ciam_app", env=env, mode=mode, cores=cores) as api,
            UvicornServer("bench.apps:bare_pages_app", mode=mode, cores=cores) as bare_pages,
            UvicornServer("bench.apps:bare_app", mode=mode, cores=cores) as bare,
            pinned_driver(cores),
        ):
            print(f"{mode.describe()}; {cores.describe()}", flush=True)
            servers = {"pages": pages, "api": api, "bare_pages": bare_pages, "bare": bare}
            figures = asyncio.run(
                measure(
                    servers,
                    inbox_socket,
                    redis.process.pid,
                    flows=flows,
                    concurrency=concurrency,
                    repetitions=repetitions,
                )
            )
    return {
        "command": command_line(),
        "machine": machine(),
        "server": mode.describe(),
        "mode": mode.name,
        "pinning": cores.describe(),
        "driver": f"httpx, {concurrency} concurrent flows",
        "flows_per_run": flows,
        "repetitions": repetitions,
        **figures,
    }


def report(figures: dict[str, object]) -> None:
    print(
        f"\nserver: {figures['server']}; driver: {figures['driver']}; {figures['pinning']}; "
        f"{figures['flows_per_run']} sign-ins per run, median of {figures['repetitions']}"
    )
    if not figures["token_grant"]:
        print(f"  (no {TOKEN_PATH} on this server: the API sign-in is the send alone)")
    flows = figures["flows"]
    assert isinstance(flows, dict)
    print(f"  {'':8}{'requests':>9}{'server CPU ms':>15}{'floor ms':>10}{'x floor':>9}"
          f"{'Redis CPU ms':>14}{'sign-ins/s':>12}")  # fmt: skip
    for name, row in flows.items():
        ratios = ", ".join(f"{r:.2f}" for r in row["ratio_runs"])
        print(
            f"  {name:8}{row['requests_per_flow']:>9}{row['cpu_ms']:>15.3f}"
            f"{row['floor_cpu_ms']:>10.3f}{row['ratio']:>9.2f}{row['redis_cpu_ms']:>14.3f}"
            f"{row['flows_per_second']:>12,.0f}   (x floor per repetition: {ratios})"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loop", choices=("uvloop", "h11"), default="uvloop")
    parser.add_argument("--flows", type=int, default=1_000, help="sign-ins per run and kind")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--section", help="results.json key (default: signin-<mode>)")
    args = parser.parse_args(argv)
    if min(args.flows, args.concurrency, args.repetitions) < 1:
        parser.error("counts must be positive")
    mode = replace(UVLOOP if args.loop == "uvloop" else H11, workers=1)
    figures = run(
        mode=mode, flows=args.flows, concurrency=args.concurrency, repetitions=args.repetitions
    )
    report(figures)
    save_section(args.section or f"signin-{mode.name}", figures)


if __name__ == "__main__":
    main()
