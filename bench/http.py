"""Throughput and latency over HTTP: a bare Starlette endpoint vs otp_flow's send and verify.

    python -m bench.http [--loop uvloop|h11] [--workers N] [--redis standalone|cluster]
                         [--requests-1 N] [--requests-64 N] [--repetitions N]

uvicorn in the same mode for both apps (bench/apps.py; default production's uvloop + httptools,
one worker), wrk with one thread (bench/wrk_requests.lua) pinned apart from the server where the
cores allow, the same bounded number of requests for all three at 1 and at 64 connections.
otp_flow runs on a private Redis (or Redis Cluster) with rate limits off; every send goes to
another phone number and every verify checks a fresh code issued just before the run, so
per-recipient state never piles up. Prints the median of the repetitions and, per repetition, the
otp/bare ratios of that same repetition. Server CPU per request is that of every uvicorn process
(supervisor and workers), from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    # `python bench/http.py`: put the repository root, not bench/, first on the path, or this
    # file would shadow the standard library's http package.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.apps import REDIS_URL_VARIABLE
from bench.common import (
    command_line,
    machine,
    median,
    phone,
    private_redis,
    save_section,
)
from bench.load import (
    H11,
    UVLOOP,
    Cores,
    ServerMode,
    UvicornServer,
    WrkResult,
    run_wrk,
    write_bodies,
)
from bench.tokens import issue_codes
from tests.redis_harness import RedisClusterServers

TARGETS = ("bare", "send", "verify")


class Phones:
    """Hands out phone numbers never used before in this run."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, count: int) -> Iterator[str]:
        start, self.next = self.next, self.next + count
        return (phone(i) for i in range(start, start + count))


def send_bodies(phones: Iterator[str]) -> Iterator[str]:
    return (json.dumps({"phone_number": number}) for number in phones)


def one_round(
    bare: UvicornServer,
    otp: UvicornServer,
    redis_url: str,
    phones: Phones,
    workdir: Path,
    *,
    connections: int,
    requests: int,
    cores: Cores,
) -> dict[str, WrkResult]:
    """bare, send and verify with the same load; bare and send get the very same bodies."""
    count = requests + connections  # wrk may send up to connections - 1 more than it counts
    bodies = write_bodies(workdir / "send.jsonl", send_bodies(phones.take(count)))

    def drive(server: UvicornServer, path: str, bodies: Path) -> WrkResult:
        return run_wrk(
            server.url,
            path,
            bodies,
            connections=connections,
            requests=requests,
            server_pid=server.pid,
            cores=cores,
        )

    results = {"bare": drive(bare, "/otp/send", bodies), "send": drive(otp, "/otp/send", bodies)}
    pairs = asyncio.run(issue_codes(redis_url, list(phones.take(count))))
    verify_bodies = (json.dumps({"otp_token": token, "code": code}) for token, code in pairs)
    verify_file = write_bodies(workdir / "verify.jsonl", verify_bodies)
    results["verify"] = drive(otp, "/otp/verify", verify_file)
    for name, result in results.items():
        failed = result.non_2xx + result.socket_errors
        if failed:
            # Reported with the figures; more than 1 % makes the run worthless.
            print(f"  {name} at {connections} connections: {failed} failed requests", flush=True)
        if failed > requests // 100:
            raise RuntimeError(f"{name} at {connections} connections had failures: {result}")
    return results


def summarise(rounds: list[dict[str, WrkResult]]) -> dict[str, object]:
    figures: dict[str, object] = {}
    for target in TARGETS:
        figures[target] = {
            "rps": median([r[target].rps for r in rounds]),
            "p50_ms": median([r[target].p50_ms for r in rounds]),
            "p99_ms": median([r[target].p99_ms for r in rounds]),
            "server_cpu_ms": median([r[target].server_cpu_ms for r in rounds]),
            "failed": sum(r[target].non_2xx + r[target].socket_errors for r in rounds),
            "runs": [
                {
                    "rps": r[target].rps,
                    "p50_ms": r[target].p50_ms,
                    "p99_ms": r[target].p99_ms,
                    "server_cpu_ms": r[target].server_cpu_ms,
                }
                for r in rounds
            ],
        }
    for target in ("send", "verify"):
        ratios = [r[target].rps / r["bare"].rps for r in rounds]
        p50_deltas = [r[target].p50_ms - r["bare"].p50_ms for r in rounds]
        figures[f"{target}_ratio"] = median(ratios)
        figures[f"{target}_ratio_runs"] = ratios
        figures[f"{target}_p50_delta_ms"] = median(p50_deltas)
    return figures


@contextmanager
def redis_for(kind: str, cores: Cores) -> Iterator[str]:
    """The URL of a private Redis (``standalone``) or Redis Cluster of 3 masters (``cluster``),
    its servers pinned with the driver."""
    if kind == "cluster":
        cluster = RedisClusterServers(3)
        cluster.start()
        try:
            for server in cluster.servers:
                if server.process is not None:
                    cores.pin_driver(server.process.pid)
            yield cluster.url.replace("redis://", "redis+cluster://", 1)
        finally:
            cluster.cleanup()
        return
    with private_redis() as redis:
        if redis.process is not None:
            cores.pin_driver(redis.process.pid)
        yield redis.url


def run(
    *,
    mode: ServerMode = UVLOOP,
    loads: Sequence[tuple[int, int]] = ((1, 2_000), (64, 10_000)),
    repetitions: int = 5,
    redis_kind: str = "standalone",
    warm_up: int = 2_000,
) -> dict[str, object]:
    """``loads``: (connections, requests per run) pairs, each run ``repetitions`` times."""
    rounds: dict[int, list[dict[str, WrkResult]]] = {c: [] for c, _ in loads}
    phones = Phones()
    cores = Cores(mode.workers)
    with (
        redis_for(redis_kind, cores) as redis_url,
        tempfile.TemporaryDirectory(prefix="otp-bench-") as tmp,
        UvicornServer("bench.apps:bare_app", mode=mode, cores=cores) as bare,
        UvicornServer(
            "bench.apps:otp_app", env={REDIS_URL_VARIABLE: redis_url}, mode=mode, cores=cores
        ) as otp,
    ):
        workdir = Path(tmp)
        print(f"{mode.describe()}, Redis {redis_kind}; {cores.describe()}", flush=True)
        # Warm-up: imports, first connections, script loading, allocator growth.
        one_round(
            bare, otp, redis_url, phones, workdir, connections=64, requests=warm_up, cores=cores
        )
        for repetition in range(1, repetitions + 1):
            for connections, requests in loads:
                result = one_round(
                    bare,
                    otp,
                    redis_url,
                    phones,
                    workdir,
                    connections=connections,
                    requests=requests,
                    cores=cores,
                )
                rounds[connections].append(result)
                print(f"repetition {repetition}, {connections:>2} connection(s): " + ", ".join(
                    f"{name} {r.rps:,.0f}/s p50 {r.p50_ms:.2f} ms p99 {r.p99_ms:.2f} ms"
                    for name, r in result.items()
                ), flush=True)  # fmt: skip
    return {
        "command": command_line(),
        "machine": machine(),
        "server": mode.describe(),
        "mode": mode.name,
        "workers": mode.workers,
        "redis": redis_kind,
        "pinning": cores.describe(),
        "driver": "wrk -t1 (bench/wrk_requests.lua)",
        "requests": {str(c): n for c, n in loads},
        "repetitions": repetitions,
        "connections": {str(c): summarise(rounds[c]) for c in rounds},
    }


def report(figures: dict[str, object]) -> None:
    print(
        f"\nserver: {figures['server']}; Redis: {figures.get('redis', 'standalone')}; "
        f"driver: {figures['driver']}; {figures.get('pinning', '')}"
    )
    print(f"median of {figures['repetitions']} repetitions")
    connections = figures["connections"]
    assert isinstance(connections, dict)
    for conns, summary in connections.items():
        requests = figures["requests"][conns]  # type: ignore[index]
        print(f"\n{conns} connection(s), {requests} requests per run")
        print(f"  {'':8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'server CPU ms/req':>20}")
        for target in TARGETS:
            row = summary[target]
            print(
                f"  {target:8}{row['rps']:>10,.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}"
                f"{row['server_cpu_ms']:>20.3f}"
            )
        for target in ("send", "verify"):
            ratios = ", ".join(f"{r:.3f}" for r in summary[f"{target}_ratio_runs"])
            print(
                f"  {target}/bare throughput: {summary[f'{target}_ratio']:.3f} "
                f"(per repetition: {ratios}); p50 - bare p50: "
                f"{summary[f'{target}_p50_delta_ms']:+.3f} ms"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests-1", type=int, default=2_000, help="0: no 1-connection run")
    parser.add_argument("--requests-64", type=int, default=10_000, help="0: no 64-connection run")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--loop", choices=("uvloop", "h11"), default="uvloop")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", choices=("standalone", "cluster"), default="standalone")
    parser.add_argument(
        "--section",
        help="key under which bench/results.json keeps the figures (default: from the mode, "
        "e.g. http-uvloop-1w; bench/report.py knows the ones python -m bench writes)",
    )
    args = parser.parse_args(argv)
    loads = [(c, n) for c, n in ((1, args.requests_1), (64, args.requests_64)) if n > 0]
    if args.repetitions < 1 or args.workers < 1 or not loads:
        parser.error("counts must be positive")
    base = UVLOOP if args.loop == "uvloop" else H11
    mode = replace(base, workers=args.workers)
    figures = run(mode=mode, loads=loads, repetitions=args.repetitions, redis_kind=args.redis)
    report(figures)
    cluster = "-cluster" if args.redis == "cluster" else ""
    save_section(args.section or f"http-{mode.name}{cluster}", figures)


if __name__ == "__main__":
    main()
