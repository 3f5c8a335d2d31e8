"""How many times a page sign-in waits for Redis: each round trip is CPU in the client and
latency for the visitor. Counted by Redis itself (``total_reads_processed`` of INFO stats: one
read per request the client sends, however many commands a script or pipeline holds in it)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from otp_flow.stores.redis import RedisStore
from tests.conftest import FakeClock
from tests.web_helpers import E164, PHONE, Site, open_site

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def site(redis_store: RedisStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(redis_store, clock) as site:
        await site.signup(PHONE, E164)
        await site.logout()
        site.later()
        yield site


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A connection of its own for INFO (its one read per INFO is taken off)."""
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_round_trips_of_a_page_sign_in_by_code(site: Site, admin: aioredis.Redis) -> None:
    async def reads() -> int:
        return int((await admin.info("stats"))["total_reads_processed"])

    trips: dict[str, int] = {}

    async def counted(step: str) -> None:
        trips[step] = await reads() - before - 1  # the INFO read that took ``before``

    client = site.client
    before = await reads()
    login = await client.get("/auth/login", params={"next": "/account"})
    await counted("GET login")
    form = {"csrf_token": _CSRF.findall(login.text)[0], "identifier": PHONE, "next": "/account"}
    before = await reads()
    sent = await client.post("/auth/login", data=form)
    await counted("POST identifier")
    assert sent.status_code == 303
    code = await site.code_for(E164)
    before = await reads()
    code_page = await client.get(sent.headers["location"])
    await counted("GET code page")
    form = {"csrf_token": _CSRF.findall(code_page.text)[0], "code": code}
    before = await reads()
    done = await client.post(sent.headers["location"], data=form)
    await counted("POST code")
    assert done.status_code == 303 and done.headers["location"] == "/account"
    before = await reads()
    page = await client.get("/account")
    await counted("GET protected page")
    assert page.status_code == 200 and "hello" in page.text
    assert trips == {
        "GET login": 0,
        # The user lookup (find_user.lua: index and user at once), the send (issue.lua), the
        # outbox the test site delivers to (outbox_push.lua).
        "POST identifier": 3,
        "GET code page": 0,
        # The check (verify.lua), the user lookup again, the new session (create_session.lua).
        "POST code": 3,
        # The session, then its user (two stores, two hash tags: two Cluster slots).
        "GET protected page": 2,
    }
