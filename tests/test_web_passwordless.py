"""Passwordless pages (``create_auth_app(passwords=False)``) over real HTTP, on a user store
that has no password methods at all, and the start-up check of a store's methods."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from otp_flow.stores.base import OTPStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.users import IdentifierTaken, MemoryUserStore, User, check_user_store
from otp_flow.users._base import changed_user
from otp_flow.web import create_auth_app
from tests.conftest import FakeClock
from tests.live_server import open_live_site
from tests.web_helpers import E164, EMAIL, KEYS, PHONE, Site


class PasswordlessStore:
    """An application's own table without a password column: only the five UserStore methods,
    and a ``create`` that takes no password."""

    def __init__(self) -> None:
        self.rows: dict[str, User] = {}

    async def get(self, user_id: str) -> User | None:
        return self.rows.get(user_id)

    async def find_by_phone(self, phone_number: str) -> User | None:
        return next((u for u in self.rows.values() if u.phone_number == phone_number), None)

    async def find_by_email(self, email: str) -> User | None:
        return next((u for u in self.rows.values() if u.email == email), None)

    def _check_free(self, user_id: str, phone_number: str | None, email: str | None) -> None:
        for other in self.rows.values():
            if other.id != user_id and phone_number and other.phone_number == phone_number:
                raise IdentifierTaken("phone_number")
            if other.id != user_id and email and other.email == email:
                raise IdentifierTaken("email")

    async def create(
        self, *, display_name: str, phone_number: str | None = None, email: str | None = None
    ) -> User:
        user_id = str(len(self.rows) + 1)
        self._check_free(user_id, phone_number, email)
        self.rows[user_id] = User(user_id, display_name, phone_number, email)
        return self.rows[user_id]

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | None = None,
        email: str | None = None,
    ) -> User:
        self._check_free(user_id, phone_number, email)
        self.rows[user_id] = changed_user(self.rows[user_id], display_name, phone_number, email)
        return self.rows[user_id]


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_live_site(store, clock, users=PasswordlessStore(), passwords=False) as site:
        yield site


def assert_no_password(html: str, where: str) -> None:
    assert 'type="password"' not in html, where
    assert not re.search("password", html, re.IGNORECASE), where
    assert "密码" not in html, where


async def test_signup_login_profile_and_logout_without_any_password(site: Site) -> None:
    user = await site.signup(EMAIL, EMAIL, name="Ann")
    assert user.has_password is False
    assert await site.whoami() == "hello Ann"
    await site.logout()
    site.later()
    signed_in = await site.login_by_code(EMAIL, EMAIL)
    assert signed_in.status_code == 303
    assert await site.whoami() == "hello Ann"
    # A new phone number for the account, proven by its code.
    changed = await site.post("/auth/update_userinfo", {"display_name": "Ann", "identifier": PHONE})
    assert changed.headers["location"] == "/auth/update_userinfo/code"
    saved = await site.enter_code("update_userinfo", await site.code_for(E164))
    assert saved.status_code == 303
    assert (await site.users.get(user.id)) == User(user.id, "Ann", E164, EMAIL)


async def test_a_posted_password_is_ignored_and_a_code_is_sent(site: Site) -> None:
    await site.signup(EMAIL, EMAIL)
    await site.logout()
    site.later()
    answer = await site.post("/auth/login", {"identifier": EMAIL, "password": "whatever-123"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/login/code"
    assert len(await site.messages(EMAIL)) == 2  # the signup code and this login code


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_no_page_shows_a_password_in_either_language(site: Site, language: str) -> None:
    site.client.headers["Accept-Language"] = language
    seen = {path: await site.client.get(path) for path in ("/auth/login", "/auth/signup")}
    seen["403"] = await site.client.post("/auth/login", data={"identifier": EMAIL})
    await site.send_code("signup", EMAIL)
    seen["code"] = await site.client.get("/auth/signup/code")
    seen["wrong code"] = await site.enter_code("signup", "000000")
    await site.enter_code("signup", await site.code_for(EMAIL))
    seen["details"] = await site.client.get("/auth/signup/details")
    seen["bad name"] = await site.post("/auth/signup/details", {"display_name": ""})
    await site.post("/auth/signup/details", {"display_name": "Ann"})
    seen["profile"] = await site.client.get("/auth/update_userinfo")
    seen["logout"] = await site.client.get("/auth/logout")
    assert [seen[k].status_code for k in ("403", "wrong code", "bad name")] == [403, 422, 422]
    for where, page in seen.items():
        assert page.headers["content-type"].startswith("text/html"), where
        assert f'lang="{language}"' in page.text, where
        assert_no_password(page.text, where)


async def test_the_reset_flow_is_gone_and_its_start_leads_to_login(site: Site) -> None:
    start = await site.client.get("/auth/reset_password?next=/account")
    assert start.status_code == 303
    assert start.headers["location"] == "/auth/login?next=%2Faccount"
    for path in ("/auth/reset_password/new", "/auth/reset_password/code"):
        assert (await site.client.get(path)).status_code == 404
    posted = await site.post("/auth/reset_password/new", {"password": "new-password-1"})
    assert posted.status_code == 404


def _build(users: object, **options: object) -> None:
    from otp_flow import OTPEngine

    engine = OTPEngine(secret_keys=KEYS, store=MemoryStore())
    create_auth_app(engine, users=users, secret_keys=KEYS, **options)  # type: ignore[arg-type]


def test_a_store_without_password_methods_fails_at_start_up_by_name() -> None:
    with pytest.raises(ValueError) as refused:
        _build(PasswordlessStore())
    message = str(refused.value)
    assert "PasswordlessStore has no method set_password" in message
    assert "no method check_password, which password sign-in needs" in message
    assert "passwords=False" in message
    _build(PasswordlessStore(), passwords=False)  # the same store is fine without passwords


def test_a_store_missing_a_basic_method_fails_even_without_passwords() -> None:
    class NoUpdate(PasswordlessStore):
        update = None  # type: ignore[assignment]

    with pytest.raises(ValueError, match="NoUpdate has no method update, which every page"):
        _build(NoUpdate(), passwords=False)


def test_check_user_store_names_each_missing_method() -> None:
    check_user_store(MemoryUserStore(), passwords=True)
    with pytest.raises(ValueError) as refused:
        check_user_store(object(), passwords=True)
    for method in ("get", "find_by_phone", "find_by_email", "create", "update"):
        assert f"has no method {method}," in str(refused.value)
    assert "check_password" in str(refused.value)


def test_passwords_must_be_a_flag_or_the_rules() -> None:
    with pytest.raises(ValueError, match="passwords must be"):
        _build(MemoryUserStore(), passwords="no")


async def test_passwords_stay_on_by_default(clock: FakeClock) -> None:
    async with open_live_site(MemoryStore(), clock) as site:
        login = await site.client.get("/auth/login")
        assert 'type="password"' in login.text and "Forgot your password?" in login.text
        assert (await site.client.get("/auth/reset_password")).status_code == 200
