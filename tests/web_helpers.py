"""A small site around the auth sub-app, and helpers to drive its pages like a browser would.

``Site`` holds a real engine on the given store (memory or Redis), the outbox sender the codes go
to, the user and session stores (Redis ones when the store is Redis), and an httpx client that
keeps cookies. Codes are read from the outbox, as a developer would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from argon2.profiles import CHEAPEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from otp_flow import OTPEngine
from otp_flow.passwords import Passwords
from otp_flow.policy import RequesterLimits
from otp_flow.senders._base import Sender
from otp_flow.senders._outbox import OutboxEntry, OutboxSender
from otp_flow.stores.base import OTPStore
from otp_flow.users import MemoryUserStore, RedisUserStore, User, UserHooks, UserStore
from otp_flow.web import (
    MemorySessionStore,
    OTPAuthMiddleware,
    RedisSessionStore,
    SessionStore,
    create_auth_app,
    login_required,
)
from tests.conftest import FakeClock

KEYS = ["web-test-secret-key-0123456789"]
PHONE = "13612345678"
E164 = "+8613612345678"
EMAIL = "ann@example.com"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def fast_passwords() -> Passwords:
    """Real argon2id at its cheapest cost, so the suite does not spend seconds hashing."""
    return Passwords(parameters=CHEAPEST)


def stores_for(store: OTPStore, clock: FakeClock) -> tuple[UserStore, SessionStore]:
    """Users and sessions beside the codes: Redis ones on a RedisStore, else memory."""
    from otp_flow.stores.redis import RedisStore

    if isinstance(store, RedisStore):
        return RedisUserStore(store, passwords=fast_passwords()), RedisSessionStore(
            store, clock=clock
        )
    return MemoryUserStore(passwords=fast_passwords()), MemorySessionStore(clock=clock)


async def home(request: Request) -> Response:
    if request.user.is_authenticated:
        return PlainTextResponse(f"hello {request.user.display_name}")
    return PlainTextResponse("hello stranger")


@login_required
async def api_me(request: Request) -> Response:
    return JSONResponse({"id": request.user.identity, "name": request.user.display_name})


@dataclass
class Site:
    app: Starlette
    auth: Starlette
    engine: OTPEngine
    outbox: OutboxSender
    users: UserStore
    sessions: SessionStore
    hooks: UserHooks
    clock: FakeClock
    client: httpx.AsyncClient

    # ----------------------------------------------------------------- outbox

    async def messages(self, recipient: str | None = None) -> list[OutboxEntry]:
        found = await self.outbox.messages(limit=100)
        return [m for m in found if recipient is None or m["recipient"] == recipient]

    async def code_for(self, recipient: str) -> str:
        sent = [m for m in await self.messages(recipient) if m["code"]]
        assert sent, f"no code was sent to {recipient}"
        return sent[0]["code"]

    # ------------------------------------------------------------------ pages

    async def csrf(self, path: str = "/auth/reset_password") -> str:
        """The token from ``path``; in passwordless mode (no reset page) from the login page, or
        the profile page once signed in."""
        for candidate in (path, "/auth/login", "/auth/update_userinfo"):
            page = await self.client.get(candidate)
            match = _CSRF.search(page.text)
            if match:
                return match.group(1)
        raise AssertionError(f"no CSRF token on {path} ({page.status_code})")

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        """POST a form with this browser's CSRF token (from a page that always renders)."""
        form = {"csrf_token": await self.csrf(), **data}
        return await self.client.post(path, data=form, **kwargs)

    async def send_code(self, flow: str, identifier: str, **extra: str) -> httpx.Response:
        response = await self.post(f"/auth/{flow}", {"identifier": identifier, **extra})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/auth/{flow}/code"
        return response

    async def enter_code(self, flow: str, code: str) -> httpx.Response:
        return await self.post(f"/auth/{flow}/code", {"code": code})

    async def signup(
        self, identifier: str, recipient: str, name: str = "Ann", password: str = ""
    ) -> User:
        """A whole signup; returns the new user (signed in on this client)."""
        await self.send_code("signup", identifier)
        done = await self.enter_code("signup", await self.code_for(recipient))
        assert done.headers["location"] == "/auth/signup/details", done.text
        created = await self.post(
            "/auth/signup/details", {"display_name": name, "password": password}
        )
        assert created.status_code == 303, created.text
        user = await (
            self.users.find_by_email(recipient)
            if "@" in recipient
            else self.users.find_by_phone(recipient)
        )
        assert user is not None
        return user

    async def login_by_code(self, identifier: str, recipient: str) -> httpx.Response:
        await self.send_code("login", identifier)
        return await self.enter_code("login", await self.code_for(recipient))

    async def logout(self) -> httpx.Response:
        return await self.post("/auth/logout", {})

    async def whoami(self) -> str:
        return (await self.client.get("/")).text

    def later(self, seconds: float = 31) -> None:
        """Move time past the resend interval (or any other wait) without sleeping."""
        self.clock.advance(seconds)


def build_app(
    store: OTPStore,
    clock: FakeClock,
    *,
    template_dirs: Sequence[str] = (),
    engine_options: dict[str, Any] | None = None,
    sender: Sender | None = None,
    users: UserStore | None = None,
    **auth_options: Any,
) -> tuple[Starlette, Starlette, OTPEngine, OutboxSender, UserStore, SessionStore, UserHooks]:
    """``sender``: deliver through it instead of the outbox.

    Every test request comes from one address here, so the per-requester limits are off unless
    ``engine_options`` names them (tests/test_web_abuse.py drives them over real HTTP).
    """
    outbox = OutboxSender(store, clock=clock)
    if sender is None:
        sender = outbox
    engine_options = {"requester_limits": RequesterLimits.off(), **(engine_options or {})}
    engine = OTPEngine(secret_keys=KEYS, store=store, sender=sender, clock=clock, **engine_options)
    default_users, sessions = stores_for(store, clock)
    users = users or default_users
    hooks = UserHooks()
    auth = create_auth_app(
        engine,
        users=users,
        sessions=sessions,
        secret_keys=KEYS,
        hooks=hooks,
        template_dirs=template_dirs,
        **auth_options,
    )
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/account", home),
            Route("/api/me", api_me),
            Mount("/auth", app=auth, name="otp_flow"),
        ],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])],
    )
    return app, auth, engine, outbox, users, sessions, hooks


@asynccontextmanager
async def open_site(
    store: OTPStore, clock: FakeClock, *, base_url: str = "http://testserver", **options: Any
) -> AsyncIterator[Site]:
    app, auth, engine, outbox, users, sessions, hooks = build_app(store, clock, **options)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield Site(app, auth, engine, outbox, users, sessions, hooks, clock, client)


def browser(site: Site, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """Another browser (its own cookies) on the same site."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url=base_url)
