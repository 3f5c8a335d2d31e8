"""uvicorn in a child process (one or more workers, production's loop or the pure-Python one),
wrk driving it with a bounded number of requests, CPU pinning and CPU time from /proc."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from bench.common import BENCH_DIR, CLIENT, REPO_ROOT, has_package
from tests.uvicorn_harness import UvicornProcess

WRK_SCRIPT = BENCH_DIR / "wrk_requests.lua"
#: The CIAM dialect's client authentication for the benchmark client.
AUTHORIZATION = "Basic " + base64.b64encode(f"{CLIENT.id}:{CLIENT.secret}".encode()).decode()


@dataclass(frozen=True)
class ServerMode:
    """How uvicorn serves: event loop, HTTP parser and worker processes."""

    loop: str = "uvloop"
    http: str = "httptools"
    workers: int = 1

    @property
    def name(self) -> str:
        """``uvloop``/``h11`` and the worker count, e.g. ``uvloop-2w``."""
        return f"{'uvloop' if self.loop == 'uvloop' else 'h11'}-{self.workers}w"

    def flags(self) -> list[str]:
        # UvicornProcess passes --workers 1 first; click keeps the last value of an option.
        return ["--loop", self.loop, "--http", self.http, "--workers", str(self.workers)]

    def describe(self) -> str:
        return "uvicorn " + " ".join(self.flags())

    def available(self) -> bool:
        needed = [name for name in (self.loop, self.http) if name in ("uvloop", "httptools")]
        return all(has_package(name) for name in needed)


#: Production's settings (uvicorn[standard]) and uvicorn's pure-Python defaults.
UVLOOP = ServerMode("uvloop", "httptools")
H11 = ServerMode("asyncio", "h11")


def uvicorn_flags() -> list[str]:
    """uvloop and httptools when installed (what a production install would use), else the
    pure-Python defaults."""
    return (UVLOOP if UVLOOP.available() else H11).flags()


class Cores:
    """Which CPUs the server gets and which the driver (wrk or the flow driver) and Redis get.

    On two cores: one worker on CPU 0, driver and Redis on CPU 1, so they do not take turns on
    the server's core. Two workers on two cores cannot be kept apart from the driver: then
    nothing is pinned (``pinned`` is False and the report says so).
    """

    def __init__(self, workers: int, cpus: list[int] | None = None) -> None:
        cpus = sorted(os.sched_getaffinity(0)) if cpus is None else cpus
        self.pinned = len(cpus) > workers
        self.server = set(cpus[:-1]) if self.pinned else set(cpus)
        self.driver = {cpus[-1]} if self.pinned else set(cpus)

    def describe(self) -> str:
        if not self.pinned:
            return "not pinned (fewer cores than workers + 1)"
        return f"server on CPU {_cpu_list(self.server)}, driver and Redis on CPU " + _cpu_list(
            self.driver
        )

    def pin_server(self, pid: int) -> None:
        if self.pinned:
            for task in process_tree(pid):
                _set_affinity(task, self.server)

    def pin_driver(self, pid: int) -> None:
        if self.pinned:
            for task in process_tree(pid):
                _set_affinity(task, self.driver)

    def driver_prefix(self) -> list[str]:
        """``taskset`` in front of a driver command, when pinning and taskset is installed."""
        taskset = shutil.which("taskset")
        return [taskset, "-c", _cpu_list(self.driver)] if self.pinned and taskset else []


def _cpu_list(cpus: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def _set_affinity(pid: int, cpus: set[int]) -> None:
    # Every thread of the process: sched_setaffinity on a pid moves only that thread.
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(tid), cpus)
    except (OSError, ValueError):
        pass  # a thread that ended meanwhile


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's supervisor and its workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for tid in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{tid}/children").read_text().split()
                todo.extend(int(child) for child in children)
        except OSError:
            continue
    return found


class UvicornServer(UvicornProcess):
    """``uvicorn --factory <factory>`` in ``mode`` (default: production's), pinned by ``cores``
    (a context manager). ``pid`` is the supervisor with several workers: measure CPU with
    ``tree_cpu_seconds``."""

    def __init__(
        self,
        factory: str,
        *,
        env: Mapping[str, str] | None = None,
        mode: ServerMode | None = None,
        cores: Cores | None = None,
    ) -> None:
        self.mode = mode or (UVLOOP if UVLOOP.available() else H11)
        if not self.mode.available():
            raise RuntimeError(f"{self.mode.describe()} needs the bench extra (uvloop, httptools)")
        super().__init__(factory, env=env, options=self.mode.flags())
        self.cores = cores

    def __enter__(self) -> UvicornServer:
        super().__enter__()
        _wait_for_workers(self.pid, self.mode.workers)
        if self.cores is not None:
            self.cores.pin_server(self.pid)
        return self


def _wait_for_workers(pid: int, workers: int, timeout: float = 30.0) -> None:
    """With several workers the port accepts before every worker has started: wait for them."""
    if workers == 1:
        return
    deadline = time.monotonic() + timeout
    # The supervisor, its workers, and multiprocessing's resource tracker.
    while len(process_tree(pid)) < workers + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # each worker's application start-up


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process ``pid`` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and every process below it (utime + stime of each)."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):  # ended meanwhile
            total += cpu_seconds(member)
    return total


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
    cores: Cores | None = None,
) -> WrkResult:
    """``requests`` POSTs to ``url + path`` over ``connections`` keep-alive connections.

    One wrk thread (``-t1``): the machine has two cores, one for the server, one for wrk (and
    Redis); more wrk threads would only take CPU away from the server being measured. With
    ``cores``, wrk runs under ``taskset`` on the driver's CPU. ``server_pid``: measure the CPU
    of that process and every process below it, per request.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    args = [
        wrk, "-t1", f"-c{connections}", f"-d{max_seconds}s", "--timeout", "10s",
        "-s", str(WRK_SCRIPT), url,
        "--", str(bodies), path, authorization or "-", str(requests),
    ]  # fmt: skip
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    prefix = cores.driver_prefix() if cores is not None else []
    process = subprocess.Popen([*prefix, *args], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    assert process.stdout is not None
    result = None
    for line in process.stdout:
        if line.startswith("BENCH-STOPPED"):
            process.send_signal(signal.SIGINT)  # wrk prints its summary now, not after -d
        elif line.startswith("BENCH-RESULT"):
            count, elapsed_us, non_2xx, errors, p50, p99 = (int(v) for v in line.split()[1:])
            result = WrkResult(count, elapsed_us / 1e6, non_2xx, errors, p50 / 1e3, p99 / 1e3)
    process.wait()
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    if result is None or result.requests < requests:
        raise RuntimeError(f"wrk did not complete {requests} requests: {result}")
    # A few responses already read when the thread stopped may be counted too; the rate is
    # over exactly the first ``requests`` responses, as the elapsed time is.
    return replace(result, requests=requests, server_cpu_ms=cpu * 1000 / requests)
