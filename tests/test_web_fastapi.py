"""The same sub-app and middleware inside FastAPI."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request

from otp_flow.stores.base import OTPStore
from otp_flow.web import OTPAuthMiddleware, login_required
from tests.conftest import FakeClock
from tests.web_helpers import E164, PHONE, Site, build_app


async def test_fastapi_mount_middleware_and_login_required(
    store: OTPStore, clock: FakeClock
) -> None:
    _, auth, engine, outbox, users, sessions, hooks = build_app(store, clock)
    api = FastAPI()

    @api.get("/me")
    @login_required
    async def me(request: Request) -> dict[str, str]:
        return {"name": request.user.display_name}

    @api.get("/account")
    async def account(request: Request) -> dict[str, str]:
        return {"id": request.user.identity}

    api.mount("/auth", auth, name="otp_flow")
    api.add_middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])

    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        site = Site(api, auth, engine, outbox, users, sessions, hooks, clock, client)
        anonymous = await client.get("/me", headers={"Accept": "application/json"})
        assert anonymous.status_code == 401
        redirected = await client.get("/account")
        assert redirected.status_code == 303
        assert redirected.headers["location"] == "/auth/login?next=%2Faccount"

        user = await site.signup(PHONE, E164, name="Ann")
        assert (await client.get("/me")).json() == {"name": "Ann"}
        assert (await client.get("/account")).json() == {"id": user.id}
        assert "openapi" in (await client.get("/openapi.json")).text  # FastAPI itself untouched
