"""Login by code and by password, end to end over HTTP, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from otp_flow.stores.base import OTPStore
from otp_flow.types import TokenClaims
from otp_flow.users import UserEvent
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE, Site, open_site


@pytest.fixture
async def site(store: OTPStore, clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(store, clock) as site:
        yield site


async def registered(site: Site, *, password: str = "") -> str:
    """Ann signs up with her phone (then signs out); returns her user id."""
    user = await site.signup(PHONE, E164, password=password)
    await site.logout()
    site.later()
    return user.id


async def test_login_by_code_signs_in_and_goes_to_next(site: Site) -> None:
    await registered(site)
    events: list[UserEvent] = []

    async def record(event: UserEvent) -> None:
        events.append(event)

    site.hooks.after_login(record)
    page = await site.client.get("/auth/login?next=/account")
    assert page.status_code == 200
    assert 'name="next" value="/account"' in page.text
    sent = await site.post("/auth/login", {"identifier": PHONE, "next": "/account"})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/auth/login/code"

    code_page = await site.client.get("/auth/login/code")
    assert code_page.status_code == 200
    assert 'autocomplete="one-time-code"' in code_page.text
    assert 'inputmode="numeric"' in code_page.text
    assert "You can ask for a new code in 30 seconds" in code_page.text

    done = await site.enter_code("login", await site.code_for(E164))
    assert done.status_code == 303
    assert done.headers["location"] == "/account"
    assert await site.whoami() == "hello Ann"
    assert [(e.kind, e.user.phone_number, e.method) for e in events] == [("login", E164, "code")]
    # The pending challenge is gone: the same code cannot be entered twice.
    again = await site.enter_code("login", await site.code_for(E164))
    assert again.status_code == 422


async def test_login_by_email_code(site: Site) -> None:
    await site.signup(EMAIL, EMAIL, name="Bo")
    await site.logout()
    site.later()
    done = await site.login_by_code(EMAIL.upper(), EMAIL)
    assert done.headers["location"] == "/"
    assert await site.whoami() == "hello Bo"


async def test_each_sign_in_gets_a_new_session_id(site: Site) -> None:
    await registered(site)
    await site.login_by_code(PHONE, E164)
    first = site.client.cookies["otp_session"]
    site.later()
    await site.login_by_code(PHONE, E164)
    second = site.client.cookies["otp_session"]
    assert first != second
    # The session the browser had before is over on the server, not just forgotten.
    site.client.cookies.set("otp_session", first, path="/")
    assert await site.whoami() == "hello stranger"


async def test_wrong_code_tells_the_attempts_left(site: Site) -> None:
    await registered(site)
    await site.send_code("login", PHONE)
    code = await site.code_for(E164)
    wrong = "000000" if code != "000000" else "111111"
    answer = await site.enter_code("login", wrong)
    assert answer.status_code == 422
    assert "That code is not correct. You have 4 attempts left." in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert 'aria-describedby="f-code-hint f-code-error"' in answer.text
    right = await site.enter_code("login", code)
    assert right.status_code == 303


async def test_too_many_wrong_codes_kill_the_code(site: Site) -> None:
    await registered(site)
    await site.send_code("login", PHONE)
    code = await site.code_for(E164)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2):
        assert f"You have {left} attempts left." in (await site.enter_code("login", wrong)).text
    assert "You have 1 attempt left." in (await site.enter_code("login", wrong)).text
    last = await site.enter_code("login", wrong)
    assert "Too many wrong attempts" in last.text
    dead = await site.enter_code("login", code)
    assert dead.status_code == 422
    assert "Too many wrong attempts" in dead.text
    # A new code is refused while the dead one's lifetime lasts (failures carry over).
    site.later(31)
    resend = await site.post("/auth/login/resend", {})
    assert resend.status_code == 422
    assert "Too many wrong codes. You can ask for a new one in" in resend.text


async def test_expired_code(site: Site) -> None:
    await registered(site)
    await site.send_code("login", PHONE)
    code = await site.code_for(E164)
    site.later(61)  # the code lives 60 s; its otp_token (and the cookie) 5 min
    answer = await site.enter_code("login", code)
    assert answer.status_code == 422
    assert "This code has expired. Ask for a new one." in answer.text


async def test_expired_cookie_restarts_the_flow(site: Site) -> None:
    await registered(site)
    await site.send_code("login", PHONE)
    code = await site.code_for(E164)
    site.later(301)
    answer = await site.enter_code("login", code)
    assert answer.status_code == 422
    assert "Your code request has expired or is no longer valid. Please start again." in answer.text
    assert 'action="/auth/login"' in answer.text  # back on the first step
    page = await site.client.get("/auth/login/code")
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/login?notice=restart"
    assert "Please start again." in (await site.client.get(page.headers["location"])).text


async def test_resend_waits_for_the_interval(site: Site) -> None:
    await registered(site)
    await site.send_code("login", PHONE)
    first = await site.code_for(E164)
    site.later(10)
    page = await site.client.get("/auth/login/code")
    assert "You can ask for a new code in 20 seconds." in page.text
    early = await site.post("/auth/login/resend", {})
    assert early.status_code == 422
    assert "A code was sent a moment ago. You can ask for a new one in 20 seconds." in early.text
    assert len(await site.messages(E164)) == 2  # the signup code and the first login code

    site.later(20)
    resent = await site.post("/auth/login/resend", {})
    assert resent.status_code == 303
    assert resent.headers["location"] == "/auth/login/code?notice=resent"
    shown = await site.client.get(resent.headers["location"])
    assert "We sent you a new code." in shown.text
    assert "Did not get it?" in shown.text
    second = await site.code_for(E164)
    if second != first:  # the old code died with the new one (unless both are equal by chance)
        old = await site.enter_code("login", first)
        assert old.status_code == 422
        assert "That code is not correct." in old.text
    assert (await site.enter_code("login", second)).status_code == 303


async def test_login_by_password(site: Site) -> None:
    await registered(site, password="correct horse")
    wrong = await site.post("/auth/login", {"identifier": PHONE, "password": "wrong horse"})
    assert wrong.status_code == 422
    assert "The account or password is not correct." in wrong.text
    assert "wrong horse" not in wrong.text  # a password is never echoed back
    assert f'value="{PHONE}"' in wrong.text
    right = await site.post(
        "/auth/login", {"identifier": PHONE, "password": "correct horse", "next": "/account"}
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/account"
    assert await site.whoami() == "hello Ann"


async def test_password_of_a_user_without_one_is_refused(site: Site) -> None:
    await registered(site)
    answer = await site.post("/auth/login", {"identifier": PHONE, "password": "anything at all"})
    assert answer.status_code == 422
    assert "The account or password is not correct." in answer.text


async def test_malformed_identifier(site: Site) -> None:
    answer = await site.post("/auth/login", {"identifier": "12345"})
    assert answer.status_code == 422
    assert "Enter a valid mobile number or email address." in answer.text
    assert 'value="12345"' in answer.text
    email = await site.post("/auth/login", {"identifier": "ann@"})
    assert "Enter a valid email address." in email.text


async def test_signed_in_visitor_of_the_login_page_goes_on(site: Site) -> None:
    await site.signup(PHONE, E164)
    page = await site.client.get("/auth/login?next=/account")
    assert page.status_code == 303
    assert page.headers["location"] == "/account"


async def test_a_code_post_reads_its_otp_token_once(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pending cookie's otp_token is decoded (signature, age, claims) once per code POST,
    and its claims passed to the check, not decoded again there."""
    await registered(site)
    await site.send_code("login", PHONE)
    read_token = site.engine.read_token
    reads: list[str] = []

    def counting_read_token(otp_token: str) -> TokenClaims:
        reads.append(otp_token)
        return read_token(otp_token)

    monkeypatch.setattr(site.engine, "read_token", counting_read_token)
    code = await site.code_for(E164)
    wrong = await site.enter_code("login", "0" * len(code) if code != "0" * len(code) else "1")
    assert wrong.status_code == 422
    assert len(reads) == 1
    done = await site.enter_code("login", code)
    assert done.status_code == 303
    assert len(reads) == 2
