"""FastAPI and Starlette integration over real HTTP: ``current_user`` / ``require_user``,
``request.user``'s attributes, and the sub-app mounted anywhere without ``mount_path``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from otp_flow.stores.base import OTPStore
from otp_flow.users import User
from otp_flow.web import (
    LoginRequired,
    OTPAuthMiddleware,
    current_user,
    login_required,
    require_user,
)
from tests.conftest import FakeClock
from tests.live_server import serve
from tests.web_helpers import E164, EMAIL, Site, build_app

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}


def fastapi_app(auth: Starlette, mount: str) -> FastAPI:
    api = FastAPI()

    @api.get("/me")
    async def me(user: Annotated[User, Depends(require_user)]) -> dict[str, str | None]:
        return {"id": user.id, "email": user.email, "phone": user.phone_number}

    @api.get("/maybe")
    async def maybe(user: Annotated[User | None, Depends(current_user)]) -> dict[str, str]:
        return {"name": user.display_name if user else "stranger"}

    @api.get("/account")
    async def account(request: Request) -> dict[str, str | None]:
        person = request.user
        return {"id": person.id, "email": person.email, "record": person.record.display_name}

    @api.get("/old")
    @login_required
    async def old(request: Request) -> dict[str, str]:
        return {"name": request.user.display_name}

    api.mount(mount, auth)  # no name, no mount_path: the middleware finds the Mount itself
    api.add_middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])
    return api


def starlette_app(auth: Starlette, mount: str) -> Starlette:
    async def me(request: Request) -> Response:
        user = await require_user(request)
        return JSONResponse({"id": user.id, "email": user.email, "phone": user.phone_number})

    async def maybe(request: Request) -> Response:
        user = await current_user(request)
        return JSONResponse({"name": user.display_name if user else "stranger"})

    async def account(request: Request) -> Response:
        person = request.user
        return JSONResponse(
            {"id": person.id, "email": person.email, "record": person.record.display_name}
        )

    return Starlette(
        routes=[
            Route("/me", me),
            Route("/maybe", maybe),
            Route("/account", account),
            Mount("/outer", routes=[Mount(mount, app=auth)]),  # nested Mounts are found too
        ],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])],
    )


@asynccontextmanager
async def live(
    store: OTPStore, clock: FakeClock, framework: str, mount: str
) -> AsyncIterator[tuple[Site, str]]:
    """A site whose sub-app is mounted at ``mount`` (under "/outer" in Starlette); yields the
    site and the sub-app's full path."""
    _, auth, engine, outbox, users, sessions, hooks = build_app(store, clock)
    app = fastapi_app(auth, mount) if framework == "fastapi" else starlette_app(auth, mount)
    base = mount if framework == "fastapi" else "/outer" + mount
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield Site(app, auth, engine, outbox, users, sessions, hooks, clock, client), base


async def sign_up(site: Site, base: str) -> None:
    """Signup by email through the pages at ``base``, as a browser follows the links."""
    login = await site.client.get(f"{base}/signup", headers=HTML)
    assert login.status_code == 200
    assert f'action="{base}/signup"' in login.text
    token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    sent = await site.client.post(f"{base}/signup", data={"csrf_token": token, "identifier": EMAIL})
    assert sent.headers["location"] == f"{base}/signup/code"
    code = await site.code_for(EMAIL)
    done = await site.client.post(f"{base}/signup/code", data={"csrf_token": token, "code": code})
    assert done.headers["location"] == f"{base}/signup/details"
    made = await site.client.post(
        f"{base}/signup/details", data={"csrf_token": token, "display_name": "Ann"}
    )
    assert made.status_code == 303


@pytest.mark.parametrize("framework", ["fastapi", "starlette"])
async def test_require_user_and_current_user(
    store: OTPStore, clock: FakeClock, framework: str
) -> None:
    async with live(store, clock, framework, "/auth") as (site, base):
        client = site.client
        anonymous = await client.get("/me", headers=JSON)
        assert anonymous.status_code == 401
        assert anonymous.json()["error"] == "login_required"  # the same body as login_required
        browser = await client.get("/me?x=1", headers=HTML)
        assert browser.status_code == 303
        assert browser.headers["location"] == f"{base}/login?next=%2Fme%3Fx%3D1"
        assert (await client.get("/maybe")).json() == {"name": "stranger"}

        await sign_up(site, base)
        user = await site.users.find_by_email(EMAIL)
        assert user is not None
        me = await client.get("/me", headers=JSON)
        assert me.json() == {"id": user.id, "email": EMAIL, "phone": None}
        assert (await client.get("/maybe")).json() == {"name": "Ann"}
        account = await client.get("/account")
        assert account.json() == {"id": user.id, "email": EMAIL, "record": "Ann"}


@pytest.mark.parametrize("framework", ["fastapi", "starlette"])
async def test_mounted_anywhere_without_mount_path(
    store: OTPStore, clock: FakeClock, framework: str
) -> None:
    async with live(store, clock, framework, "/login-stuff") as (site, base):
        client = site.client
        for path in ("/account", "/me"):
            turned_away = await client.get(path, headers=HTML)
            assert turned_away.status_code == 303
            location = turned_away.headers["location"]
            assert location == f"{base}/login?next=%2F{path[1:]}"
            page = await client.get(location)  # the redirect leads to a real page, not a 404
            assert page.status_code == 200
            assert f'action="{base}/login"' in page.text
            assert 'name="next" value="/' in page.text
        await sign_up(site, base)
        assert (await client.get("/account")).status_code == 200
        if framework == "fastapi":
            assert (await client.get("/old")).json() == {"name": "Ann"}


async def test_an_endpoint_may_raise_login_required(clock: FakeClock) -> None:
    from otp_flow.stores.memory import MemoryStore

    async def raises(request: Request) -> Response:
        raise LoginRequired()

    _, auth, *_ = build_app(MemoryStore(), clock)
    app = Starlette(
        routes=[Route("/raises", raises), Mount("/auth", app=auth)],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth)],
    )
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        anonymous = await client.get("/raises", headers=JSON)
        assert anonymous.status_code == 401


async def test_the_dependencies_need_the_middleware() -> None:
    async def me(request: Request) -> Response:
        await current_user(request)
        return JSONResponse({})

    app = Starlette(routes=[Route("/me", me)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with pytest.raises(RuntimeError, match="OTPAuthMiddleware"):
            await client.get("/me")


def test_request_user_exposes_the_record() -> None:
    from otp_flow.web import AuthUser

    record = User("u1", "", E164, None, True, {"plan": "pro"})
    person = AuthUser(record)
    assert (person.id, person.phone_number, person.email) == ("u1", E164, None)
    assert (person.has_password, person.extra, person.record) == (True, {"plan": "pro"}, record)
    assert person.display_name == E164  # what to show: the name, else email, else phone
    assert person.identity == "u1" and person.is_authenticated
    assert person.user is record  # the old name still works
