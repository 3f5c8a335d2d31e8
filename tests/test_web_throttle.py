"""Password sign-in throttling on the login page, end to end over HTTP, on both stores."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from otp_flow import OTPEngine
from otp_flow.stores.base import OTPStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.users import MemoryUserStore
from otp_flow.web import create_auth_app
from otp_flow.web._throttle import PasswordThrottle
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, KEYS, PHONE, Site, open_site

PASSWORD = "correct horse"
UNKNOWN = "nobody@example.com"
TOO_MANY = "Too many attempts. Try again in 15 minutes."


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        await site.signup(EMAIL, EMAIL, password=PASSWORD)
        await site.logout()
        yield site


async def password_login(site: Site, identifier: str, password: str) -> httpx.Response:
    return await site.post("/auth/login", {"identifier": identifier, "password": password})


async def use_up(site: Site, identifier: str, attempts: int = 10) -> None:
    for n in range(attempts):
        answer = await password_login(site, identifier, f"wrong horse {n}")
        assert answer.status_code == 422, n


async def test_the_eleventh_attempt_in_15_minutes_is_refused(site: Site) -> None:
    await use_up(site, EMAIL)
    refused = await password_login(site, EMAIL, PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    assert TOO_MANY in refused.text
    assert f'value="{EMAIL}"' in refused.text and PASSWORD not in refused.text
    assert await site.whoami() == "hello stranger"

    site.later(14 * 60)
    still = await password_login(site, EMAIL, PASSWORD)
    assert still.status_code == 429
    assert "Too many attempts. Try again in 1 minute." in still.text
    site.later(60)
    assert (await password_login(site, EMAIL, PASSWORD)).status_code == 303
    assert await site.whoami() == "hello Ann"


async def test_the_count_follows_the_normalised_identifier(site: Site) -> None:
    await use_up(site, "Ann@Example.COM", 5)
    await use_up(site, " ann@example.com ", 5)
    assert (await password_login(site, EMAIL, PASSWORD)).status_code == 429
    # Another identifier has its own count.
    assert (await password_login(site, "bo@example.com", "wrong horse")).status_code == 422


async def test_a_code_still_signs_the_owner_in(site: Site) -> None:
    await use_up(site, EMAIL)
    assert (await password_login(site, EMAIL, PASSWORD)).status_code == 429
    site.later()
    assert (await site.login_by_code(EMAIL, EMAIL)).status_code == 303
    assert await site.whoami() == "hello Ann"


async def test_signing_in_starts_the_count_afresh(site: Site) -> None:
    await use_up(site, EMAIL, 9)
    assert (await password_login(site, EMAIL, PASSWORD)).status_code == 303
    await site.logout()
    await use_up(site, EMAIL, 10)
    assert (await password_login(site, EMAIL, PASSWORD)).status_code == 429


async def test_a_password_reset_starts_the_count_afresh(site: Site) -> None:
    await use_up(site, EMAIL, 10)
    site.later()
    await site.send_code("reset_password", EMAIL)
    await site.enter_code("reset_password", await site.code_for(EMAIL))
    reset = await site.post("/auth/reset_password/new", {"password": "battery staple"})
    assert reset.status_code == 303
    await site.logout()
    assert (await password_login(site, EMAIL, "battery staple")).status_code == 303


def _normalised(html: str, identifier: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html).replace(identifier, "X")


async def test_unknown_identifiers_are_throttled_the_same(site: Site) -> None:
    """No enumeration: a stranger cannot tell by the refusal which identifiers have accounts."""
    await use_up(site, EMAIL)
    await use_up(site, UNKNOWN)
    known = await password_login(site, EMAIL, "wrong horse")
    unknown = await password_login(site, UNKNOWN, "wrong horse")
    assert known.status_code == unknown.status_code == 429
    assert known.headers["retry-after"] == unknown.headers["retry-after"]
    assert _normalised(known.text, EMAIL) == _normalised(unknown.text, UNKNOWN)


async def test_the_refusal_is_translated(site: Site) -> None:
    await use_up(site, PHONE)
    site.client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    refused = await password_login(site, E164, "wrong horse")
    assert refused.status_code == 429
    assert "尝试次数过多，请 15 分钟后再试。" in refused.text


async def test_the_limits_are_configurable(store: OTPStore, clock: FakeClock) -> None:
    options = {"password_attempts": 2, "password_window_seconds": 60}
    async with open_site(store, clock, **options) as site:
        await use_up(site, UNKNOWN, 2)
        refused = await password_login(site, UNKNOWN, "wrong horse")
        assert refused.status_code == 429
        assert "Too many attempts. Try again in 1 minute." in refused.text
        assert refused.headers["retry-after"] == "60"
        site.later(60)
        assert (await password_login(site, UNKNOWN, "wrong horse")).status_code == 422


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"password_attempts": 0}, "password_attempts"),
        ({"password_attempts": True}, "password_attempts"),
        ({"password_attempts": 2.5}, "password_attempts"),
        ({"password_window_seconds": 0}, "password_window_seconds"),
        ({"password_window_seconds": 8 * 24 * 3600}, "password_window_seconds"),
    ],
)
def test_bad_limits_are_refused(options: dict[str, Any], error: str) -> None:
    engine = OTPEngine(secret_keys=KEYS, store=MemoryStore())
    with pytest.raises(ValueError, match=error):
        create_auth_app(engine, users=MemoryUserStore(), secret_keys=KEYS, **options)


async def test_the_throttle_counts_in_the_engines_store(store: OTPStore, clock: FakeClock) -> None:
    """Every worker sharing the store shares the count: two throttles, one store."""
    first, second = (PasswordThrottle(store, clock, 3, 60) for _ in range(2))
    ip = "127.0.0.2"
    assert [await first.attempt(E164, ip), await second.attempt(E164, ip)] == [0, 0]
    assert await first.attempt(E164, ip) == 0
    assert await second.attempt(E164, ip) == 60
    clock.advance(59.5)
    assert await first.attempt(E164, ip) == 1
    await second.clear(ip, E164, None)
    assert await first.attempt(E164, ip) == 0
