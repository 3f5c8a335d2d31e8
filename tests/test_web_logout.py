"""Logout: a confirmation page, then the session really ends on the server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from otp_flow.stores.base import OTPStore
from tests.conftest import FakeClock
from tests.web_helpers import E164, PHONE, Site, browser, open_site


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        yield site


async def test_logout_asks_first_then_ends_the_session_everywhere(site: Site) -> None:
    await site.signup(PHONE, E164)
    cookie = site.client.cookies["otp_session"]
    confirm = await site.client.get("/auth/logout")
    assert confirm.status_code == 200
    assert "Do you want to sign out?" in confirm.text
    assert await site.whoami() == "hello Ann"  # a GET (a link, an image) signs nobody out

    done = await site.logout()
    assert done.status_code == 303
    assert done.headers["location"] == "/auth/login?notice=signed_out"
    assert "You are signed out." in (await site.client.get(done.headers["location"])).text
    assert "otp_session" not in site.client.cookies
    # A copy of the cookie (another tab, a thief) is dead too: the session is gone server-side.
    async with browser(site) as copy:
        copy.cookies.set("otp_session", cookie, path="/")
        assert (await copy.get("/")).text == "hello stranger"


async def test_logout_goes_to_a_local_next(site: Site) -> None:
    await site.signup(PHONE, E164)
    page = await site.client.get("/auth/logout?next=/bye")
    assert 'name="next" value="/bye"' in page.text
    done = await site.post("/auth/logout", {"next": "/bye"})
    assert done.headers["location"] == "/bye"


async def test_anonymous_logout_page_goes_home(site: Site) -> None:
    page = await site.client.get("/auth/logout")
    assert page.status_code == 303
    assert page.headers["location"] == "/"
    posted = await site.logout()  # harmless
    assert posted.status_code == 303
