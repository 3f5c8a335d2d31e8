"""Password reset end to end over HTTP, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from otp_flow.stores.base import OTPStore
from otp_flow.users import UserEvent
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE, Site, browser, open_site


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        yield site


async def test_reset_sets_the_password_signs_in_and_ends_every_other_session(site: Site) -> None:
    user = await site.signup(PHONE, E164, password="old password")
    events: list[UserEvent] = []

    async def record(event: UserEvent) -> None:
        events.append(event)

    site.hooks.after_reset_password(record)
    other = browser(site)  # Ann is also signed in on another device
    async with other:
        other.cookies.set("otp_session", site.client.cookies["otp_session"], path="/")
        assert (await other.get("/")).text == "hello Ann"
        await site.logout()
        site.later()

        await site.send_code("reset_password", PHONE, next="/account")
        page = await site.client.get("/auth/reset_password/code")
        assert f"If {E164} belongs to an account, a code is on its way to it." in page.text
        verified = await site.enter_code("reset_password", await site.code_for(E164))
        assert verified.headers["location"] == "/auth/reset_password/new"
        form = await site.client.get("/auth/reset_password/new")
        assert 'autocomplete="new-password"' in form.text
        short = await site.post("/auth/reset_password/new", {"password": "short"})
        assert short.status_code == 422
        assert "at least 8 characters" in short.text

        done = await site.post("/auth/reset_password/new", {"password": "new password"})
        assert done.status_code == 303
        assert done.headers["location"] == "/account"
        assert await site.whoami() == "hello Ann"
        assert (await other.get("/")).text == "hello stranger"  # signed out everywhere else
    assert await site.users.check_password(user.id, "new password")
    assert not await site.users.check_password(user.id, "old password")
    assert [e.kind for e in events] == ["reset_password"]


async def test_reset_for_a_user_without_password_sets_one(site: Site) -> None:
    user = await site.signup(EMAIL, EMAIL)
    site.later()
    await site.send_code("reset_password", EMAIL)
    await site.enter_code("reset_password", await site.code_for(EMAIL))
    await site.post("/auth/reset_password/new", {"password": "first password"})
    refreshed = await site.users.get(user.id)
    assert refreshed is not None and refreshed.has_password
    await site.logout()
    by_password = await site.post(
        "/auth/login", {"identifier": EMAIL, "password": "first password"}
    )
    assert by_password.status_code == 303


async def test_new_password_page_needs_a_verified_code(site: Site) -> None:
    await site.signup(PHONE, E164)
    site.later()
    await site.send_code("reset_password", PHONE)
    answer = await site.post("/auth/reset_password/new", {"password": "sneaky password"})
    assert answer.status_code == 422
    assert "Please start again." in answer.text


async def test_a_login_cookie_does_not_open_the_reset_page(site: Site) -> None:
    await site.signup(PHONE, E164)
    await site.logout()
    site.later()
    await site.login_by_code(PHONE, E164)  # leaves no pending cookie; send one for login
    site.later()
    await site.send_code("login", PHONE)
    page = await site.client.get("/auth/reset_password/code")
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/reset_password?notice=restart"
