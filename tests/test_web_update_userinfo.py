"""Profile updates end to end over HTTP, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from otp_flow.stores.base import OTPStore
from otp_flow.users import UserEvent
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE, Site, browser, open_site

NEW_PHONE = "13912345678"
NEW_E164 = "+8613912345678"


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        yield site


async def test_anonymous_visitors_are_sent_to_login(site: Site) -> None:
    page = await site.client.get("/auth/update_userinfo")
    assert page.status_code == 303
    assert page.headers["location"] == (
        "/auth/login?next=%2Fauth%2Fupdate_userinfo&notice=sign_in_first"
    )
    shown = await site.client.get(page.headers["location"])
    assert "Please sign in first." in shown.text


async def test_change_display_name(site: Site) -> None:
    user = await site.signup(PHONE, E164)
    events: list[UserEvent] = []

    async def record(event: UserEvent) -> None:
        events.append(event)

    site.hooks.after_update_userinfo(record)
    page = await site.client.get("/auth/update_userinfo")
    assert 'value="Ann"' in page.text
    assert E164 in page.text
    saved = await site.post("/auth/update_userinfo", {"display_name": "Annie", "identifier": ""})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/auth/update_userinfo?notice=saved"
    assert "Your changes are saved." in (await site.client.get(saved.headers["location"])).text
    assert await site.whoami() == "hello Annie"
    assert [(e.previous and e.previous.display_name, e.user.display_name) for e in events] == [
        ("Ann", "Annie")
    ]
    assert (await site.users.get(user.id)) is not None


async def test_change_phone_applies_after_the_code_and_notifies_the_old_number(site: Site) -> None:
    user = await site.signup(PHONE, E164)
    await site.send_code("update_userinfo", NEW_PHONE, display_name="Ann")
    unchanged = await site.users.get(user.id)
    assert unchanged is not None and unchanged.phone_number == E164  # not before the code
    page = await site.client.get("/auth/update_userinfo/code")
    assert f"We sent a code by text message to {NEW_E164}." in page.text
    sent = await site.messages(NEW_E164)
    assert [m["usage"] for m in sent] == ["update_userinfo"]

    done = await site.enter_code("update_userinfo", sent[0]["code"])
    assert done.status_code == 303
    assert done.headers["location"] == "/auth/update_userinfo?notice=saved"
    changed = await site.users.get(user.id)
    assert changed is not None and changed.phone_number == NEW_E164
    assert await site.users.find_by_phone(E164) is None
    notice = (await site.messages(E164))[0]
    assert notice["code"] == ""
    assert "+86139****5678" in notice["text"] and "was changed" in notice["text"]


async def test_add_an_email(site: Site) -> None:
    user = await site.signup(PHONE, E164)
    await site.send_code("update_userinfo", EMAIL, display_name="Ann")
    await site.enter_code("update_userinfo", await site.code_for(EMAIL))
    changed = await site.users.get(user.id)
    assert changed is not None and changed.email == EMAIL and changed.phone_number == E164
    assert len(await site.messages(E164)) == 1  # no old email: nobody to notify


async def test_an_address_of_another_account_is_refused_after_the_code(site: Site) -> None:
    other = browser(site)
    async with other:
        page = await other.get("/auth/signup")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        await other.post("/auth/signup", data={"csrf_token": token, "identifier": EMAIL})
        code = await site.code_for(EMAIL)
        await other.post("/auth/signup/code", data={"csrf_token": token, "code": code})
        await other.post("/auth/signup/details", data={"csrf_token": token, "display_name": "Bo"})
    site.later()
    user = await site.signup(PHONE, E164)
    await site.send_code("update_userinfo", EMAIL, display_name="Ann")
    answer = await site.enter_code("update_userinfo", await site.code_for(EMAIL))
    assert answer.status_code == 422
    assert "This email address already belongs to another account." in answer.text
    unchanged = await site.users.get(user.id)
    assert unchanged is not None and unchanged.email is None


async def test_wrong_code_changes_nothing(site: Site) -> None:
    user = await site.signup(PHONE, E164)
    await site.send_code("update_userinfo", NEW_PHONE, display_name="Ann")
    code = await site.code_for(NEW_E164)
    answer = await site.enter_code("update_userinfo", "000000" if code != "000000" else "111111")
    assert answer.status_code == 422
    assert "That code is not correct." in answer.text
    unchanged = await site.users.get(user.id)
    assert unchanged is not None and unchanged.phone_number == E164


async def test_same_address_is_no_change_and_bad_input_is_refused(site: Site) -> None:
    await site.signup(PHONE, E164)
    same = await site.post("/auth/update_userinfo", {"display_name": "Ann", "identifier": PHONE})
    assert same.status_code == 303
    assert len(await site.messages(E164)) == 1  # only the signup code
    bad = await site.post("/auth/update_userinfo", {"display_name": "Ann", "identifier": "123"})
    assert bad.status_code == 422
    assert "Enter a valid mobile number or email address." in bad.text
    nameless = await site.post("/auth/update_userinfo", {"display_name": ""})
    assert "Enter a display name." in nameless.text


async def test_another_user_cannot_finish_a_change(site: Site) -> None:
    await site.signup(PHONE, E164)
    await site.send_code("update_userinfo", NEW_PHONE, display_name="Ann")
    pending = site.client.cookies["otp_token"]
    await site.logout()
    site.later()
    await site.signup(EMAIL, EMAIL, name="Bo")
    site.client.cookies.set("otp_token", pending, path="/auth")
    page = await site.client.get("/auth/update_userinfo/code")
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/update_userinfo?notice=restart"
