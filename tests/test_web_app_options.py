"""``create_auth_app``'s conveniences over real HTTP: the cookies signed with the engine's keys
when none are given, and the one-switch development outbox under the pages' mount."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from otp_flow import OTPEngine
from otp_flow.policy import RequesterLimits
from otp_flow.senders import ConsoleSender, OutboxSender
from otp_flow.stores.memory import MemoryStore
from otp_flow.users import MemoryUserStore, UserHooks
from otp_flow.web import MemorySessionStore, OTPAuthMiddleware, SessionStore, create_auth_app
from tests.conftest import FakeClock
from tests.live_server import serve
from tests.web_helpers import E164, KEYS, PHONE, Site, fast_passwords, home

OTHER_KEYS = ["another-secret-key-0123456789"]


def engine_on(store: MemoryStore, clock: FakeClock) -> tuple[OTPEngine, OutboxSender]:
    outbox = OutboxSender(store, clock=clock)
    engine = OTPEngine(
        secret_keys=KEYS,
        store=store,
        sender=outbox,
        clock=clock,
        requester_limits=RequesterLimits.off(),  # every test request comes from one address
    )
    return engine, outbox


def site_app(
    engine: OTPEngine,
    users: MemoryUserStore,
    sessions: SessionStore,
    *,
    mount: str = "/auth",
    **auth_options: Any,
) -> tuple[Starlette, Starlette]:
    auth = create_auth_app(engine, users=users, sessions=sessions, **auth_options)
    app = Starlette(
        routes=[Route("/", home), Mount(mount, app=auth, name="otp_flow")],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth)],
    )
    return app, auth


async def test_without_secret_keys_the_pages_sign_with_the_engines(
    memory_store: MemoryStore, clock: FakeClock
) -> None:
    engine, outbox = engine_on(memory_store, clock)
    users, sessions = MemoryUserStore(passwords=fast_passwords()), MemorySessionStore(clock=clock)
    app, auth = site_app(engine, users, sessions)  # the keys given once, to the engine
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        site = Site(app, auth, engine, outbox, users, sessions, UserHooks(), clock, client)
        await site.signup(PHONE, E164)
        assert await site.whoami() == "hello Ann"
        cookies = client.cookies
    # Pages given the same keys explicitly accept that session cookie; pages with others do not.
    for keys, greeting in ((KEYS, "hello Ann"), (OTHER_KEYS, "hello stranger")):
        other, _ = site_app(engine, users, sessions, secret_keys=keys)
        async with serve(other) as url, httpx.AsyncClient(base_url=url, cookies=cookies) as client:
            assert (await client.get("/")).text == greeting


def test_the_engine_shows_its_keys_only_when_asked() -> None:
    engine = OTPEngine(secret_keys=[*OTHER_KEYS, *KEYS])
    assert engine.secret_keys == (OTHER_KEYS[0].encode(), KEYS[0].encode())  # oldest first
    assert KEYS[0] not in repr(engine) and KEYS[0] not in str(engine)
    with pytest.raises(AttributeError):
        engine.secret_keys = ()  # type: ignore[misc]


@pytest.mark.parametrize("mount", ["/auth", "/sign-in"])
async def test_dev_outbox_serves_the_engines_messages_under_the_mount(
    memory_store: MemoryStore, clock: FakeClock, mount: str
) -> None:
    engine, _ = engine_on(memory_store, clock)
    users, sessions = MemoryUserStore(passwords=fast_passwords()), MemorySessionStore(clock=clock)
    app, _ = site_app(engine, users, sessions, mount=mount, dev_outbox=True)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        empty = await client.get(f"{mount}/dev/outbox.json")
        assert empty.status_code == 200 and empty.json() == {"messages": []}
        await engine.send(PHONE, usage="signup")
        listed = await client.get(f"{mount}/dev/outbox.json")
        assert listed.headers["cache-control"] == "no-store"
        (message,) = listed.json()["messages"]
        assert message["recipient"] == E164 and message["usage"] == "signup"
        page = await client.get(f"{mount}/dev/outbox")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f'<td class="code">{message["code"]}</td>' in page.text
        # The page's link to the JSON is relative, so it works under any mount.
        assert '<a href="outbox.json">' in page.text
        assert (await client.get("/dev/outbox.json")).status_code == 404  # not at the root


async def test_dev_outbox_is_off_unless_switched_on(
    memory_store: MemoryStore, clock: FakeClock
) -> None:
    engine, _ = engine_on(memory_store, clock)
    users, sessions = MemoryUserStore(passwords=fast_passwords()), MemorySessionStore(clock=clock)
    app, _ = site_app(engine, users, sessions)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        await engine.send(PHONE)
        for path in ("/auth/dev/outbox", "/auth/dev/outbox.json"):
            refused = await client.get(path)
            assert refused.status_code == 404 and E164 not in refused.text


@pytest.mark.parametrize("sender", [ConsoleSender(), None], ids=["console", "none"])
def test_dev_outbox_without_an_outbox_sender_is_refused_at_start_up(
    sender: ConsoleSender | None,
) -> None:
    engine = OTPEngine(secret_keys=KEYS, sender=sender)
    name = type(sender).__name__ if sender is not None else "None"
    with pytest.raises(ValueError, match=f"the engine's sender is {name}: pass sender=Outbox"):
        create_auth_app(engine, users=MemoryUserStore(), dev_outbox=True)
    create_auth_app(engine, users=MemoryUserStore())  # the same engine, without the outbox
