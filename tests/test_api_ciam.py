"""Dialect 1 (CIAM seed): every example of the seed replayed, every error string from a request."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from otp_flow.errors import Refused
from otp_flow.policy import Limits
from otp_flow.users import BeforeEvent, UserHooks
from tests.api_helpers import (
    CLIENT_4,
    E164,
    EMAIL,
    EMAIL_SOURCE,
    ODD_CLIENT,
    PHONE,
    QUOTA_CLIENT,
    SMS_SOURCE,
    TENANT,
    SeedApp,
    basic,
    other_code,
    seed_settings,
)
from tests.conftest import FakeClock

SEED_TENANT_HEADER = {"Authorization": "Basic VEVOQU5UX0NMSUVOVF9JRDpURU5BTlRfQ0xJRU5UX1NFQ1JFVA=="}
SEED_CLIENT_4_HEADER = {"Authorization": "Basic Q0xJRU5UXzRfSUQ6Q0xJRU5UXzRfU0VDUkVU"}
SEED_EMAIL = "MOCK_USERNAME@example.com"

# (header, body, channel, code length) of each request example of the seed, in its order.
SEED_SENDS: list[tuple[dict[str, str], dict[str, str], str, int]] = [
    (
        SEED_TENANT_HEADER,
        {"usage": "login", "phone_number": PHONE, "auth_source_id": SMS_SOURCE},
        "sms",
        6,
    ),
    (
        SEED_CLIENT_4_HEADER,
        {"usage": "login", "email": SEED_EMAIL, "auth_source_id": EMAIL_SOURCE},
        "email",
        8,
    ),
    (SEED_CLIENT_4_HEADER, {"usage": "signup", "phone_number": PHONE}, "sms", 6),
    (SEED_CLIENT_4_HEADER, {"usage": "signup", "email": SEED_EMAIL}, "email", 6),
    (SEED_CLIENT_4_HEADER, {"usage": "update_userinfo", "phone_number": PHONE}, "sms", 6),
    (SEED_CLIENT_4_HEADER, {"usage": "reset_password", "email": SEED_EMAIL}, "email", 6),
]


def test_the_seed_basic_headers_decode_to_the_configured_clients() -> None:
    for header, (client_id, secret) in (
        (SEED_TENANT_HEADER, TENANT),
        (SEED_CLIENT_4_HEADER, CLIENT_4),
    ):
        encoded = header["Authorization"].removeprefix("Basic ")
        assert base64.b64decode(encoded).decode() == f"{client_id}:{secret}"
        assert basic(client_id, secret) == header


@pytest.mark.parametrize(("header", "body", "channel", "length"), SEED_SENDS)
async def test_every_seed_request_example_sends_and_its_token_verifies(
    clock: FakeClock, header: dict[str, str], body: dict[str, str], channel: str, length: int
) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        response = await http.post("/otp/send", json=body, headers=header)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert list(response.json()) == ["otp_token"]
        token = response.json()["otp_token"]

        recipient = E164 if channel == "sms" else SEED_EMAIL.lower()
        code = await seed.last_code(recipient)
        assert len(code) == length and code.isdigit()
        verified = await http.post(
            "/otp/verify", json={"otp_token": token, "code": code}, headers=header
        )
    field = "phone_number" if channel == "sms" else "email"
    assert verified.status_code == 200
    assert verified.json() == {"verified": True, "usage": body["usage"], field: recipient}


async def test_usage_defaults_to_login(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        sent = await http.post("/otp/send", json={"phone_number": PHONE}, headers=basic(*TENANT))
        token = sent.json()["otp_token"]
        code = await seed.last_code(E164)
        verified = await http.post(
            "/otp/verify", json={"otp_token": token, "code": code}, headers=basic(*TENANT)
        )
    assert verified.json()["usage"] == "login"


async def test_an_auth_source_sets_the_lifetime_and_the_default_is_sixty_seconds(
    clock: FakeClock,
) -> None:
    seed = SeedApp(clock)
    headers = basic(*TENANT)
    async with seed.client() as http:
        with_source = await http.post(
            "/otp/send", json={"phone_number": PHONE, "auth_source_id": SMS_SOURCE}, headers=headers
        )
        code = await seed.last_code(E164)
        clock.advance(200)  # past the default 60 s, within the source's 300 s
        ok = await http.post(
            "/otp/verify",
            json={"otp_token": with_source.json()["otp_token"], "code": code},
            headers=headers,
        )
        assert ok.status_code == 200

        plain = await http.post("/otp/send", json={"email": EMAIL}, headers=headers)
        code = await seed.last_code(EMAIL)
        clock.advance(61)
        late = await http.post(
            "/otp/verify",
            json={"otp_token": plain.json()["otp_token"], "code": code},
            headers=headers,
        )
    assert late.status_code == 400 and late.json() == {"error": "otp_expired"}


async def test_url_encoded_credentials_are_decoded(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    client_id, secret = ODD_CLIENT
    async with seed.client() as http:
        ok = await http.post("/otp/send", json={"phone_number": PHONE}, headers=basic(*ODD_CLIENT))
        raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        not_encoded = await http.post(
            "/otp/send",
            json={"phone_number": "13612345679"},
            headers={"Authorization": f"Basic {raw}"},
        )
    assert ok.status_code == 200
    assert not_encoded.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic(TENANT[0], "wrong"),
        basic("NO_SUCH_CLIENT", TENANT[1]),
        basic(TENANT[0], ""),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {
            "Authorization": "Bearer "
            + base64.b64encode(b"TENANT_CLIENT_ID:TENANT_CLIENT_SECRET").decode()
        },
    ],
    ids=[
        "missing",
        "wrong-secret",
        "unknown-id",
        "empty-secret",
        "bad-base64",
        "no-colon",
        "bearer",
    ],
)
async def test_missing_or_wrong_credentials_are_invalid_client(
    clock: FakeClock, headers: dict[str, str]
) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        for path, body in (
            ("/otp/send", {"phone_number": PHONE}),
            ("/otp/verify", {"otp_token": "x", "code": "1"}),
        ):
            response = await http.post(path, json=body, headers=headers)
            assert response.status_code == 401
            assert response.json() == {"error": "invalid_client"}
            assert response.headers["www-authenticate"].startswith("Basic")
    assert seed.runtime.outbox is not None and await seed.runtime.outbox.messages() == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"phone_number": "12345"}, "malformed_phone_number"),
        ({"phone_number": "+14155550123"}, "malformed_phone_number"),  # not an allowed region
        ({"phone_number": "01088886666"}, "malformed_phone_number"),  # a landline
        ({"email": "not-an-email"}, "malformed_email"),
        ({"email": "someone@mailinator.com"}, "invalid_email"),
        ({"email": "someone@sub.mailinator.com"}, "invalid_email"),
    ],
)
async def test_identifier_errors_carry_the_seed_strings(
    clock: FakeClock, body: dict[str, str], error: str
) -> None:
    async with SeedApp(clock).client() as http:
        response = await http.post("/otp/send", json=body, headers=basic(*TENANT))
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert response.headers["content-type"].startswith("application/json")


async def test_signup_with_a_used_phone_or_email_is_refused(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    await seed.users.create(display_name="Mock", phone_number=E164, email=EMAIL)
    async with seed.client() as http:
        phone = await http.post(
            "/otp/send", json={"usage": "signup", "phone_number": PHONE}, headers=basic(*CLIENT_4)
        )
        email = await http.post(
            "/otp/send", json={"usage": "signup", "email": EMAIL.upper()}, headers=basic(*CLIENT_4)
        )
        clock.advance(30)  # the refused signup counted as a send: wait out the resend interval
        login = await http.post(
            "/otp/send", json={"usage": "login", "phone_number": PHONE}, headers=basic(*CLIENT_4)
        )
    assert (phone.status_code, phone.json()) == (400, {"error": "phone_number_is_used"})
    assert (email.status_code, email.json()) == (400, {"error": "email_is_used"})
    assert login.status_code == 200  # only signup asks whether the identifier is taken


async def test_signup_probes_for_used_identifiers_count_against_the_limits(
    clock: FakeClock,
) -> None:
    # Otherwise a pass-through client backend would be an uncounted enumeration oracle.
    limits = {"recipient_per_minute": 2, "resend_interval_seconds": 0}
    seed = SeedApp(clock, settings=seed_settings(limits=limits))
    await seed.users.create(display_name="Mock", phone_number=E164, email=EMAIL)
    body = {"usage": "signup", "phone_number": PHONE}
    async with seed.client() as http:
        answers = [
            await http.post("/otp/send", json=body, headers=basic(*CLIENT_4)) for _ in range(3)
        ]
    assert [a.json()["error"] for a in answers] == [
        "phone_number_is_used",
        "phone_number_is_used",
        "sms_rate_limit_exceeded",
    ]
    assert answers[2].headers["retry-after"]
    assert seed.runtime.outbox is not None and await seed.runtime.outbox.messages() == []


async def test_sms_rate_limit_is_the_seed_error_with_retry_after(clock: FakeClock) -> None:
    async with SeedApp(clock).client() as http:
        first = await http.post("/otp/send", json={"phone_number": PHONE}, headers=basic(*TENANT))
        again = await http.post("/otp/send", json={"phone_number": PHONE}, headers=basic(*TENANT))
        clock.advance(30)
        later = await http.post("/otp/send", json={"phone_number": PHONE}, headers=basic(*TENANT))
    assert first.status_code == 200 and later.status_code == 200
    assert again.status_code == 400
    assert again.json() == {
        "error": "sms_rate_limit_exceeded",
        "error_description": "SMS rate limit exceeded for same phone number",
    }
    assert again.headers["retry-after"] == "30"


async def test_email_rate_limit_uses_the_email_error(clock: FakeClock) -> None:
    settings = seed_settings(limits={"resend_interval_seconds": 0, "recipient_per_minute": 2})
    async with SeedApp(clock, settings=settings).client() as http:
        for _ in range(2):
            assert (
                await http.post("/otp/send", json={"email": EMAIL}, headers=basic(*TENANT))
            ).status_code == 200
        refused = await http.post("/otp/send", json={"email": EMAIL}, headers=basic(*TENANT))
    assert refused.status_code == 400
    assert refused.json()["error"] == "email_rate_limit_exceeded"
    # 2026-03-10 09:00:00 is the start of a minute: the window ends 60 s later.
    assert refused.headers["retry-after"] == "60"


async def test_the_daily_application_limit_refuses_until_midnight(clock: FakeClock) -> None:
    settings = seed_settings(limits={"app_per_day": 1})
    async with SeedApp(clock, settings=settings).client() as http:
        assert (
            await http.post("/otp/send", json={"phone_number": PHONE}, headers=basic(*TENANT))
        ).status_code == 200
        refused = await http.post(
            "/otp/send", json={"phone_number": "13612345679"}, headers=basic(*TENANT)
        )
        other_client = await http.post(
            "/otp/send", json={"phone_number": "13612345679"}, headers=basic(*CLIENT_4)
        )
    assert refused.json()["error"] == "sms_rate_limit_exceeded"
    assert refused.headers["retry-after"] == str(15 * 3600)  # 09:00 → midnight Asia/Shanghai
    assert other_client.status_code == 200  # limits count per client


@pytest.mark.parametrize(
    ("body", "second", "error"),
    [
        ({"phone_number": PHONE}, {"phone_number": "13612345679"}, "insufficient_sms_quota"),
        ({"email": EMAIL}, {"email": "other@example.com"}, "insufficient_email_quota"),
    ],
)
async def test_an_exhausted_quota_is_refused(
    clock: FakeClock, body: dict[str, str], second: dict[str, str], error: str
) -> None:
    async with SeedApp(clock).client() as http:
        first = await http.post("/otp/send", json=body, headers=basic(*QUOTA_CLIENT))
        refused = await http.post("/otp/send", json=second, headers=basic(*QUOTA_CLIENT))
    assert first.status_code == 200
    assert (refused.status_code, refused.json()) == (400, {"error": error})


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'"text"',
        b"\xff\xfe",
        b"",
        b'{"phone_number": 13612345678}',
        b'{"email": ["a@example.com"]}',
        b'{"phone_number": "13612345678", "email": "a@example.com"}',
        b'{"usage": "login"}',
        b'{"usage": "logout", "phone_number": "13612345678"}',
        b'{"usage": 1, "phone_number": "13612345678"}',
        b'{"phone_number": "13612345678", "auth_source_id": "NO_SUCH_SOURCE"}',
        b'{"phone_number": "13612345678", "auth_source_id": 7}',
        b'{"email": "a@example.com", "auth_source_id": "MOCK_SMS_OTP_AUTH_SOURCE_ID"}',
        b'{"usage": "signup", "phone_number": "13612345678", "auth_source_id": "'
        + SMS_SOURCE.encode()
        + b'"}',
    ],
)
async def test_malformed_send_requests_are_invalid_request(clock: FakeClock, body: bytes) -> None:
    async with SeedApp(clock).client() as http:
        response = await http.post(
            "/otp/send",
            content=body,
            headers={**basic(*TENANT), "Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"otp_token": "x"}',
        b'{"code": "123456"}',
        b'{"otp_token": 1, "code": "1"}',
        b'{"otp_token": "x", "code": 123456}',
        b"[1]",
    ],
)
async def test_malformed_verify_requests_are_invalid_request(clock: FakeClock, body: bytes) -> None:
    async with SeedApp(clock).client() as http:
        response = await http.post("/otp/verify", content=body, headers=basic(*TENANT))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def _send(
    seed: SeedApp, http: Any, body: dict[str, str], client: tuple[str, str] = TENANT
) -> tuple[str, str]:
    response = await http.post("/otp/send", json=body, headers=basic(*client))
    assert response.status_code == 200, response.text
    recipient = E164 if "phone_number" in body else body["email"]
    return response.json()["otp_token"], await seed.last_code(recipient)


async def test_wrong_codes_count_down_then_the_code_is_dead(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        token, code = await _send(seed, http, {"phone_number": PHONE})
        for remaining in (4, 3, 2, 1, 0):
            wrong = await http.post(
                "/otp/verify",
                json={"otp_token": token, "code": other_code(code)},
                headers=basic(*TENANT),
            )
            assert (wrong.status_code, wrong.json()) == (
                400,
                {"error": "invalid_otp", "attempts_remaining": remaining},
            )
        right = await http.post(
            "/otp/verify", json={"otp_token": token, "code": code}, headers=basic(*TENANT)
        )
    assert (right.status_code, right.json()) == (400, {"error": "otp_attempts_exceeded"})


async def test_a_used_expired_or_replaced_code_is_otp_expired(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    headers = basic(*TENANT)
    async with seed.client() as http:
        token, code = await _send(seed, http, {"phone_number": PHONE})
        assert (
            await http.post("/otp/verify", json={"otp_token": token, "code": code}, headers=headers)
        ).status_code == 200
        used = await http.post(
            "/otp/verify", json={"otp_token": token, "code": code}, headers=headers
        )

        clock.advance(30)
        token, code = await _send(seed, http, {"phone_number": PHONE})
        clock.advance(60)
        expired = await http.post(
            "/otp/verify", json={"otp_token": token, "code": code}, headers=headers
        )

        old_token, old_code = await _send(seed, http, {"email": EMAIL})
        clock.advance(30)
        await _send(seed, http, {"email": EMAIL})
        replaced = await http.post(
            "/otp/verify", json={"otp_token": old_token, "code": old_code}, headers=headers
        )
    for response in (used, expired, replaced):
        assert (response.status_code, response.json()) == (400, {"error": "otp_expired"})


async def test_forged_old_or_foreign_tokens_are_invalid_otp_token(clock: FakeClock) -> None:
    seed = SeedApp(clock, settings=seed_settings(limits={"resend_interval_seconds": 0}))
    async with seed.client() as http:
        token, code = await _send(seed, http, {"phone_number": PHONE, "auth_source_id": SMS_SOURCE})
        foreign = await http.post(
            "/otp/verify", json={"otp_token": token, "code": code}, headers=basic(*CLIENT_4)
        )
        tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        forged = await http.post(
            "/otp/verify", json={"otp_token": tampered, "code": code}, headers=basic(*TENANT)
        )
        garbage = await http.post(
            "/otp/verify",
            json={"otp_token": "MOCK_OTP_TOKEN", "code": code},
            headers=basic(*TENANT),
        )
        clock.advance(301)  # the token lives 5 minutes, whatever the code's lifetime
        old = await http.post(
            "/otp/verify", json={"otp_token": token, "code": code}, headers=basic(*TENANT)
        )
    for response in (foreign, forged, garbage, old):
        assert (response.status_code, response.json()) == (400, {"error": "invalid_otp_token"})


async def test_one_engine_keeps_each_clients_codes_apart(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        token_a, code_a = await _send(seed, http, {"phone_number": PHONE}, TENANT)
        token_b, code_b = await _send(seed, http, {"phone_number": PHONE}, CLIENT_4)
        a = await http.post(
            "/otp/verify", json={"otp_token": token_a, "code": code_a}, headers=basic(*TENANT)
        )
        b = await http.post(
            "/otp/verify", json={"otp_token": token_b, "code": code_b}, headers=basic(*CLIENT_4)
        )
    assert a.status_code == b.status_code == 200


async def test_limits_off_allow_back_to_back_sends(clock: FakeClock) -> None:
    settings = seed_settings(
        limits={
            name: 0
            for name in (
                "app_per_day",
                "recipient_per_minute",
                "recipient_per_hour",
                "recipient_per_day",
                "resend_interval_seconds",
            )
        }
    )
    assert settings.limits == Limits.off()
    async with SeedApp(clock, settings=settings).client() as http:
        for _ in range(3):
            assert (
                await http.post("/otp/send", json={"phone_number": PHONE}, headers=basic(*TENANT))
            ).status_code == 200


def _guarded_hooks(seen: list[tuple[str, str]]) -> UserHooks:
    """The application's guards, shared with the pages: signups from example.com only, and no
    code at all to a number the application has blocked."""
    hooks = UserHooks()

    @hooks.before_signup
    async def company_only(event: BeforeEvent) -> None:
        seen.append(("signup", event.usage))
        if event.recipient.channel == "email" and not event.recipient.value.endswith(
            "@example.com"
        ):
            raise Refused("Sign up with your example.com address.")

    @hooks.before_send
    async def blocked_numbers(event: BeforeEvent) -> None:
        seen.append(("send", event.usage))
        if event.recipient.value == E164:
            raise Refused("This number cannot receive codes.")

    return hooks


async def test_the_applications_guards_run_before_a_ciam_send_as_before_a_page_send(
    clock: FakeClock,
) -> None:
    # An application that shares its hooks with create_api_app relies on its guards to keep
    # codes from addresses it refuses, whichever door the request comes through.
    seen: list[tuple[str, str]] = []
    seed = SeedApp(clock, hooks=_guarded_hooks(seen))
    async with seed.client() as http:
        refused = await http.post(
            "/otp/send",
            json={"usage": "signup", "email": "someone@example.org"},
            headers=basic(*CLIENT_4),
        )
        assert refused.status_code == 400
        assert refused.json() == {
            "error": "access_denied",
            "error_description": "Sign up with your example.com address.",
        }
        assert seen == [("signup", "signup")]  # refused before the send guards even ran
        blocked = await http.post(
            "/otp/send", json={"usage": "login", "phone_number": PHONE}, headers=basic(*CLIENT_4)
        )
        assert blocked.status_code == 400
        assert blocked.json()["error"] == "access_denied"
        allowed = await http.post(
            "/otp/send", json={"usage": "signup", "email": EMAIL}, headers=basic(*CLIENT_4)
        )
        assert allowed.status_code == 200
    assert seen == [
        ("signup", "signup"),
        ("send", "login"),
        ("signup", "signup"),
        ("send", "signup"),
    ]
    assert seed.runtime.outbox is not None
    recipients = [m["recipient"] for m in await seed.runtime.outbox.messages()]
    assert recipients == [EMAIL.lower()]  # nothing went to a refused address


async def test_a_broken_guard_fails_a_ciam_send_closed(clock: FakeClock) -> None:
    hooks = UserHooks()

    @hooks.before_send
    async def broken(event: BeforeEvent) -> None:
        raise RuntimeError("the application's own bug")

    seed = SeedApp(clock, hooks=hooks)
    async with seed.client() as http:
        response = await http.post(
            "/otp/send", json={"usage": "login", "email": EMAIL}, headers=basic(*CLIENT_4)
        )
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert seed.runtime.outbox is not None
    assert await seed.runtime.outbox.messages() == []
