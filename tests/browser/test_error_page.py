"""A form that arrives without its CSRF token (forged by another site, or tampered with) gets
the 403 page, in the person's language, in a real Chromium; the page is screenshotted too."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from demo_app.app import TRANSLATIONS
from otp_flow.web._i18n import Translator
from tests.browser.conftest import DemoServer


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_a_form_without_its_csrf_token_gets_the_403_page(
    browser: Browser, demo_server: DemoServer, screenshots: Path, locale: str
) -> None:
    _ = Translator(TRANSLATIONS).gettext(locale)
    context = await browser.new_context(locale=locale, viewport={"width": 1000, "height": 760})
    page = await context.new_page()
    try:
        await page.goto(demo_server.url + "/auth/login")
        await page.locator('input[name="csrf_token"]').evaluate("field => field.remove()")
        await page.fill("#f-identifier", "13800138000")
        async with page.expect_response(demo_server.url + "/auth/login") as answer:
            await page.get_by_role("button", name=_("Continue"), exact=True).click()
        assert (await answer.value).status == 403
        await expect(page.locator("h1")).to_have_text(_("This form has expired"))
        await expect(page.get_by_role("link", name=_("Try again"))).to_be_visible()
        await page.screenshot(path=str(screenshots / f"{locale}-error-csrf.png"), full_page=True)
    finally:
        await context.close()
