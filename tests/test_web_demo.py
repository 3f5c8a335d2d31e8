"""The demo app: its routes, its template override, the JSON APIs and its configuration file."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo_app import create_demo_app
from demo_app.app import load_settings
from otp_flow.config import ConfigError, Settings
from otp_flow.runtime import build_runtime
from otp_flow.stores.redis import RedisStore
from otp_flow.users import RedisUserStore
from otp_flow.web import RedisSessionStore
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE, Site


def _settings(**extra: Any) -> Settings:
    return Settings.from_mapping(
        {
            "secret_keys": ["demo-test-secret-0123456789"],
            "dev": True,
            "clients": [{"id": "demo-client", "secret": "demo-secret"}],
            **extra,
        }
    )


@asynccontextmanager
async def demo(settings: Settings, clock: FakeClock) -> AsyncIterator[Site]:
    runtime = build_runtime(settings, clock=clock)
    app = create_demo_app(runtime=runtime, clock=clock)
    auth = app.state.auth
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert runtime.outbox is not None
            yield Site(
                app,
                auth,
                runtime.engine,
                runtime.outbox,
                runtime.users,
                auth.state.otp_flow.sessions,
                auth.state.otp_flow.hooks,
                clock,
                client,
            )
    finally:
        await runtime.aclose()


@pytest.fixture
async def site(clock: FakeClock) -> AsyncIterator[Site]:
    async with demo(_settings(), clock) as site:
        yield site


async def test_home_account_and_the_pages(site: Site) -> None:
    home = await site.client.get("/")
    assert home.status_code == 200 and "Welcome" in home.text
    assert 'href="/auth/login"' in home.text
    account = await site.client.get("/account")
    assert account.status_code == 303
    assert account.headers["location"] == "/auth/login?next=%2Faccount"
    for page in ("login", "signup", "reset_password"):
        assert (await site.client.get(f"/auth/{page}")).status_code == 200
    assert (await site.client.get("/auth/update_userinfo")).status_code == 303
    assert (await site.client.get("/auth/logout")).status_code == 303


async def test_the_login_override_extends_the_original(site: Site) -> None:
    page = await site.client.get("/auth/login")
    assert "Demo mode: no message leaves this machine." in page.text
    assert 'href="/dev/outbox"' in page.text
    assert 'name="identifier"' in page.text and 'name="password"' in page.text
    zh = await site.client.get("/auth/login", headers={"Accept-Language": "zh-CN"})
    assert "演示模式" in zh.text and "<title>登录 · otp_flow 演示</title>" in zh.text


async def test_sign_up_and_see_the_account(site: Site) -> None:
    await site.signup(PHONE, E164, name="Ann")
    outbox = await site.client.get("/dev/outbox.json")
    assert outbox.json()["messages"][0]["recipient"] == E164
    assert E164 in (await site.client.get("/dev/outbox")).text
    account = await site.client.get("/account")
    assert account.status_code == 200
    assert '<dd id="display-name">Ann</dd>' in account.text
    assert f'<dd id="phone-number">{E164}</dd>' in account.text
    assert "Welcome back, Ann." in (await site.client.get("/")).text


async def test_the_json_apis_share_the_users(site: Site) -> None:
    await site.signup(PHONE, E164)
    site.later()
    basic = base64.b64encode(b"demo-client:demo-secret").decode()
    headers = {"Authorization": f"Basic {basic}"}
    used = await site.client.post(
        "/otp/send", json={"usage": "signup", "phone_number": PHONE}, headers=headers
    )
    assert used.status_code == 400
    assert used.json()["error"] == "phone_number_is_used"
    sent = await site.client.post("/otp/send", json={"email": EMAIL}, headers=headers)
    assert sent.status_code == 200 and "otp_token" in sent.json()


async def test_configuration_file(
    tmp_path: Path, clock: FakeClock, redis_url: str, redis_store: RedisStore
) -> None:
    """``OTP_FLOW_CONFIG``'s file: Redis for codes, users and sessions; ``[pages]`` options.

    (``redis_store`` only empties the test Redis first.)"""
    config = tmp_path / "otp.toml"
    config.write_text(
        'secret_keys = ["demo-test-secret-0123456789"]\n'
        f'store = "{redis_url}"\n'
        "dev = true\n"
        "[limits]\nresend_interval_seconds = 5\n"
        '[pages]\nsite_name = "Acme"\n'
    )
    settings = load_settings(str(config))
    async with demo(settings, clock) as site:
        page = await site.client.get("/auth/signup")
        assert "<title>Create an account · Acme</title>" in page.text
        user = await site.signup(EMAIL, EMAIL, name="Ann")
        assert isinstance(site.users, RedisUserStore)
        assert isinstance(site.sessions, RedisSessionStore)
        assert (await site.client.get("/account")).status_code == 200
        assert (await site.users.get(user.id)) is not None


def test_bad_pages_table_is_refused(clock: FakeClock) -> None:
    runtime = build_runtime(_settings(pages={"colour": "red"}), clock=clock)
    with pytest.raises(ConfigError, match="pages: unknown key"):
        create_demo_app(runtime=runtime, clock=clock)


def test_without_a_file_the_demo_runs_in_development_mode() -> None:
    settings = load_settings(None)
    assert settings.dev and settings.store == "memory"
