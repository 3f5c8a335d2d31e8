"""Regression tests of the page-layer review: root_path, replayed cookies, hostile headers and
bodies, enumeration through failures and timing, typed codes, CSRF rotation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from otp_flow.senders._base import Message, Sender
from otp_flow.senders._outbox import OutboxSender
from otp_flow.stores.base import OTPStore
from otp_flow.web.flows._sending import SendTimer
from tests.conftest import FakeClock
from tests.web_helpers import _CSRF, E164, EMAIL, PHONE, Site, browser, open_site

_CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        yield site


async def _call(site: Site, path: str, root_path: str) -> tuple[int, str | None]:
    """The app as uvicorn --root-path calls it: ``path`` includes ``root_path``."""
    sent: list[dict[str, object]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"accept", b"text/html")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await site.app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = dict(start["headers"])  # type: ignore[call-overload]
    location = headers.get(b"location")
    return int(start["status"]), location.decode() if location else None  # type: ignore[call-overload]


# ------------------------------------------------------------------------- 1. root_path


async def test_protected_page_behind_a_root_path_turns_anonymous_visitors_away(
    site: Site,
) -> None:
    status, location = await _call(site, "/app/account", "/app")
    assert status == 303
    assert location == "/app/auth/login?next=%2Fapp%2Faccount"
    assert await _call(site, "/app/", "/app") == (200, None)  # not protected


# -------------------------------------------------------------------- 2. replayed cookies


async def _replay(site: Site, flow_path: str, copied: str, data: dict[str, str]) -> int:
    async with browser(site) as thief:
        token = _CSRF.search((await thief.get("/auth/login")).text)
        assert token
        thief.cookies.set("otp_token", copied, path="/auth")
        answer = await thief.post(flow_path, data={"csrf_token": token.group(1), **data})
        assert "start again" in answer.text
        return answer.status_code


async def test_a_used_reset_cookie_cannot_set_the_password_again(site: Site) -> None:
    await site.signup(PHONE, E164, password="correct horse")
    await site.logout()
    site.later()
    await site.send_code("reset_password", PHONE)
    await site.enter_code("reset_password", await site.code_for(E164))
    copied = site.client.cookies["otp_token"]
    done = await site.post("/auth/reset_password/new", {"password": "new password 1"})
    assert done.status_code == 303
    replay = await _replay(site, "/auth/reset_password/new", copied, {"password": "attacker!!"})
    assert replay == 422  # the "start again" page, not a 303 into the account
    user = await site.users.find_by_phone(E164)
    assert user is not None
    assert await site.users.check_password(user.id, "new password 1")


async def test_a_used_signup_cookie_cannot_create_an_account_again(site: Site) -> None:
    await site.send_code("signup", EMAIL)
    await site.enter_code("signup", await site.code_for(EMAIL))
    copied = site.client.cookies["otp_token"]
    done = await site.post("/auth/signup/details", {"display_name": "Ann"})
    assert done.status_code == 303
    # Ann moves to another address: hers is free again, but not for a copy of her cookie.
    await site.send_code("update_userinfo", "ann@example.org", display_name="Ann")
    moved = await site.enter_code("update_userinfo", await site.code_for("ann@example.org"))
    assert moved.status_code == 303
    assert await site.users.find_by_email(EMAIL) is None
    replay = await _replay(site, "/auth/signup/details", copied, {"display_name": "Mallory"})
    assert replay == 422
    assert await site.users.find_by_email(EMAIL) is None


async def test_logout_clears_the_pending_cookie(site: Site) -> None:
    await site.signup(PHONE, E164)
    await site.send_code("update_userinfo", EMAIL, display_name="Ann")
    answer = await site.logout()
    cleared = [c for c in answer.headers.get_list("set-cookie") if c.startswith("otp_token=")]
    assert cleared and ("Max-Age=0" in cleared[0] or "expires=" in cleared[0].lower())
    assert "otp_token" not in site.client.cookies


# ------------------------------------------------------------------ 3. malformed Referer


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup"])
async def test_a_malformed_referer_is_ignored(site: Site, path: str) -> None:
    answer = await site.client.get(path, headers={"referer": "http://[::1"})
    assert answer.status_code == 200


# ------------------------------------------------------- 4. failing sender, no enumeration


class Switch:
    """A real sender (the outbox) that a test can turn off, as a provider outage would."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner
        self.down = False

    async def send(self, message: Message) -> None:
        if self.down:
            raise ConnectionError("provider down")
        await self.inner.send(message)


@pytest.mark.parametrize("flow", ["login", "reset_password"])
async def test_a_failing_sender_answers_known_and_unknown_alike(
    store: OTPStore, clock: FakeClock, flow: str
) -> None:
    switch = Switch(OutboxSender(store, clock=clock))
    async with open_site(store, clock, sender=switch) as site:
        await site.signup(PHONE, E164)
        await site.logout()
        site.later()
        switch.down = True
        answers = []
        for identifier in (PHONE, "13912345678"):
            async with browser(site) as visitor:
                token = _CSRF.search((await visitor.get(f"/auth/{flow}")).text)
                assert token
                form = {"csrf_token": token.group(1), "identifier": identifier}
                sent = await visitor.post(f"/auth/{flow}", data=form)
                # The code page that follows is the same too (the killed challenge's token rides
                # on like a silent one's). A guess there still differs during the outage
                # (expired vs wrong): a known limit, noted on the issue.
                page = await visitor.get(f"/auth/{flow}/code")
                text = _CSRF_VALUE.sub("", page.text)
                text = text.replace(identifier, "<id>").replace(E164, "<id>")
                answers.append(
                    (sent.status_code, sent.headers.get("location"), page.status_code, text)
                )
        assert answers[0] == answers[1]
        assert answers[0][:3] == (303, f"/auth/{flow}/code", 200)


# --------------------------------------------------------------- 5. timing, per channel


class Latency:
    """A sender that "takes" ``seconds[channel]`` on the timer's clock, then delivers."""

    def __init__(self, inner: Sender, ticks: FakeClock, seconds: dict[str, float]) -> None:
        self.inner, self.ticks, self.seconds = inner, ticks, seconds

    async def send(self, message: Message) -> None:
        self.ticks.advance(self.seconds[message.channel])
        await self.inner.send(message)


async def test_a_silent_send_waits_as_long_as_a_real_one_on_its_channel(
    store: OTPStore, clock: FakeClock
) -> None:
    ticks = FakeClock()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        ticks.advance(seconds)

    timer = SendTimer(timer=ticks, sleep=sleep)
    sender = Latency(OutboxSender(store, clock=clock), ticks, {"sms": 0.02, "email": 0.6})
    async with open_site(store, clock, sender=sender, send_timer=timer) as site:
        # Before any real send, a silent one still waits the seeded time.
        await site.send_code("login", "nobody@example.com")
        assert waits == [0.5]
        await site.signup(EMAIL, EMAIL)
        await site.logout()
        for i in range(5):  # plenty of fast SMS sends by other people
            await site.send_code("signup", f"1370000{i:04d}")
        site.later()
        waits.clear()
        await site.send_code("login", "nobody@example.org")
        await site.send_code("login", "13912345678")
    assert waits == [0.6, 0.02]  # each channel's own pace, not a mix


def test_send_timer_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        SendTimer(seeds={"sms": 0.3})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        SendTimer(weight=0)


# ------------------------------------------------------------------------ 6. typed codes


@pytest.mark.parametrize("style", ["fullwidth", "spaced", "hyphen"])
async def test_codes_typed_the_way_people_type_them_are_accepted(site: Site, style: str) -> None:
    await site.send_code("signup", PHONE)
    code = await site.code_for(E164)
    typed = {
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in code),
        "spaced": f" {code[:3]} {code[3:]} ",
        "hyphen": f"{code[:3]}-{code[3:]}",
    }[style]
    answer = await site.enter_code("signup", typed)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/signup/details"


# --------------------------------------------------------------------- 7. unreadable forms


@pytest.mark.parametrize("body", ["file", "many", "huge"])
async def test_an_unreadable_form_gets_the_translated_page(site: Site, body: str) -> None:
    token = await site.csrf("/auth/login")
    kwargs = {
        "file": {"data": {"csrf_token": token}, "files": {"identifier": ("a.txt", b"x")}},
        "many": {"data": {"csrf_token": token, **{f"a{i}": "1" for i in range(40)}}},
        "huge": {"data": {"csrf_token": token, "identifier": "1" * 20_000}},
    }[body]
    answer = await site.client.post("/auth/login", headers={"accept-language": "zh-CN"}, **kwargs)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "无法读取此表单" in answer.text
    assert await site.messages() == []


# -------------------------------------------------------------------------- 8. CSRF


async def test_csrf_secret_changes_at_sign_in_and_sign_out(site: Site) -> None:
    planted = await site.csrf()
    await site.signup(PHONE, E164)
    stale = await site.client.post(
        "/auth/update_userinfo", data={"csrf_token": planted, "display_name": "Mallory"}
    )
    assert stale.status_code == 403
    signed_in = await site.csrf()
    await site.logout()
    after = await site.client.post(
        "/auth/login", data={"csrf_token": signed_in, "identifier": PHONE}
    )
    assert after.status_code == 403
    assert re.search("hello Ann", await site.whoami()) is None
