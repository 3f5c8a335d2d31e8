"""Hooks that can say no: ``before_signup`` and ``before_send`` over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from otp_flow.stores.base import OTPStore
from otp_flow.users import BeforeEvent, Guard, Refused
from tests.conftest import FakeClock
from tests.live_server import open_live_site
from tests.web_helpers import E164, EMAIL, PHONE, Site

COMPANY_ONLY = "Only example.com addresses may sign up."


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    translations = {"zh-CN": {COMPANY_ONLY: "只有 example.com 邮箱可以注册。"}}
    async with open_live_site(store, clock, translations=translations) as site:
        yield site


def company_only(seen: list[BeforeEvent]) -> Guard:
    async def guard(event: BeforeEvent) -> None:
        seen.append(event)
        if event.recipient.channel != "email" or not event.recipient.value.endswith("@example.com"):
            raise Refused(COMPANY_ONLY)

    return guard


async def test_before_signup_refuses_an_address_before_any_code_is_sent(site: Site) -> None:
    seen: list[BeforeEvent] = []
    site.hooks.before_signup(company_only(seen))
    refused = await site.post("/auth/signup", {"identifier": "bob@gmail.com"})
    assert refused.status_code == 422
    assert COMPANY_ONLY in refused.text
    assert 'value="bob@gmail.com"' in refused.text  # the form is shown again, filled in
    assert await site.messages() == []
    zh = await site.post(
        "/auth/signup", {"identifier": PHONE}, headers={"Accept-Language": "zh-CN"}
    )
    assert zh.status_code == 422 and "只有 example.com 邮箱可以注册。" in zh.text
    assert await site.messages() == []
    assert [(e.kind, e.usage, e.recipient.value, e.locale) for e in seen] == [
        ("signup", "signup", "bob@gmail.com", "en"),
        ("signup", "signup", E164, "zh-CN"),
    ]
    # A company address passes and signs up as usual.
    user = await site.signup(EMAIL, EMAIL, name="Ann")
    assert user.email == EMAIL
    assert await site.users.find_by_email("bob@gmail.com") is None


async def test_before_send_refuses_every_flow_and_sends_nothing(site: Site) -> None:
    await site.signup(EMAIL, EMAIL, name="Ann")
    before = len(await site.messages())
    seen: list[BeforeEvent] = []

    @site.hooks.before_send
    async def no_codes_today(event: BeforeEvent) -> None:
        seen.append(event)
        raise Refused("Codes are paused for maintenance.")

    site.later()
    for flow in ("update_userinfo", "reset_password"):
        data = {"identifier": PHONE, "display_name": "Ann"}
        refused = await site.post(f"/auth/{flow}", data)
        assert refused.status_code == 422, flow
        assert "Codes are paused for maintenance." in refused.text
    await site.logout()
    refused = await site.post("/auth/login", {"identifier": EMAIL})
    assert refused.status_code == 422
    assert len(await site.messages()) == before
    # The guard sees the signed-in user only where one is (update_userinfo), never an account
    # lookup: an unknown address gets the same refusal.
    assert [(e.usage, e.user is not None) for e in seen] == [
        ("update_userinfo", True),
        ("reset_password", True),
        ("login", False),
    ]
    unknown = await site.post("/auth/login", {"identifier": "nobody@example.com"})
    assert unknown.status_code == 422 and "Codes are paused" in unknown.text


async def test_a_refused_resend_stays_on_the_code_page(site: Site) -> None:
    calls: list[BeforeEvent] = []

    @site.hooks.before_send
    async def first_only(event: BeforeEvent) -> None:
        calls.append(event)
        if len(calls) > 1:
            raise Refused("No more codes for you.")

    await site.send_code("signup", EMAIL)
    site.later()
    resent = await site.post("/auth/signup/resend", {})
    assert resent.status_code == 422
    assert "No more codes for you." in resent.text
    assert 'name="code"' in resent.text
    assert len(await site.messages(EMAIL)) == 1


async def test_a_broken_guard_fails_closed(site: Site) -> None:
    @site.hooks.before_send
    async def broken(event: BeforeEvent) -> None:
        raise KeyError("the application's bug")

    answer = await site.post("/auth/signup", {"identifier": EMAIL})
    assert answer.status_code == 503
    assert "We cannot complete this right now." in answer.text
    assert await site.messages() == []


def test_a_refusal_needs_a_message() -> None:
    with pytest.raises(ValueError, match="message"):
        Refused("")
