"""Throughput and latency over HTTP: a bare Starlette endpoint vs otp_flow's send and verify.

    python -m bench.http [--requests-1 N] [--requests-64 N] [--repetitions N]

One uvicorn worker each (bench/apps.py), wrk with one thread (bench/wrk_requests.lua), the same
bounded number of requests for all three at 1 and at 64 connections. otp_flow runs on a private
Redis with rate limits off; every send goes to another phone number and every verify checks a
fresh code issued just before the run, so per-recipient state never piles up. Prints the median
of the repetitions and, per repetition, the otp/bare ratios of that same repetition.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Iterator
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
from bench.load import UvicornServer, WrkResult, run_wrk, uvicorn_flags, write_bodies
from bench.tokens import issue_codes

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
        )

    results = {"bare": drive(bare, "/otp/send", bodies), "send": drive(otp, "/otp/send", bodies)}
    pairs = asyncio.run(issue_codes(redis_url, list(phones.take(count))))
    verify_bodies = (json.dumps({"otp_token": token, "code": code}) for token, code in pairs)
    verify_file = write_bodies(workdir / "verify.jsonl", verify_bodies)
    results["verify"] = drive(otp, "/otp/verify", verify_file)
    for name, result in results.items():
        if result.non_2xx or result.socket_errors:
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


def run(*, requests_1: int, requests_64: int, repetitions: int) -> dict[str, object]:
    loads = ((1, requests_1), (64, requests_64))
    rounds: dict[int, list[dict[str, WrkResult]]] = {c: [] for c, _ in loads}
    phones = Phones()
    with (
        private_redis() as redis,
        tempfile.TemporaryDirectory(prefix="otp-bench-") as tmp,
        UvicornServer("bench.apps:bare_app") as bare,
        UvicornServer("bench.apps:otp_app", env={REDIS_URL_VARIABLE: redis.url}) as otp,
    ):
        workdir = Path(tmp)
        # Warm-up: imports, first connections, script loading, allocator growth.
        one_round(bare, otp, redis.url, phones, workdir, connections=64, requests=2000)
        for repetition in range(1, repetitions + 1):
            for connections, requests in loads:
                result = one_round(
                    bare,
                    otp,
                    redis.url,
                    phones,
                    workdir,
                    connections=connections,
                    requests=requests,
                )
                rounds[connections].append(result)
                print(f"repetition {repetition}, {connections:>2} connection(s): " + ", ".join(
                    f"{name} {r.rps:,.0f}/s p50 {r.p50_ms:.2f} ms p99 {r.p99_ms:.2f} ms"
                    for name, r in result.items()
                ), flush=True)  # fmt: skip
    return {
        "command": command_line(),
        "machine": machine(),
        "server": "uvicorn --workers 1 " + " ".join(uvicorn_flags()),
        "driver": "wrk -t1 (bench/wrk_requests.lua)",
        "requests": {str(c): n for c, n in loads},
        "repetitions": repetitions,
        "connections": {str(c): summarise(rounds[c]) for c in rounds},
    }


def report(figures: dict[str, object]) -> None:
    print(f"\nserver: {figures['server']}; driver: {figures['driver']}")
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
    parser.add_argument("--requests-1", type=int, default=2_000)
    parser.add_argument("--requests-64", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument(
        "--section",
        default="http",
        help="key under which bench/results.json keeps the figures (e.g. http-uvloop for a "
        "run with uvloop and httptools on PYTHONPATH; bench/report.py shows it as an extra)",
    )
    args = parser.parse_args(argv)
    if args.repetitions < 1 or args.requests_1 < 1 or args.requests_64 < 1:
        parser.error("counts must be positive")
    figures = run(
        requests_1=args.requests_1, requests_64=args.requests_64, repetitions=args.repetitions
    )
    report(figures)
    save_section(args.section, figures)


if __name__ == "__main__":
    main()
