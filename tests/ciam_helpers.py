"""A site with the pages and the JSON APIs over one engine, users, sessions and hooks, served by
uvicorn on a free loopback port inside the test's event loop (so the injected clock and the
test's Redis connections are shared), and helpers to drive CIAM's token and account endpoints.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from otp_flow import OTPEngine
from otp_flow._clients import Client
from otp_flow.config import AuthSource
from otp_flow.senders._outbox import OutboxSender
from otp_flow.stores.base import OTPStore
from otp_flow.tokens import SigningKeys, TokenService, token_store_beside
from otp_flow.users import UserHooks
from otp_flow.web import OTPAuthMiddleware, create_auth_app
from otp_flow.web.api import create_api_app
from tests.api_helpers import basic
from tests.conftest import FakeClock
from tests.redis_harness import free_port
from tests.web_helpers import KEYS, Site, home, stores_for

APP = ("APP_CLIENT_ID", "APP_CLIENT_SECRET")
OTHER_APP = ("OTHER_CLIENT_ID", "OTHER_CLIENT_SECRET")
SMS_SOURCE = "MOCK_SMS_OTP_AUTH_SOURCE_ID"
EMAIL_SOURCE = "MOCK_EMAIL_OTP_AUTH_SOURCE_ID"
SMS_GRANT = "http://tencentciam.com/oauth2/grant-type/otp/sms"
EMAIL_GRANT = "http://tencentciam.com/oauth2/grant-type/otp/email"
BODY_CLIENT = {"client_id": APP[0], "client_secret": APP[1]}


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """uvicorn serving ``app`` on a free loopback port in this event loop; yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)  # waiting for the server to listen, not passing test time
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class CiamSite(Site):
    """The pages' ``Site`` (its ``client`` keeps the browser's cookies) plus the API's tokens."""

    tokens: TokenService
    api: httpx.AsyncClient

    async def send(self, usage: str, app: tuple[str, str] = APP, **to: str) -> str:
        """``POST /otp/send``; the otp_token."""
        body: dict[str, str] = {"usage": usage, **to}
        response = await self.api.post("/otp/send", json=body, headers=basic(*app))
        assert response.status_code == 200, response.text
        return str(response.json()["otp_token"])

    async def sent(self, usage: str, recipient: str, **to: str) -> tuple[str, str]:
        """(otp_token, code) of a code sent for ``usage`` to ``to`` (normalised: recipient)."""
        token = await self.send(usage, **to)
        return token, await self.code_for(recipient)

    async def token(self, **body: Any) -> httpx.Response:
        return await self.api.post("/oauth2/token", json={**BODY_CLIENT, **body})

    async def sms_login(self, phone: str, e164: str, **extra: Any) -> httpx.Response:
        token, code = await self.sent("login", e164, phone_number=phone)
        return await self.token(
            grant_type=SMS_GRANT,
            auth_source_id=SMS_SOURCE,
            phone_number=phone,
            otp_token=token,
            otp=code,
            **extra,
        )

    async def userinfo(self, access_token: str) -> httpx.Response:
        return await self.api.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})

    async def verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of ``token``, checked with joserfc against the published JWKS only."""
        published = (await self.api.get("/.well-known/jwks.json")).json()
        decoded = jwt.decode(token, KeySet.import_key_set(published), algorithms=["ES256", "RS256"])
        return dict(decoded.claims)


def build_site(
    store: OTPStore, clock: FakeClock, *, keys: SigningKeys | None = None
) -> tuple[Starlette, OTPEngine, OutboxSender, TokenService, Any, Any, UserHooks, Starlette]:
    outbox = OutboxSender(store, clock=clock)
    engine = OTPEngine(
        secret_keys=KEYS,
        store=store,
        sender=outbox,
        clock=clock,
        clients=[Client(*APP), Client(*OTHER_APP)],
    )
    users, sessions = stores_for(store, clock)
    hooks = UserHooks()
    tokens = TokenService(
        keys=keys or SigningKeys.derived(KEYS), store=token_store_beside(store), clock=clock
    )
    auth = create_auth_app(engine, users=users, sessions=sessions, secret_keys=KEYS, hooks=hooks)
    api = create_api_app(
        engine,
        auth_sources=[
            AuthSource(SMS_SOURCE, "sms", code_length=6, ttl_seconds=300),
            AuthSource(EMAIL_SOURCE, "email", code_length=8, ttl_seconds=300),
        ],
        users=users,
        tokens=tokens,
        sessions=sessions,
        hooks=hooks,
    )
    app = Starlette(
        routes=[Route("/", home), Mount("/auth", app=auth, name="otp_flow"), *api.routes],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth)],
    )
    return app, engine, outbox, tokens, users, sessions, hooks, auth


@asynccontextmanager
async def open_ciam_site(
    store: OTPStore, clock: FakeClock, *, keys: SigningKeys | None = None
) -> AsyncIterator[CiamSite]:
    app, engine, outbox, tokens, users, sessions, hooks, auth = build_site(store, clock, keys=keys)
    async with (
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as browser,
        httpx.AsyncClient(base_url=url, timeout=10) as api,
    ):
        yield CiamSite(
            app, auth, engine, outbox, users, sessions, hooks, clock, browser, tokens, api
        )
