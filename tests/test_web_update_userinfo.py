"""Profile updates end to end over HTTP, on both stores."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from otp_flow import OTPEngine
from otp_flow.messages import default_renderer
from otp_flow.senders._base import Message
from otp_flow.senders._outbox import OutboxSender
from otp_flow.stores.base import OTPStore
from otp_flow.users import MemoryUserStore, UserEvent
from otp_flow.web import create_auth_app
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, KEYS, PHONE, Site, browser, open_site

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
    assert (notice.get("kind"), notice["code"], notice["usage"]) == (
        "notice",
        "",
        "update_userinfo",
    )
    expected = site.engine.renderer.render_notice(
        channel="sms",
        recipient=E164,
        locale="en",
        client_id="otp_flow.web",
        changed="phone_number",
        new_value_masked="+86139****5678",
    )
    assert notice["text"] == expected.text  # rendered from the notice templates
    assert "+86139****5678" in notice["text"] and "was changed" in notice["text"]
    assert [m.get("kind") for m in await site.messages(NEW_E164)] == [None]  # just the code


async def test_change_email_notifies_the_old_email(site: Site) -> None:
    user = await site.signup(EMAIL, EMAIL)
    site.later()
    await site.send_code("update_userinfo", "Ann.New@Example.com", display_name="Ann")
    await site.enter_code("update_userinfo", await site.code_for("ann.new@example.com"))
    changed = await site.users.get(user.id)
    assert changed is not None and changed.email == "ann.new@example.com"
    notice = (await site.messages(EMAIL))[0]
    assert notice.get("kind") == "notice" and notice["code"] == ""
    assert "email address of your account was changed to a***@example.com" in notice["text"]
    assert notice["channel"] == "email"


class NoticesFail:
    """A provider that delivers codes (to the outbox) but is down whenever a notice comes."""

    def __init__(self, outbox: OutboxSender) -> None:
        self.outbox = outbox

    async def send(self, message: Message) -> None:
        if message.kind == "notice":
            raise ConnectionError("the provider is down")
        await self.outbox.send(message)


async def test_a_failed_notice_does_not_undo_the_change(
    store: OTPStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_site(
        store, clock, sender=NoticesFail(OutboxSender(store, clock=clock))
    ) as site:
        user = await site.signup(PHONE, E164)
        await site.send_code("update_userinfo", NEW_PHONE, display_name="Ann")
        with caplog.at_level(logging.WARNING, "otp_flow"):
            done = await site.enter_code("update_userinfo", await site.code_for(NEW_E164))
        assert done.status_code == 303
        assert done.headers["location"] == "/auth/update_userinfo?notice=saved"
        changed = await site.users.get(user.id)
        assert changed is not None and changed.phone_number == NEW_E164
        assert "could not notify the old sms address" in caplog.text
        assert E164 not in caplog.text  # addresses stay out of the log
        assert [m["code"] != "" for m in await site.messages(E164)] == [True]  # no notice


def test_the_pages_need_a_renderer_that_renders_notices(store: OTPStore, clock: FakeClock) -> None:
    class CodesOnly:
        """An application's renderer from before notices existed."""

        def render(self, **kwargs: Any) -> Message:
            return default_renderer().render(**kwargs)

    renderer: Any = CodesOnly()  # what mypy would refuse, an application may still pass
    engine = OTPEngine(secret_keys=KEYS, store=store, renderer=renderer, clock=clock)
    with pytest.raises(ValueError, match="render_notice"):
        create_auth_app(engine, users=MemoryUserStore(), secret_keys=KEYS)


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
