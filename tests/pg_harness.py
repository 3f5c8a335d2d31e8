"""Private PostgreSQL servers for the test suite.

Each server is a fresh cluster (``initdb``) in its own temporary directory, started with
``pg_ctl`` on a free loopback port, its unix socket inside that directory, fsync off: the suite
never touches a PostgreSQL it did not start (the machine's own on 5432 included). PostgreSQL
refuses to run as root, so as root the cluster belongs to, and runs as, the ``postgres`` system
user. ``PG_URL`` points the suite at a server someone else runs instead (each test makes and
drops a schema of its own there; the outage test still starts and stops a server of its own).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.redis_harness import free_port

__all__ = ["PostgresServer", "external_postgres_url", "postgres_binary"]

#: Who runs the server when the suite runs as root (Debian's package creates this user).
SYSTEM_USER = "postgres"


def postgres_binary(name: str) -> str:
    """``initdb`` / ``pg_ctl`` of the newest Debian ``postgresql`` package, else from PATH.

    Debian keeps them in /usr/lib/postgresql/<major>/bin, off PATH; some machines link them into
    /usr/local/bin, but a fresh one need not.
    """
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise RuntimeError(
        f"no {name}: install Debian's postgresql package (apt-get install postgresql)"
    )


class PostgresServer:
    """One private PostgreSQL cluster; ``stop()`` and ``start()`` simulate an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.user = "otp_flow"
        self.password = secrets.token_urlsafe(16)
        self.dir = Path(tempfile.mkdtemp(prefix="otp-flow-pg-"))
        self.data = self.dir / "data"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            owner = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._initialised = False
        atexit.register(self.cleanup)  # also when the session ends without its fixture teardown

    @property
    def url(self) -> str:
        """The asyncpg URL of the ``postgres`` database, as the superuser ``otp_flow``."""
        return f"postgresql+asyncpg://{self.user}:{self.password}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", SYSTEM_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.dir, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        if not self._initialised:
            self._initdb()
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.dir}",
                "-c fsync=off",  # a throwaway cluster: speed over durability
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        log = str(self.dir / "server.log")
        self._run(postgres_binary("pg_ctl"), "-D", str(self.data), "-l", log, "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def _initdb(self) -> None:
        secret = self.dir / "password"
        secret.write_text(self.password, encoding="utf-8")
        if self._as_root:
            owner = pwd.getpwnam(SYSTEM_USER)
            os.chown(secret, owner.pw_uid, owner.pw_gid)
        try:
            # TCP needs the password (scram); the socket, in this private 0700 directory, not.
            self._run(postgres_binary("initdb"), "-D", str(self.data), "-U", self.user,
                      f"--pwfile={secret}", "--auth-host=scram-sha-256", "--auth-local=trust",
                      "-E", "UTF8", "--no-sync")  # fmt: skip
        finally:
            secret.unlink()
        self._initialised = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server, cutting every connection. ``fast`` keeps the data for a restart
        (commits are asynchronous here, so ``immediate`` may lose the last ones)."""
        if self.data.joinpath("postmaster.pid").exists():
            self._run(postgres_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                      "stop")  # fmt: skip

    def cleanup(self) -> None:
        if self.dir.exists():
            try:
                self.stop("immediate")  # the data is thrown away anyway
            finally:
                shutil.rmtree(self.dir, ignore_errors=True)


def external_postgres_url() -> str | None:
    """``PG_URL`` (a ``postgresql+asyncpg://`` URL) points the suite at another server."""
    return os.environ.get("PG_URL") or None
