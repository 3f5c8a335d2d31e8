"""An app factory served by uvicorn in a child process on a free loopback port.

A child process has its own interpreter and event loop, as in production: whoever drives it
times the app as a real caller would, and a hang in the app never stalls the caller's loop.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.redis_harness import free_port

__all__ = ["UvicornProcess"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class UvicornProcess:
    """``uvicorn --factory <factory> --workers 1`` on a free loopback port (a context manager).

    ``env`` is added to this process's environment; ``options`` go to uvicorn as they are.
    """

    def __init__(
        self,
        factory: str,
        *,
        env: Mapping[str, str] | None = None,
        log_level: str = "warning",
        options: Sequence[str] = (),
        start_timeout: float = 30.0,
    ) -> None:
        self.factory = factory
        self.port = free_port()
        path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
        self.env = {**os.environ, **(env or {}), "PYTHONPATH": path}
        self.log_level = log_level
        self.options = list(options)
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the server is not running")
        return self.process.pid

    def __enter__(self) -> Self:
        args = [
            sys.executable, "-m", "uvicorn", "--factory", self.factory,
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
            "--log-level", self.log_level, "--no-access-log", *self.options,
        ]  # fmt: skip
        self.process = subprocess.Popen(args, cwd=REPO_ROOT, env=self.env)
        deadline = time.monotonic() + self.start_timeout
        while not _accepts(self.port):
            if self.process.poll() is not None:
                code = self.process.returncode
                self.__exit__(None, None, None)
                raise RuntimeError(f"uvicorn {self.factory} exited with {code}")
            if time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"uvicorn {self.factory} did not start in time")
            time.sleep(0.02)  # polling a child process's start-up, not passing test time
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False
