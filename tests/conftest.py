"""Shared fixtures: a private Redis, both stores, a private PostgreSQL, SQL engines, and a clock
tests can move."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from otp_flow.stores.memory import MemoryStore
from tests.pg_harness import PostgresServer, external_postgres_url
from tests.redis_harness import RedisClusterServers, RedisServer, external_redis_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from otp_flow.stores.base import OTPStore
    from otp_flow.stores.redis import RedisStore

# 2026-03-10 09:00:00 Asia/Shanghai: a Tuesday morning, far from any day boundary.
T0 = 1773104400.0


class FakeClock:
    """An injectable clock: tests move time with ``advance`` instead of sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer | None]:
    """One private redis-server for the session (None when REDIS_URL points elsewhere)."""
    if external_redis_url():
        yield None
        return
    server = RedisServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of the test's own: stopping it (an outage) leaves the session's alone."""
    server = RedisServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer | None) -> str:
    return external_redis_url() or (redis_server.url if redis_server else "")


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    from otp_flow.stores.redis import RedisStore

    store = RedisStore.from_url(redis_url)
    await store.redis.flushdb()
    yield store
    await store.aclose()


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterServers]:
    """One private 3-master Redis Cluster for the session (started by the first test that
    needs it)."""
    servers = RedisClusterServers(3)
    servers.start()
    yield servers
    servers.cleanup()


@pytest.fixture
async def cluster_store(redis_cluster: RedisClusterServers) -> AsyncIterator[RedisStore]:
    from otp_flow.stores.redis import RedisStore

    store = RedisStore.from_url(redis_cluster.url, cluster=True)
    await store.redis.flushdb()  # on every primary
    yield store
    await store.aclose()


#: The backends a test that takes ``store`` runs on. Redis Cluster is added for the modules
#: marked ``every_store`` (the store contract, the token store): run under every ``store`` test
#: it would add about as much time again as the whole suite (measured: the 235 tests beyond
#: those modules took 53 s on the cluster, 35 s on single Redis), while the contract suite is
#: what proves the store itself on a cluster (every key hash-tagged, scripts on each primary).
STORE_BACKENDS = ("memory", "redis")
EVERY_STORE_BACKEND = (*STORE_BACKENDS, "cluster")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "every_store: run the module's ``store`` tests on Redis Cluster too"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" in metafunc.fixturenames:
        every = metafunc.definition.get_closest_marker("every_store") is not None
        backends = EVERY_STORE_BACKEND if every else STORE_BACKENDS
        metafunc.parametrize("store", backends, indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest) -> OTPStore:
    """The same test against every store backend (``STORE_BACKENDS``, or with ``every_store``
    ``EVERY_STORE_BACKEND``)."""
    return request.getfixturevalue(f"{request.param}_store")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One private PostgreSQL for the session (started by the first test that needs it), or
    the server ``PG_URL`` names."""
    external = external_postgres_url()
    if external:
        yield external
        return
    server = PostgresServer()
    server.start()
    yield server.url
    server.cleanup()


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose tables live in a schema of this test's own, dropped afterwards (so the
    tests share one server without seeing each other's tables, on ``PG_URL``'s too)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"test_{secrets.token_hex(6)}"
    admin = create_async_engine(postgres_url)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_async_engine(
        postgres_url, connect_args={"server_settings": {"search_path": schema}}
    )
    yield engine
    await engine.dispose()
    async with admin.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await admin.dispose()


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a new SQLite file (a file, not :memory:, so connections are separate)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'users.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def sql_engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """The same test on SQLite and PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


# ------------------------------------------------------------------------ no skips, ever
# A skipped test proves nothing and hides a missing install step (a project rule): the run fails.
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped:
        terminalreporter.write_line(
            f"FAILED: {len(_skipped)} skipped (tests must not skip): {', '.join(_skipped)}",
            red=True,
        )
