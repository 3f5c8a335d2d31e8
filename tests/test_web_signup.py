"""Signup end to end over HTTP, on both stores."""

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


async def test_signup_with_phone_creates_the_account_and_signs_in(site: Site) -> None:
    events: list[UserEvent] = []

    async def record(event: UserEvent) -> None:
        events.append(event)

    site.hooks.after_signup(record)
    page = await site.client.get("/auth/signup?next=/account")
    assert page.status_code == 200
    assert 'autocomplete="username"' in page.text
    await site.send_code("signup", PHONE, next="/account")
    code_page = await site.client.get("/auth/signup/code")
    assert f"We sent a code by text message to {E164}." in code_page.text

    verified = await site.enter_code("signup", await site.code_for(E164))
    assert verified.status_code == 303
    assert verified.headers["location"] == "/auth/signup/details"
    details = await site.client.get("/auth/signup/details")
    assert f"{E164} is confirmed." in details.text
    assert 'autocomplete="new-password"' in details.text

    created = await site.post(
        "/auth/signup/details", {"display_name": "  Ann   Lee ", "password": "correct horse"}
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/account"
    assert await site.whoami() == "hello Ann Lee"
    user = await site.users.find_by_phone(E164)
    assert user is not None and user.display_name == "Ann Lee" and user.has_password
    assert await site.users.check_password(user.id, "correct horse")
    assert [(e.kind, e.user.id) for e in events] == [("signup", user.id)]
    # The flow is over: its cookie is gone, the details page cannot create a second account.
    again = await site.post("/auth/signup/details", {"display_name": "Twin"})
    assert again.status_code == 422
    assert "Please start again." in again.text


async def test_signup_with_email_and_no_password(site: Site) -> None:
    user = await site.signup(EMAIL, EMAIL, name="Bo")
    assert user.email == EMAIL and user.phone_number is None and not user.has_password
    assert (await site.messages(EMAIL))[0]["usage"] == "signup"


async def test_details_are_checked(site: Site) -> None:
    await site.send_code("signup", PHONE)
    await site.enter_code("signup", await site.code_for(E164))
    empty = await site.post("/auth/signup/details", {"display_name": "   "})
    assert empty.status_code == 422
    assert "Enter a display name." in empty.text
    long = await site.post("/auth/signup/details", {"display_name": "x" * 65})
    assert "at most 64 characters" in long.text
    weird = await site.post("/auth/signup/details", {"display_name": "evil\u202etxt"})
    assert "characters that are not allowed" in weird.text
    short = await site.post("/auth/signup/details", {"display_name": "Ann", "password": "short"})
    assert short.status_code == 422
    assert "The password must have at least 8 characters." in short.text
    assert 'value="Ann"' in short.text
    assert await site.users.find_by_phone(E164) is None
    ok = await site.post("/auth/signup/details", {"display_name": "Ann"})
    assert ok.status_code == 303


async def test_registered_address_is_told_only_after_the_code(site: Site) -> None:
    await site.signup(PHONE, E164)
    site.later()
    stranger = browser(site)
    async with stranger:
        page = await stranger.get("/auth/signup")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        sent = await stranger.post("/auth/signup", data={"csrf_token": token, "identifier": PHONE})
        # The first step answers exactly as for a new address: a code is on its way.
        assert sent.status_code == 303
        assert sent.headers["location"] == "/auth/signup/code"
        code = await site.code_for(E164)
        told = await stranger.post("/auth/signup/code", data={"csrf_token": token, "code": code})
    assert told.status_code == 422
    assert "This phone number is already registered. Please sign in instead." in told.text
    assert 'href="/auth/login"' in told.text


async def test_wrong_signup_code(site: Site) -> None:
    await site.send_code("signup", EMAIL)
    code = await site.code_for(EMAIL)
    answer = await site.enter_code("signup", "999999" if code != "999999" else "888888")
    assert answer.status_code == 422
    assert "You have 4 attempts left." in answer.text


async def test_details_page_without_a_verified_code_restarts(site: Site) -> None:
    await site.send_code("signup", PHONE)  # code sent, not entered
    page = await site.client.get("/auth/signup/details")
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/signup?notice=restart"
    assert await site.users.find_by_phone(E164) is None


async def test_what_people_type_is_escaped(site: Site) -> None:
    await site.signup(PHONE, E164, name="<b>Ann</b>")
    page = await site.client.get("/auth/update_userinfo")
    assert "&lt;b&gt;Ann&lt;/b&gt;" in page.text and "<b>Ann" not in page.text
    echoed = await site.post(
        "/auth/update_userinfo", {"display_name": "x", "identifier": '"><script>1</script>'}
    )
    assert "<script>1" not in echoed.text and "&lt;script&gt;" in echoed.text
