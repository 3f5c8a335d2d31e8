"""The example application (examples/fastapi_sqlalchemy) end to end in a real Chromium.

Served by uvicorn (start-up included: its lifespan creates its own ``users`` table in a SQLite
file) with an injected clock, so the test moves time past the resend interval instead of sleeping.
A person signs up with a phone number, lands on the dashboard that shows their row of the
application's own table, adds an email on the profile page, signs out, signs in by the emailed
code, then by a texted code; the row has the application's columns, and every page wears the
example's own base.html. Screenshots: ``test-artifacts/screenshots/example-*.png``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, expect

from examples.fastapi_sqlalchemy.app import create_app
from tests.conftest import FakeClock
from tests.redis_harness import free_port

PHONE, E164 = "13800138000", "+8613800138000"
EMAIL = "ada@example.com"
ACME_GREEN = "rgb(11, 110, 79)"  # --accent in the example's base.html (#0b6e4f)


@dataclass
class ExampleServer:
    url: str
    clock: FakeClock
    database: Path

    async def code_for(self, recipient: str) -> str:
        """The newest code sent to ``recipient``, from the dev outbox's JSON."""
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{self.url}/auth/dev/outbox.json")
        answer.raise_for_status()
        codes = [
            m["code"]
            for m in answer.json()["messages"]
            if m["recipient"] == recipient and m["code"]
        ]
        assert codes, f"no code in the outbox for {recipient}"
        return str(codes[0])


@pytest.fixture(scope="module")
def example_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleServer]:
    database = tmp_path_factory.mktemp("example") / "acme.db"
    clock = FakeClock(time.time())
    app = create_app(
        f"sqlite+aiosqlite:///{database}",
        secret_key="example-browser-secret-0123456789",
        clock=clock,
    )
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="example-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the example server did not start")
        time.sleep(0.02)  # polling the server thread's start-up, not passing test time
    yield ExampleServer(f"http://127.0.0.1:{port}", clock, database)
    server.should_exit = True
    thread.join(timeout=10)


class Visit:
    def __init__(self, page: Page, server: ExampleServer, shots: Path) -> None:
        self.page = page
        self.server = server
        self.shots = shots
        self.step = 0

    async def shot(self, name: str) -> None:
        self.step += 1
        path = self.shots / f"example-{self.step:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)

    async def at(self, path: str) -> None:
        await expect(self.page).to_have_url(self.server.url + path)

    async def see(self, text: str) -> None:
        await expect(self.page.locator("main")).to_contain_text(text)

    async def click(self, button: str) -> None:
        await self.page.get_by_role("button", name=button, exact=True).click()

    async def follow(self, link: str) -> None:
        await self.page.get_by_role("link", name=link, exact=True).first.click()

    async def send_to(self, identifier: str, button: str) -> None:
        self.server.clock.advance(31)  # past the resend interval of any earlier code
        await self.page.fill("#f-identifier", identifier)
        await self.click(button)

    async def enter_code(self, recipient: str, button: str) -> None:
        await self.page.fill("#f-code", await self.server.code_for(recipient))
        await self.click(button)

    async def wears_the_example_layout(self) -> None:
        """The example's base.html, with otp_flow's styles kept under its colours: no password
        field either (passwordless)."""
        await expect(self.page.locator("header.acme-bar[data-layout=acme]")).to_be_visible()
        await expect(self.page.locator("footer.acme-footer")).to_be_visible()
        await expect(self.page.locator("input[type=password]")).to_have_count(0)
        button = self.page.locator("main button.primary").first
        if await button.count():
            # _styles.css paints buttons with var(--accent); base.html sets --accent.
            await expect(button).to_have_css("background-color", ACME_GREEN)
            await expect(button).to_have_css("border-radius", "8px")

    async def dashboard_shows(self, name: str, mobile: str, email: str) -> None:
        await self.at("/dashboard")
        await expect(self.page.locator("h1")).to_have_text(f"Hello, {name}")
        await expect(self.page.locator("#plan")).to_have_text("free")  # the table's default
        await expect(self.page.locator("#mobile")).to_have_text(mobile)
        await expect(self.page.locator("#email")).to_have_text(email)
        await self.wears_the_example_layout()


async def test_sign_up_change_profile_sign_in_by_email_and_by_sms(
    browser: Browser, example_server: ExampleServer, screenshots: Path
) -> None:
    context = await browser.new_context(locale="en-US", viewport={"width": 1000, "height": 760})
    page = await context.new_page()
    me = Visit(page, example_server, screenshots)
    try:
        # The dashboard needs a sign-in: the login page, with the way back.
        await page.goto(example_server.url + "/dashboard")
        await me.at("/auth/login?next=%2Fdashboard")
        await expect(page).to_have_title("Sign in · Acme")
        await me.wears_the_example_layout()
        await me.shot("login")

        # Sign up with a phone number, into the application's own users table.
        await me.follow("Create account")
        await me.at("/auth/signup")
        await me.wears_the_example_layout()
        await me.shot("signup")
        await me.send_to(PHONE, "Send code")
        await me.at("/auth/signup/code")
        await me.see(f"We sent a code by text message to {E164}.")
        await me.wears_the_example_layout()
        await me.shot("signup-code")
        await me.enter_code(E164, "Continue")
        await me.at("/auth/signup/details")
        await me.wears_the_example_layout()
        await me.shot("signup-details")
        await page.fill("#f-display_name", "Ada")
        await me.click("Create account")
        await me.dashboard_shows("Ada", E164, "not set")
        await me.shot("dashboard")

        # Add an email on the profile page: it applies once its code is confirmed.
        await me.follow("Profile")
        await me.at("/auth/update_userinfo")
        await me.wears_the_example_layout()
        await me.shot("profile")
        await me.send_to(EMAIL, "Save")
        await me.at("/auth/update_userinfo/code")
        await me.see(f"We sent a code by email to {EMAIL}.")
        await me.enter_code(EMAIL, "Confirm")
        await me.see("Your changes are saved.")
        await me.shot("profile-saved")
        await me.follow("Dashboard")
        await me.dashboard_shows("Ada", E164, EMAIL)

        # Sign out, then sign in by the emailed code and come back to the dashboard.
        await me.follow("Sign out")
        await me.at("/auth/logout")
        await me.wears_the_example_layout()
        await me.click("Sign out")
        await me.see("You are signed out.")
        await me.shot("signed-out")
        await page.goto(example_server.url + "/dashboard")
        await me.at("/auth/login?next=%2Fdashboard")
        await me.send_to(EMAIL, "Continue")
        await me.at("/auth/login/code")
        await me.wears_the_example_layout()
        await me.shot("login-code-email")
        await me.enter_code(EMAIL, "Sign in")
        await me.dashboard_shows("Ada", E164, EMAIL)

        # And by a texted code.
        await me.follow("Sign out")
        await me.click("Sign out")
        await page.goto(example_server.url + "/dashboard")
        await me.send_to(PHONE, "Continue")
        await me.enter_code(E164, "Sign in")
        await me.dashboard_shows("Ada", E164, EMAIL)
        await me.shot("dashboard-by-sms")
    finally:
        await context.close()

    # One row, in the application's table and columns; otp_flow made no table of its own.
    with sqlite3.connect(example_server.database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = [row[1] for row in db.execute("PRAGMA table_info(users)")]
        rows = db.execute("SELECT id, name, mobile, email, plan, joined_at FROM users").fetchall()
    assert tables == {"users"}
    assert columns == ["id", "name", "mobile", "email", "plan", "joined_at"]
    assert len(rows) == 1
    assert rows[0][:5] == (1, "Ada", E164, EMAIL, "free")
    assert rows[0][5]  # the application's server default filled it in
