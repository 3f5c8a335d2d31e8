"""The code page (``code.html``, ``flows._pages.code_page``): every flow's in its own words, and a
new flow's without an entry in the template."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest
from starlette.requests import Request
from starlette.responses import Response

from otp_flow.stores.memory import MemoryStore
from otp_flow.types import Usage
from otp_flow.users import User
from otp_flow.web._i18n import N_
from otp_flow.web.flows import SendTimer
from otp_flow.web.flows._base import Flow
from otp_flow.web.flows._pages import Pending
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE, Site, open_site

NEW_PHONE, NEW_E164 = "13900000000", "+8613900000000"

#: flow -> language -> (heading, button, lead): the words each flow's code page says.
WORDS = {
    "login": {
        "en": (
            "Enter your sign-in code",
            "Sign in",
            f"If {E164} belongs to an account, a code is on its way to it.",
        ),
        "zh-CN": ("输入登录验证码", "登录", f"如果 {E164} 已注册账户，验证码正在发送中。"),
    },
    "signup": {
        "en": (
            "Confirm your address",
            "Continue",
            f"We sent a code by text message to {NEW_E164}.",
        ),
        "zh-CN": ("验证您的手机号或邮箱", "继续", f"验证码已通过短信发送至 {NEW_E164}。"),
    },
    "update_userinfo": {
        "en": ("Confirm your new address", "Confirm", f"We sent a code by email to {EMAIL}."),
        "zh-CN": ("验证新的手机号或邮箱", "确认", f"验证码已通过邮件发送至 {EMAIL}。"),
    },
    "reset_password": {
        "en": (
            "Enter your reset code",
            "Continue",
            f"If {E164} belongs to an account, a code is on its way to it.",
        ),
        "zh-CN": ("输入重置验证码", "继续", f"如果 {E164} 已注册账户，验证码正在发送中。"),
    },
}


def words_of(page: str) -> tuple[str, str, str, str]:
    """(title, heading, primary button, lead) of a rendered code page."""
    title = re.search(r"<title>(.*?) · otp_flow</title>", page)
    heading = re.search(r"<h1>(.*?)</h1>", page)
    button = re.search(r'<button type="submit" class="primary">(.*?)</button>', page)
    lead = re.search(r'<p class="lead">\s*(.*?)\s*</p>', page)
    assert title and heading and button and lead, page
    return title[1], heading[1], button[1], lead[1]


async def open_code_page(site: Site, flow: str) -> str:
    """Send ``flow``'s code (signed in as Ann for the profile) and read its code page."""
    if flow == "update_userinfo":
        await site.signup(PHONE, E164, name="Ann")
        site.later()
        await site.send_code(flow, EMAIL, display_name="Ann")
    else:
        if flow != "signup":
            await site.users.create(phone_number=E164, display_name="Ann")
        await site.send_code(flow, NEW_PHONE if flow == "signup" else PHONE)
    page = await site.client.get(f"/auth/{flow}/code")
    assert page.status_code == 200
    return page.text


@pytest.mark.parametrize("language", ["en", "zh-CN"])
@pytest.mark.parametrize("flow", sorted(WORDS))
async def test_each_flow_words_its_code_page(flow: str, language: str, clock: FakeClock) -> None:
    async with open_site(MemoryStore(), clock) as site:
        site.client.headers["Accept-Language"] = language
        heading, button, lead = WORDS[flow][language]
        page = await open_code_page(site, flow)
        assert words_of(page) == (heading, heading, button, lead)
        wrong = await site.enter_code(flow, "00000a")  # re-rendered with a problem: same words
        assert wrong.status_code == 422
        assert words_of(wrong.text) == (heading, heading, button, lead)


class ConfirmFlow(Flow):
    """A flow otp_flow does not have: its code page needs no entry in ``code.html``."""

    name: ClassVar[str] = "confirm"
    usage: ClassVar[Usage] = "signup"
    template: ClassVar[str] = "signup.html"
    code_heading: ClassVar[str] = N_("Confirm it")
    code_button: ClassVar[str] = N_("Go on")

    async def verified(self, request: Request, pending: Pending, user: User | None) -> Response:
        return self.page(request, user)


async def test_a_new_flow_brings_its_own_code_page_words(clock: FakeClock) -> None:
    async with open_site(
        MemoryStore(), clock, translations={"zh-CN": {"Confirm it": "确认一下", "Go on": "继续吧"}}
    ) as site:
        confirm = ConfirmFlow(site.auth.state.otp_flow, SendTimer())
        site.auth.router.routes[:0] = confirm.routes()
        await site.send_code("confirm", NEW_PHONE)
        page = (await site.client.get("/auth/confirm/code")).text
        lead = f"We sent a code by text message to {NEW_E164}."
        assert words_of(page) == ("Confirm it", "Confirm it", "Go on", lead)
        assert 'action="/auth/confirm/code"' in page
        zh = await site.client.get("/auth/confirm/code", headers={"Accept-Language": "zh-CN"})
        assert words_of(zh.text)[1:3] == ("确认一下", "继续吧")
