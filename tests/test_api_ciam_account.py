"""CIAM accounts over real HTTP, beside the pages on one user store, session store and hooks:
POST /signup, POST /reset_user_password, GET and PATCH /userinfo, and the cross-flow promises
(an API account signs in on the pages and back; an API reset ends page sessions and tokens; a
page reset ends tokens; a new phone by API sends the old one the pages' notice)."""

from __future__ import annotations

from typing import Any

import httpx

from otp_flow.stores.base import OTPStore
from otp_flow.users import UserEvent
from tests.api_helpers import basic
from tests.ciam_helpers import APP, OTHER_APP, CiamSite, open_ciam_site
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"


async def signup(site: CiamSite, **extra: Any) -> httpx.Response:
    token, code = await site.sent("signup", E164, phone_number=PHONE)
    body = {"phone_number": PHONE, "phone_number_otp_token": token, "phone_number_otp": code}
    return await site.api.post("/signup", json={**body, **extra}, headers=basic(*APP))


async def reset(site: CiamSite, password: str, **extra: Any) -> httpx.Response:
    token, code = await site.sent("reset_password", EMAIL, email=EMAIL)
    body = {"password": password, "email": EMAIL, "email_otp_token": token, "email_otp": code}
    return await site.api.post("/reset_user_password", json={**body, **extra}, headers=basic(*APP))


async def page_password_login(site: CiamSite, identifier: str, password: str) -> str:
    await site.post("/auth/login", {"identifier": identifier, "password": password})
    return await site.whoami()


async def test_an_api_signup_signs_in_on_the_pages(store: OTPStore, clock: FakeClock) -> None:
    events: list[str] = []

    async def record(event: UserEvent) -> None:
        events.append(f"{event.kind} {event.method}")

    async with open_ciam_site(store, clock) as site:
        site.hooks.after_signup(record)
        site.hooks.after_login(record)
        created = await signup(site, password=PASSWORD, nickname="Ann")
        signed_in = await page_password_login(site, PHONE, PASSWORD)
        site.later()
        await site.sms_login(PHONE, E164)
    user = created.json()
    assert created.status_code == 200, created.text
    assert user == {
        "sub": user["sub"],
        "name": "Ann",
        "nickname": "Ann",
        "phone_number": E164,
        "phone_number_verified": True,
    }
    assert signed_in == "hello Ann"
    # The pages' hooks heard of the API signup and of both sign-ins.
    assert events == ["signup code", "login password", "login code"]


async def test_a_number_registered_meanwhile_is_used(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        token, code = await site.sent("signup", E164, phone_number=PHONE)
        await site.users.create(display_name="Bo", phone_number=E164)
        taken = await site.api.post(
            "/signup",
            json={"phone_number": PHONE, "phone_number_otp_token": token, "phone_number_otp": code},
            headers=basic(*APP),
        )
    assert (taken.status_code, taken.json()) == (400, {"error": "phone_number_is_used"})


async def test_a_page_signup_signs_in_by_api(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        user = await site.signup(PHONE, E164, name="Bo")
        site.later()
        tokens = await site.sms_login(PHONE, E164)  # no auto_signup: the account exists
        me = await site.userinfo(tokens.json()["access_token"])
    assert me.json()["sub"] == user.id and me.json()["name"] == "Bo"


async def test_signup_refusals(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        login_token, login_code = await site.sent("login", E164, phone_number=PHONE)
        site.later()
        wrong_usage = await site.api.post(
            "/signup",
            json={
                "phone_number": PHONE,
                "phone_number_otp_token": login_token,
                "phone_number_otp": login_code,
            },
            headers=basic(*APP),
        )
        wrong_code = await signup(site, phone_number_otp="0000000")
        site.later()
        short = await signup(site, password="short")
        both = await site.api.post(
            "/signup", json={"phone_number": PHONE, "email": EMAIL}, headers=basic(*APP)
        )
        no_client = await site.api.post("/signup", json={"phone_number": PHONE})
    assert wrong_usage.json() == {"error": "bad_phone_number_otp_token"}
    assert wrong_code.json() == {"error": "bad_phone_number_otp"}
    assert short.json()["error"] == "invalid_new_password"
    assert both.json()["error"] == "invalid_request"
    assert no_client.status_code == 401
    assert no_client.headers["www-authenticate"].startswith("Basic")


async def test_a_channels_fields_are_all_read_before_any_is_required(
    store: OTPStore, clock: FakeClock
) -> None:
    # Fields are named after the channel's User field (phone_number_otp_token, email_otp); a
    # wrong type is named before a missing field; the other channel's fields are never read.
    bodies = {
        "/signup": [
            {"email": EMAIL, "email_otp": 5, "phone_number_otp_token": 5},
            {"phone_number": PHONE, "phone_number_otp": "123456", "email_otp_token": 5},
        ],
        "/reset_user_password": [
            {
                "password": NEW_PASSWORD,
                "email": EMAIL,
                "email_otp_token": "t",
                "phone_number_otp": 5,
            }
        ],
    }
    async with open_ciam_site(store, clock) as site:
        answers = [
            (await site.api.post(path, json=body, headers=basic(*APP))).json()["error_description"]
            for path, some in bodies.items()
            for body in some
        ]
    assert answers == [
        "email_otp must be a string",
        "phone_number_otp_token is required",
        "email_otp is required",
    ]


async def test_an_api_reset_ends_page_sessions_and_tokens(
    store: OTPStore, clock: FakeClock
) -> None:
    async with open_ciam_site(store, clock) as site:
        await site.signup(EMAIL, EMAIL, name="Ann", password=PASSWORD)
        before = await site.whoami()
        site.later()
        tokens = (await site.token(
            grant_type="http://tencentciam.com/oauth2/grant-type/otp/email",
            email=EMAIL,
            otp_token=(sent := await site.sent("login", EMAIL, email=EMAIL))[0],
            otp=sent[1],
        )).json()  # fmt: skip
        site.later()
        done = await reset(site, NEW_PASSWORD)
        after = await site.whoami()
        access = await site.userinfo(tokens["access_token"])
        refresh = await site.token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
        old_password = await page_password_login(site, EMAIL, PASSWORD)
        new_password = await page_password_login(site, EMAIL, NEW_PASSWORD)
    assert before == "hello Ann"
    assert (done.status_code, done.content) == (200, b"")
    assert after == "hello stranger"
    assert access.status_code == 401 and refresh.status_code == 400
    assert old_password == "hello stranger"
    assert new_password == "hello Ann"


async def test_reset_refusals(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        nobody = await reset(site, NEW_PASSWORD)
        await site.users.create(display_name="Ann", email=EMAIL, password=PASSWORD)
        site.later()
        same = await reset(site, PASSWORD)
        site.later()
        weak = await reset(site, "short")
        site.later()
        bad_code = await reset(site, NEW_PASSWORD, email_otp="00000000")
        site.later()
        bad_token = await reset(site, NEW_PASSWORD, email_otp_token="nope")
        site.later()
        other_client = await site.api.post(
            "/reset_user_password",
            json={
                "password": NEW_PASSWORD,
                "email": EMAIL,
                "email_otp_token": await site.send("reset_password", OTHER_APP, email=EMAIL),
                "email_otp": await site.code_for(EMAIL),
            },
            headers=basic(*APP),
        )
    assert (nobody.status_code, nobody.json()) == (400, {"error": "user_not_found"})
    assert same.json() == {"error": "recurrent_password"}
    assert weak.json()["error"] == "invalid_new_password"
    assert bad_code.json() == {"error": "bad_email_otp"}
    assert bad_token.json() == {"error": "bad_email_otp_token"}
    assert other_client.json() == {"error": "bad_email_otp_token"}


async def test_a_page_reset_ends_api_tokens(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        await site.signup(PHONE, E164, name="Ann")
        site.later()
        tokens = (await site.sms_login(PHONE, E164)).json()
        await site.logout()
        site.later()
        await site.send_code("reset_password", PHONE)
        await site.enter_code("reset_password", await site.code_for(E164))
        await site.post("/auth/reset_password/new", {"password": NEW_PASSWORD})
        access = await site.userinfo(tokens["access_token"])
    assert access.status_code == 401


async def test_a_new_phone_by_api_notifies_the_old_one(store: OTPStore, clock: FakeClock) -> None:
    new_phone, new_e164 = "13912345678", "+8613912345678"
    async with open_ciam_site(store, clock) as site:
        access = (await site.sms_login(PHONE, E164, auto_signup=True)).json()["access_token"]
        bearer = {"Authorization": f"Bearer {access}"}
        token, code = await site.sent("update_userinfo", new_e164, phone_number=new_phone)
        change = {
            "phone_number": new_phone,
            "phone_number_otp_token": token,
            "phone_number_otp": code,
            "nickname": "Ann",
        }
        wrong = await site.api.patch(
            "/userinfo", json={**change, "phone_number_otp": "000000"}, headers=bearer
        )
        changed = await site.api.patch("/userinfo", json=change, headers=bearer)
        notices = [m for m in await site.messages(E164) if m.get("kind") == "notice"]
        me = await site.userinfo(access)
        unknown = await site.api.patch("/userinfo", json={"colour": "red"}, headers=bearer)
        no_token = await site.api.patch("/userinfo", json={"nickname": "X"})
    assert wrong.json() == {"error": "bad_phone_number_otp"}
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone_number"] == new_e164 and changed.json()["nickname"] == "Ann"
    assert len(notices) == 1  # the pages' notice, to the old number
    assert me.json() == changed.json()
    assert unknown.json() == {
        "error": "invalid_request",
        "error_description": "unknown attribute colour",
    }
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"] == 'Bearer realm="otp_flow"'


async def test_a_taken_phone_is_a_duplicate(store: OTPStore, clock: FakeClock) -> None:
    async with open_ciam_site(store, clock) as site:
        await site.users.create(display_name="Bo", phone_number="+8613912345678")
        access = (await site.sms_login(PHONE, E164, auto_signup=True)).json()["access_token"]
        token, code = await site.sent(
            "update_userinfo", "+8613912345678", phone_number="13912345678"
        )
        taken = await site.api.patch(
            "/userinfo",
            json={
                "phone_number": "13912345678",
                "phone_number_otp_token": token,
                "phone_number_otp": code,
            },
            headers={"Authorization": f"Bearer {access}"},
        )
    assert (taken.status_code, taken.json()) == (400, {"error": "duplicate_phone_number"})


async def test_a_passwordless_user_store_signs_up_but_takes_no_password(
    store: OTPStore, clock: FakeClock
) -> None:
    """An application's store without password methods serves CIAM too: a signup without a
    password creates the account; a password (signup or reset) is refused, never a 500."""
    from otp_flow import OTPEngine
    from otp_flow._clients import Client
    from otp_flow.web.api import create_api_app
    from tests.ciam_helpers import serving
    from tests.test_web_passwordless import PasswordlessStore
    from tests.web_helpers import KEYS

    engine = OTPEngine(secret_keys=KEYS, store=store, clock=clock, clients=[Client(*APP)])
    users = PasswordlessStore()
    api = create_api_app(engine, users=users)

    async def proof(usage: str) -> dict[str, str]:
        clock.advance(60)  # past the resend interval
        sent = await engine.send(PHONE, usage=usage, client_id=APP[0])  # type: ignore[arg-type]
        return {"phone_number_otp_token": sent.otp_token, "phone_number_otp": sent.code}

    async with serving(api) as url, httpx.AsyncClient(base_url=url) as http:
        signup_proof = await proof("signup")
        with_password = await http.post(
            "/signup",
            json={"phone_number": PHONE, "password": PASSWORD, **signup_proof},
            headers=basic(*APP),
        )
        # The refusal came before the code was checked: the same code still signs up.
        created = await http.post(
            "/signup", json={"phone_number": PHONE, **signup_proof}, headers=basic(*APP)
        )
        reset_ = await http.post(
            "/reset_user_password",
            json={"phone_number": PHONE, "password": PASSWORD, **await proof("reset_password")},
            headers=basic(*APP),
        )
    refused = {
        "error": "invalid_request",
        "error_description": "This service does not keep passwords",
    }
    assert (with_password.status_code, with_password.json()) == (400, refused)
    assert created.status_code == 200 and created.json()["phone_number"] == E164
    assert (reset_.status_code, reset_.json()) == (400, refused)
    assert [u.phone_number for u in users.rows.values()] == [E164]
