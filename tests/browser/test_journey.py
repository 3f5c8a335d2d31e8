"""A person's whole journey through the demo in a real Chromium, in English and in Chinese.

Sign up with a phone number, add an email, sign out, sign in by an emailed code (read from the
outbox), change the phone number, reset the password and sign in with it — asserting what the
person sees at each step and saving a screenshot of every page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from demo_app.app import TRANSLATIONS
from otp_flow.web._i18n import Translator
from tests.browser.conftest import DemoServer

PEOPLE = {
    "en": ("13800138000", "+8613800138000", "ada@example.com", "13900139000", "+8613900139000"),
    "zh-CN": ("13700137000", "+8613700137000", "an@example.com", "13600136000", "+8613600136000"),
}


class Journey:
    def __init__(self, page: Page, demo: DemoServer, locale: str, shots: Path) -> None:
        self.page = page
        self.demo = demo
        self.locale = locale
        self._ = Translator(TRANSLATIONS).gettext(locale)
        self.n_ = Translator(TRANSLATIONS).ngettext(locale)
        self.shots = shots
        self.step = 0

    async def shot(self, name: str) -> None:
        self.step += 1
        path = self.shots / f"{self.locale}-{self.step:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)

    async def see(self, message: str, **fields: str) -> None:
        await expect(self.page.locator("main")).to_contain_text(self._(message, **fields))

    async def click(self, text: str) -> None:
        await self.page.get_by_role("button", name=self._(text), exact=True).click()

    async def follow(self, text: str) -> None:
        await self.page.get_by_role("link", name=self._(text), exact=True).first.click()

    async def at(self, path: str) -> None:
        await expect(self.page).to_have_url(self.demo.url + path)

    async def send_to(self, identifier: str, button: str) -> None:
        self.demo.clock.advance(31)  # past the resend interval of any earlier code
        await self.page.fill("#f-identifier", identifier)
        await self.click(button)

    async def enter_code(self, recipient: str, button: str) -> None:
        await self.page.fill("#f-code", await self.demo.code_for(recipient))
        await self.click(button)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_the_whole_journey(
    browser: Browser, demo_server: DemoServer, screenshots: Path, locale: str
) -> None:
    phone, e164, email, new_phone, new_e164 = PEOPLE[locale]
    context = await browser.new_context(locale=locale, viewport={"width": 1000, "height": 760})
    page = await context.new_page()
    me = Journey(page, demo_server, locale, screenshots)
    _ = me._
    try:
        # Sign up with a phone number.
        await page.goto(demo_server.url + "/")
        await expect(page.locator("html")).to_have_attribute("lang", locale)
        await me.see("Welcome")
        await me.shot("home")
        await me.follow("Create an account")
        await me.at("/auth/signup")
        await me.shot("signup")
        await me.send_to(phone, "Send code")
        await me.at("/auth/signup/code")
        await me.see("We sent a code by text message to {recipient}.", recipient=e164)
        await expect(page.locator("#f-code")).to_have_attribute("autocomplete", "one-time-code")
        await me.shot("signup-code")
        await page.fill(
            "#f-code", "000000" if await demo_server.code_for(e164) != "000000" else "1"
        )
        await me.click("Continue")
        await expect(page.locator("#f-code-error")).to_contain_text(
            me.n_(
                "That code is not correct. You have 1 attempt left.",
                "That code is not correct. You have {n} attempts left.",
                4,
            )
        )
        await expect(page.locator("#f-code")).to_have_attribute("aria-invalid", "true")
        await me.shot("signup-wrong-code")
        await me.enter_code(e164, "Continue")
        await me.at("/auth/signup/details")
        await me.see("{recipient} is confirmed. Tell us what to call you.", recipient=e164)
        await me.shot("signup-details")
        await page.fill("#f-display_name", "Ada")
        await page.fill("#f-password", "correct horse 1")
        await me.click("Create account")
        await me.at("/")
        await me.see("Welcome back, {name}.", name="Ada")
        await me.shot("home-signed-in")

        # Add an email address: the code goes to the new address.
        await me.follow("Profile")
        await me.at("/auth/update_userinfo")
        await me.shot("profile")
        await me.send_to(email, "Save")
        await me.at("/auth/update_userinfo/code")
        await me.see("We sent a code by email to {recipient}.", recipient=email)
        await me.shot("profile-code")
        await me.enter_code(email, "Confirm")
        await me.see("Your changes are saved.")
        await me.shot("profile-saved")

        # Sign out.
        await me.follow("Sign out")
        await me.at("/auth/logout")
        await me.see("Do you want to sign out?")
        await me.shot("logout")
        await me.click("Sign out")
        await me.at("/auth/login?notice=signed_out")
        await me.see("You are signed out.")
        await me.shot("signed-out")

        # The account page needs a sign-in; sign in by the emailed code and come back to it.
        await page.goto(demo_server.url + "/account")
        await me.at("/auth/login?next=%2Faccount")
        await me.see("Demo mode: no message leaves this machine.")  # the demo's override
        await me.shot("login")
        await me.send_to(email, "Continue")
        await me.at("/auth/login/code")
        await me.see(
            "If {recipient} belongs to an account, a code is on its way to it.", recipient=email
        )
        await me.shot("login-code")
        await me.enter_code(email, "Sign in")
        await me.at("/account")
        await expect(page.locator("#email")).to_have_text(email)
        await expect(page.locator("#phone-number")).to_have_text(e164)
        await me.shot("account")

        # Change the phone number; the old number is told.
        await me.follow("Edit profile")
        await me.send_to(new_phone, "Save")
        await me.see("We sent a code by text message to {recipient}.", recipient=new_e164)
        await me.enter_code(new_e164, "Confirm")
        await me.see("Your changes are saved.")
        await page.goto(demo_server.url + "/account")
        await expect(page.locator("#phone-number")).to_have_text(new_e164)
        await me.shot("account-new-phone")
        notices = [
            m
            for m in await demo_server.outbox()
            if m["recipient"] == e164 and m.get("kind") == "notice"
        ]
        assert notices and not notices[0]["code"] and new_e164[-4:] in notices[0]["text"]

        # Reset the password, then sign in with the new one.
        await me.follow("Change your password")
        await me.at("/auth/reset_password")
        await me.shot("reset")
        await me.send_to(new_phone, "Send code")
        await me.at("/auth/reset_password/code")
        await me.shot("reset-code")
        await me.enter_code(new_e164, "Continue")
        await me.at("/auth/reset_password/new")
        await expect(page.locator("#f-password")).to_have_attribute("autocomplete", "new-password")
        await me.shot("new-password")
        await page.fill("#f-password", "short")
        await me.click("Save password")
        await expect(page.locator("#f-password-error")).to_contain_text(
            _("The password must have at least {n} characters.", n=8)
        )
        await page.fill("#f-password", "new password 2")
        await me.click("Save password")
        await me.at("/")
        await me.see("Welcome back, {name}.", name="Ada")

        await me.follow("Sign out")
        await me.click("Sign out")
        await page.fill("#f-identifier", new_phone)
        await page.fill("#f-password", "correct horse 1")
        await me.click("Continue")
        await me.see("The account or password is not correct.")
        await me.shot("login-wrong-password")
        await page.fill("#f-password", "new password 2")
        await me.click("Continue")
        await me.at("/")
        await me.see("Welcome back, {name}.", name="Ada")
        assert re.search(r"[\u4e00-\u9fff]", await page.title()) or locale == "en"
    finally:
        await context.close()
