"""Shared fixtures: a private Redis, both stores, and a clock tests can move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

from otp_flow.stores.memory import MemoryStore
from tests.redis_harness import RedisServer, external_redis_url

if TYPE_CHECKING:
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


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> OTPStore:
    """The same test against every store backend."""
    name = "memory_store" if request.param == "memory" else "redis_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


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
