"""CSRF, tampered cookies, open redirects, cookie attributes and account enumeration."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from itsdangerous import URLSafeSerializer
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from otp_flow.stores.base import OTPStore
from otp_flow.web import OTPAuthMiddleware, create_auth_app, safe_next
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, KEYS, PHONE, Site, browser, home, open_site


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        yield site


# ----------------------------------------------------------------------------------- CSRF


@pytest.mark.parametrize(
    "path",
    ["/auth/login", "/auth/signup", "/auth/reset_password", "/auth/login/code", "/auth/logout"],
)
async def test_post_without_csrf_token_is_forbidden(site: Site, path: str) -> None:
    await site.client.get("/auth/login")  # the browser has a CSRF cookie, the form no token
    answer = await site.client.post(path, data={"identifier": PHONE})
    assert answer.status_code == 403
    assert "This form has expired" in answer.text
    assert await site.messages() == []


async def test_csrf_token_of_another_browser_is_forbidden(site: Site) -> None:
    other = browser(site)
    async with other:
        page = await other.get("/auth/login")
        foreign = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert foreign
    await site.client.get("/auth/login")
    answer = await site.client.post(
        "/auth/login", data={"csrf_token": foreign.group(1), "identifier": PHONE}
    )
    assert answer.status_code == 403


async def test_csrf_token_without_cookie_is_forbidden(site: Site) -> None:
    token = await site.csrf()
    site.client.cookies.clear()
    answer = await site.client.post("/auth/login", data={"csrf_token": token, "identifier": PHONE})
    assert answer.status_code == 403


async def test_logged_in_page_needs_csrf_too(site: Site) -> None:
    await site.signup(PHONE, E164)
    answer = await site.client.post("/auth/update_userinfo", data={"display_name": "Mallory"})
    assert answer.status_code == 403
    assert await site.whoami() == "hello Ann"


# --------------------------------------------------------------------------- the cookies


async def test_tampered_pending_cookie_restarts_the_flow(site: Site) -> None:
    await site.signup(PHONE, E164)
    await site.logout()
    site.later()
    await site.send_code("login", PHONE)
    code = await site.code_for(E164)
    value = site.client.cookies["otp_token"]
    payload, _, signature = value.partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    site.client.cookies.set("otp_token", forged, path="/auth")
    answer = await site.enter_code("login", code)
    assert answer.status_code == 422
    assert "Please start again." in answer.text
    assert "otp_token=" in answer.headers["set-cookie"]  # deleted
    assert await site.whoami() == "hello stranger"


async def test_missing_pending_cookie_restarts_the_flow(site: Site) -> None:
    for path in ("/auth/login/code", "/auth/signup/code", "/auth/reset_password/code"):
        page = await site.client.get(path)
        assert page.status_code == 303
        assert page.headers["location"].endswith("?notice=restart")
    resend = await site.post("/auth/signup/resend", {})
    assert resend.status_code == 422
    assert "Please start again." in resend.text


async def test_cookie_attributes(store: OTPStore, clock: FakeClock) -> None:
    async with open_site(store, clock, base_url="https://example.test") as site:
        page = await site.client.get("/auth/login")
        csrf = page.headers["set-cookie"]
        assert "HttpOnly" in csrf and "SameSite=lax" in csrf and "Secure" in csrf
        assert "Path=/auth" in csrf
        sent = await site.send_code("signup", PHONE)
        pending = sent.headers["set-cookie"]
        assert pending.startswith("otp_token=")
        for attribute in ("HttpOnly", "SameSite=lax", "Secure", "Path=/auth", "Max-Age=300"):
            assert attribute in pending
        await site.enter_code("signup", await site.code_for(E164))
        done = await site.post("/auth/signup/details", {"display_name": "Ann"})
        session = next(
            c for c in done.headers.get_list("set-cookie") if c.startswith("otp_session")
        )
        for attribute in ("HttpOnly", "SameSite=lax", "Secure", "Path=/", "Max-Age=1209600"):
            assert attribute in session


async def test_plain_http_cookies_are_not_secure(site: Site) -> None:
    page = await site.client.get("/auth/login")
    assert "Secure" not in page.headers["set-cookie"]


async def test_pages_are_not_cached_nor_framed(site: Site) -> None:
    page = await site.client.get("/auth/login")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]


# --------------------------------------------------------------------------------- next


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\t/evil.example",
        "\\\\evil.example",
        "evil.example",
        "http:/evil.example",
    ],
)
async def test_off_site_next_is_ignored(site: Site, target: str) -> None:
    await site.signup(PHONE, E164, password="correct horse")
    await site.logout()
    page = await site.client.get("/auth/login", params={"next": target})
    assert target not in page.text
    answer = await site.post(
        "/auth/login", {"identifier": PHONE, "password": "correct horse", "next": target}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/account?tab=2#x", "/") == "/account?tab=2#x"
    assert safe_next("/", "/home") == "/"
    assert safe_next(None, "/home") == "/home"
    assert safe_next("/" + "a" * 5000, "/home") == "/home"


# -------------------------------------------------------------------------- enumeration


def _normalised(html: str) -> str:
    """The page minus what differs by nature between two requests (tokens, the identifier)."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    for value in (E164, PHONE, "+8613912345678", "13912345678"):
        html = html.replace(value, "ID")
    return html


def _pending(cookie: str) -> list[object]:
    """What the otp_token cookie says (readable by anyone: it is signed, not encrypted)."""
    payload = cookie.rsplit(".", 2)[0]  # payload.timestamp.signature; "." first = compressed
    data: list[object] = URLSafeSerializer("unused").load_payload(payload.encode())
    return data


@pytest.mark.parametrize("flow", ["login", "reset_password"])
async def test_known_and_unknown_identifiers_get_the_same_answers(site: Site, flow: str) -> None:
    await site.signup(PHONE, E164)
    await site.logout()
    site.later()

    async def attempt(identifier: str) -> list[tuple[int, str, str, list[object]]]:
        async with browser(site) as visitor:
            page = await visitor.get(f"/auth/{flow}")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            form = {"csrf_token": token.group(1), "identifier": identifier}
            sent = await visitor.post(f"/auth/{flow}", data=form)
            cookie = visitor.cookies["otp_token"]
            code_page = await visitor.get(f"/auth/{flow}/code")
            wrong = await visitor.post(
                f"/auth/{flow}/code", data={"csrf_token": token.group(1), "code": "000000"}
            )
            again = await visitor.post(f"/auth/{flow}/resend", data={"csrf_token": token.group(1)})
            steps = [sent, code_page, wrong, again]
            shape = [type(v).__name__ if k != 0 else v for k, v in enumerate(_pending(cookie))]
            return [
                (r.status_code, r.headers.get("location", ""), _normalised(r.text), shape)
                for r in steps
            ]

    known = await attempt(PHONE)
    unknown = await attempt("13912345678")
    assert known == unknown
    assert known[0][0] == 303 and known[2][0] == 422 and known[3][0] == 422
    # Only the account got a code; the unknown number got nothing at all.
    assert [m["usage"] for m in await site.messages(E164)] == [flow, "signup"]
    assert await site.messages("+8613912345678") == []


async def test_password_login_answers_the_same_for_unknown_accounts(site: Site) -> None:
    await site.signup(EMAIL, EMAIL, password="correct horse")
    await site.logout()
    known = await site.post("/auth/login", {"identifier": EMAIL, "password": "wrong horse!"})
    unknown = await site.post(
        "/auth/login", {"identifier": "nobody@example.com", "password": "wrong horse!"}
    )
    assert known.status_code == unknown.status_code == 422
    assert _normalised(known.text).replace(EMAIL, "X") == _normalised(unknown.text).replace(
        "nobody@example.com", "X"
    )


def _served_with(site: Site, keys: list[str]) -> Site:
    """The same people (stores, cookies) behind a sub-app signed with ``keys``."""
    auth = create_auth_app(site.engine, users=site.users, sessions=site.sessions, secret_keys=keys)
    app = Starlette(
        routes=[Route("/", home), Mount("/auth", app=auth)],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth)],
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies=site.client.cookies,
    )
    return dataclasses.replace(site, app=app, auth=auth, client=client)


async def test_rotated_keys_keep_people_signed_in(store: OTPStore, clock: FakeClock) -> None:
    """A new key is appended (newest last): cookies signed with the old one still work."""
    async with open_site(store, clock) as site:
        await site.signup(PHONE, E164)
        await site.send_code("update_userinfo", EMAIL, display_name="Ann")
        rotated = _served_with(site, [*KEYS, "the-new-secret-key-0123456789"])
        async with rotated.client:
            assert await rotated.whoami() == "hello Ann"  # the old session cookie
            # The old pending and CSRF cookies too.
            done = await rotated.enter_code("update_userinfo", await site.code_for(EMAIL))
            assert done.status_code == 303
        user = await site.users.find_by_email(EMAIL)
        assert user is not None and user.phone_number == E164
        # Dropping the old key signs everybody out: that is what dropping a key is for.
        retired = _served_with(site, ["the-new-secret-key-0123456789"])
        async with retired.client:
            assert await retired.whoami() == "hello stranger"
