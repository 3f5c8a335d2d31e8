"""OTPAuthMiddleware and login_required: request.user, protected paths, HTML vs JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from otp_flow.stores.base import OTPStore
from otp_flow.web import OTPAuthMiddleware, login_required
from tests.conftest import FakeClock
from tests.web_helpers import E164, PHONE, Site, open_site


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        yield site


async def test_request_user_the_starlette_way(site: Site) -> None:
    assert await site.whoami() == "hello stranger"
    user = await site.signup(PHONE, E164, name="Ann")
    assert await site.whoami() == "hello Ann"
    me = await site.client.get("/api/me", headers={"Accept": "application/json"})
    assert me.status_code == 200
    assert me.json() == {"id": user.id, "name": "Ann"}


async def test_protected_paths_send_browsers_to_login_with_next(site: Site) -> None:
    page = await site.client.get("/account?tab=1", headers={"Accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/login?next=%2Faccount%3Ftab%3D1"
    deeper = await site.client.get("/account/settings")
    assert deeper.status_code == 303
    assert (await site.client.get("/accounts")).status_code == 404  # a prefix is a path segment
    await site.signup(PHONE, E164)
    assert (await site.client.get("/account")).status_code == 200


async def test_api_clients_get_401_json(site: Site) -> None:
    protected = await site.client.get("/account", headers={"Accept": "application/json"})
    assert protected.status_code == 401
    assert protected.json()["error"] == "login_required"
    decorated = await site.client.get("/api/me", headers={"Accept": "application/json"})
    assert decorated.status_code == 401
    as_browser = await site.client.get("/api/me", headers={"Accept": "text/html"})
    assert as_browser.status_code == 303
    assert as_browser.headers["location"] == "/auth/login?next=%2Fapi%2Fme"


async def test_a_signed_out_session_cookie_is_anonymous(site: Site) -> None:
    await site.signup(PHONE, E164)
    cookie = site.client.cookies["otp_session"]
    await site.logout()
    site.client.cookies.set("otp_session", cookie, path="/")
    assert await site.whoami() == "hello stranger"
    site.client.cookies.set("otp_session", cookie[:-3] + "xyz", path="/")
    assert await site.whoami() == "hello stranger"


async def test_session_expires_with_the_clock(site: Site) -> None:
    await site.signup(PHONE, E164)
    site.later(14 * 24 * 3600 - 10)
    assert await site.whoami() == "hello Ann"
    site.later(20)
    assert await site.whoami() == "hello stranger"


async def test_non_http_scopes_pass_through(site: Site) -> None:
    seen: list[str] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = OTPAuthMiddleware(inner, auth=site.auth, protected=["/"])

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("the middleware must not answer a lifespan scope")

    await middleware({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]


async def test_anonymous_websocket_to_a_protected_path_is_closed(site: Site) -> None:
    called: list[str] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        called.append(scope["path"])

    middleware = OTPAuthMiddleware(inner, auth=site.auth, protected=["/live"])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/live", "headers": [], "query_string": b""}
    await middleware(scope, receive, send)
    assert called == []
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_login_required_needs_the_middleware() -> None:
    @login_required
    async def page(request: Request) -> Response:
        return PlainTextResponse("secret")

    app = Starlette(routes=[Route("/", page)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with pytest.raises(RuntimeError, match="OTPAuthMiddleware"):
            await client.get("/")


def test_configuration_is_validated(site: Site) -> None:
    with pytest.raises(ValueError, match="create_auth_app"):
        OTPAuthMiddleware(site.app, auth=site.app)
    with pytest.raises(ValueError, match="protected"):
        OTPAuthMiddleware(site.app, auth=site.auth, protected=["account"])
    with pytest.raises(ValueError, match="login_url"):
        OTPAuthMiddleware(site.app, auth=site.auth, login_url="https://evil.example/login")


async def test_the_pages_know_the_user_without_the_middleware(clock: FakeClock) -> None:
    """The middleware is installed once, by the application; the sub-app has none of its own
    and still shows who is signed in when the application installs none at all."""
    from starlette.routing import Mount

    from otp_flow.stores.memory import MemoryStore
    from tests.live_server import serve
    from tests.web_helpers import build_app

    _, auth, engine, outbox, users, sessions, hooks = build_app(MemoryStore(), clock)
    assert auth.user_middleware == []
    app = Starlette(routes=[Mount("/auth", app=auth)])
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        site = Site(app, auth, engine, outbox, users, sessions, hooks, clock, client)
        await site.send_code("signup", PHONE)
        await site.enter_code("signup", await site.code_for(E164))
        await site.post("/auth/signup/details", {"display_name": "Ann"})
        profile = await client.get("/auth/update_userinfo")
        assert profile.status_code == 200
        assert "Signed in as Ann" in profile.text


async def test_without_the_middleware_behind_a_root_path(clock: FakeClock) -> None:
    """uvicorn --root-path /app: the pages alone still know the site's prefix (home, links)."""
    from starlette.routing import Mount

    from otp_flow.stores.memory import MemoryStore
    from tests.live_server import serve
    from tests.web_helpers import build_app

    _, auth, *_ = build_app(MemoryStore(), clock)
    app = Starlette(routes=[Mount("/auth", app=auth)])
    # The client stands where the proxy does (it strips "/app" before uvicorn).
    async with serve(app, root_path="/app") as url, httpx.AsyncClient(base_url=url) as client:
        page = await client.get("/auth/signup")
        assert 'action="/app/auth/signup"' in page.text
        assert 'class="brand" href="/app/"' in page.text
        assert "Path=/app/auth" in page.headers["set-cookie"]
