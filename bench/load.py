"""One uvicorn worker in a child process, and wrk driving it with a bounded number of requests."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from bench.common import BENCH_DIR, CLIENT, REPO_ROOT, has_package
from tests.uvicorn_harness import UvicornProcess

WRK_SCRIPT = BENCH_DIR / "wrk_requests.lua"
#: The CIAM dialect's client authentication for the benchmark client.
AUTHORIZATION = "Basic " + base64.b64encode(f"{CLIENT.id}:{CLIENT.secret}".encode()).decode()


def uvicorn_flags() -> list[str]:
    """uvloop and httptools when installed (what a production install would use), else the
    pure-Python defaults; recorded with the results."""
    loop = "uvloop" if has_package("uvloop") else "asyncio"
    http = "httptools" if has_package("httptools") else "h11"
    return ["--loop", loop, "--http", http]


class UvicornServer(UvicornProcess):
    """``uvicorn --factory <factory> --workers 1`` with ``uvicorn_flags`` (a context manager)."""

    def __init__(self, factory: str, *, env: Mapping[str, str] | None = None) -> None:
        super().__init__(factory, env=env, options=uvicorn_flags())


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process ``pid`` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    #: CPU the server process used per request (ms), when the server's pid was given.
    server_cpu_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def write_bodies(path: Path, bodies: Iterable[str]) -> Path:
    path.write_text("".join(body + "\n" for body in bodies), encoding="utf-8")
    return path


def run_wrk(
    url: str,
    path: str,
    bodies: Path,
    *,
    connections: int,
    requests: int,
    authorization: str | None = AUTHORIZATION,
    max_seconds: int = 120,
    server_pid: int | None = None,
) -> WrkResult:
    """``requests`` POSTs to ``url + path`` over ``connections`` keep-alive connections.

    One wrk thread (``-t1``): the machine has two cores, one for the server, one for wrk (and
    Redis); more wrk threads would only take CPU away from the server being measured.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    args = [
        wrk, "-t1", f"-c{connections}", f"-d{max_seconds}s", "--timeout", "10s",
        "-s", str(WRK_SCRIPT), url,
        "--", str(bodies), path, authorization or "-", str(requests),
    ]  # fmt: skip
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    assert process.stdout is not None
    result = None
    for line in process.stdout:
        if line.startswith("BENCH-STOPPED"):
            process.send_signal(signal.SIGINT)  # wrk prints its summary now, not after -d
        elif line.startswith("BENCH-RESULT"):
            count, elapsed_us, non_2xx, errors, p50, p99 = (int(v) for v in line.split()[1:])
            result = WrkResult(count, elapsed_us / 1e6, non_2xx, errors, p50 / 1e3, p99 / 1e3)
    process.wait()
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    if result is None or result.requests < requests:
        raise RuntimeError(f"wrk did not complete {requests} requests: {result}")
    # A few responses already read when the thread stopped may be counted too; the rate is
    # over exactly the first ``requests`` responses, as the elapsed time is.
    return replace(result, requests=requests, server_cpu_ms=cpu * 1000 / requests)
