"""The demo site: how an application mounts otp_flow.

    /                    public home page
    /account             protected: display name, phone and email of the signed-in user
    /auth/...            the otp_flow pages (login, signup, update_userinfo, reset_password, logout)
    /dev/outbox(.json)   the messages "sent" (dev only), and the seed JSON APIs at their paths

``templates/login.html`` shows a template override that extends the packaged original.
The optional ``[pages]`` table of the configuration file sets ``site_name`` and ``client_id``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from otp_flow.config import ConfigError, Settings, load_config
from otp_flow.runtime import Runtime, build_runtime
from otp_flow.service import create_api
from otp_flow.types import Clock, system_clock
from otp_flow.web import (
    MemorySessionStore,
    OTPAuthMiddleware,
    Pages,
    RedisSessionStore,
    SessionStore,
    auth_pages,
    create_auth_app,
    login_required,
)

__all__ = ["create_demo_app", "load_settings"]

TEMPLATES = Path(__file__).parent / "templates"
_PAGES_KEYS = {"site_name", "client_id"}

#: The demo's own strings (its templates), in the language of the pages.
TRANSLATIONS = {
    "zh-CN": {
        "otp_flow demo": "otp_flow 演示",
        "Home": "首页",
        "Welcome": "欢迎",
        "Welcome back, {name}.": "欢迎回来，{name}。",
        "This demo signs you in with a one-time code sent by SMS or email.": (
            "本演示通过短信或邮件发送的一次性验证码登录。"
        ),
        "Your account": "我的账户",
        "Edit profile": "编辑资料",
        "Demo mode: no message leaves this machine.": "演示模式：消息不会真正发出。",
        "Read your codes in the outbox": "在发件箱中查看验证码",
    }
}


def load_settings(config_path: str | None) -> Settings:
    """The configuration file when one is named, else development settings (memory, outbox)."""
    return load_config(config_path) if config_path else Settings.development()


def create_demo_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    clock: Clock = system_clock,
) -> Starlette:
    """The demo. A given ``runtime`` stays the caller's; one built here closes on shutdown."""
    owned = runtime is None
    if runtime is None:
        runtime = build_runtime(settings or Settings.development(), clock=clock)
    config = runtime.settings
    pages = _pages_options(config)
    dev = config.dev and runtime.outbox is not None
    challenge = config.challenge.build() if config.challenge is not None else None
    asking = config.challenge
    auth = create_auth_app(
        runtime.engine,
        users=runtime.users,
        sessions=_sessions(runtime, clock),
        secret_keys=config.secret_keys,
        template_dirs=[TEMPLATES],
        translations=TRANSLATIONS,
        template_globals={"dev": dev},
        mount_path="/auth",
        trusted_proxies=config.requesters.trusted_proxies,
        challenge=challenge,
        **(
            {
                "challenge_after_sends": asking.after_sends_per_requester,
                "challenge_site_threshold": asking.site_budget_threshold,
            }
            if asking is not None
            else {}
        ),
        **pages,
    )
    demo = _DemoPages(auth_pages(auth))
    shared = auth.state.otp_flow  # one set of accounts: the API ends page sessions and back
    api = create_api(
        runtime, sessions=shared.sessions, hooks=shared.hooks, passwords=shared.passwords
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.open()  # e.g. the SQL users table of [users] url
        try:
            yield
        finally:
            if challenge is not None:  # built here from [challenge]: its HTTP client is ours
                await challenge.aclose()
            if owned:
                await runtime.aclose()

    app = Starlette(
        routes=[
            Route("/", demo.home, name="home"),
            Route("/account", demo.account, name="account"),
            Mount("/auth", app=auth, name="otp_flow"),
            # Last: the seed APIs keep their paths (/otp/send, /api/sms/..., /dev/outbox). Their
            # routes directly, not Mount("/", api): one middleware stack per request, not two
            # (create_api_app's app has routes only: no middleware, no exception handlers).
            *api.routes,
        ],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.auth = auth
    return app


def _pages_options(config: Settings) -> dict[str, Any]:
    table = dict(config.extra.get("pages", {}))
    unknown = set(table) - _PAGES_KEYS
    if unknown:
        raise ConfigError(f"pages: unknown key(s) {', '.join(sorted(unknown))}")
    for key, value in table.items():
        if not isinstance(value, str) or not value:
            raise ConfigError(f"pages.{key} must be a non-empty string")
    return {"site_name": "otp_flow demo", **table}


def _sessions(runtime: Runtime, clock: Clock) -> SessionStore:
    """Sessions beside the codes: in memory, or in the same Redis (so every worker sees them)."""
    if runtime.settings.store == "memory":
        return MemorySessionStore(clock=clock)
    from otp_flow.stores.redis import RedisStore

    assert isinstance(runtime.store, RedisStore)
    return RedisSessionStore(runtime.store, clock=clock)


class _DemoPages:
    """The demo's own pages, rendered like otp_flow's (same base template, languages, user)."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    async def home(self, request: Request) -> Response:
        return self.pages.render(request, "home.html")

    @login_required  # also covered by protected=["/account"]; either alone would do
    async def account(self, request: Request) -> Response:
        return self.pages.render(request, "account.html")
