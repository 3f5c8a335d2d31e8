"""What every endpoint shares: the 64 KiB body limit, outages as 503, the last-resort guard, and
the development outbox."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from otp_flow.web.api import _ciam_errors as ciam_errors
from otp_flow.web.api import _yunpian as yunpian
from otp_flow.web.api._common import guarded, read_form_params
from tests.api_helpers import (
    E164,
    EMAIL,
    ONLYID_APP,
    QUOTA_CLIENT,
    TENANT,
    YP_SEND_APP,
    SeedApp,
    basic,
    other_code,
    seed_settings,
)
from tests.conftest import FakeClock
from tests.redis_harness import RedisServer
from tests.smtp_harness import SMTPServer

LIMIT = 64 * 1024
ONLYID = {"clientId": ONLYID_APP[0], "clientSecret": ONLYID_APP[1]}
YP_HEADERS = {"x-app-id": YP_SEND_APP[0], "x-app-key": YP_SEND_APP[1]}

# For each endpoint: the headers it needs and a valid JSON / form body builder.
ENDPOINTS: list[tuple[str, dict[str, str], str]] = [
    ("/otp/send", basic(*TENANT), "json"),
    ("/otp/verify", basic(*TENANT), "json"),
    ("/api/sms/sendCode", YP_HEADERS, "form"),
    ("/api/sms/verifyCode", YP_HEADERS, "form"),
    ("/api/open/send-otp", {}, "json"),
    ("/api/open/verify-otp", {}, "json"),
]
TOO_LARGE = {
    "/otp/send": {
        "error": "invalid_request",
        "error_description": "The request body is too large",
    },
    "/otp/verify": {
        "error": "invalid_request",
        "error_description": "The request body is too large",
    },
    "/api/sms/sendCode": {"code": 41300, "msg": "请求体过大", "meta": {}, "data": {}},
    "/api/sms/verifyCode": {"code": 41300, "msg": "请求体过大", "meta": {}, "data": {}},
    "/api/open/send-otp": {"error": "请求体过大"},
    "/api/open/verify-otp": {"error": "请求体过大"},
}


def padded(kind: str, size: int) -> bytes:
    """A valid body of exactly ``size`` bytes."""
    if kind == "json":
        base = {"phone_number": "13612345678", "recipient": "13612345678", **ONLYID, "pad": ""}
        empty = len(json.dumps(base).encode())
        return json.dumps({**base, "pad": "x" * (size - empty)}).encode()
    head = b"phone=13612345678&pad="
    return head + b"x" * (size - len(head))


@pytest.mark.parametrize(("path", "headers", "kind"), ENDPOINTS)
async def test_bodies_over_64_kib_are_413(
    clock: FakeClock, path: str, headers: dict[str, str], kind: str
) -> None:
    content_type = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
    headers = {**headers, "Content-Type": content_type}
    body = padded(kind, LIMIT + 1)
    assert len(body) == LIMIT + 1

    async def chunks() -> AsyncIterator[bytes]:
        # Streamed without a Content-Length: the limit is enforced while reading.
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    async with SeedApp(clock).client() as http:
        declared = await http.post(path, content=body, headers=headers)
        streamed = await http.post(path, content=chunks(), headers=headers)
        at_limit = await http.post(path, content=padded(kind, LIMIT), headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == TOO_LARGE[path]
    assert "content-length" not in streamed.request.headers
    assert at_limit.status_code != 413


async def test_redis_stopped_is_503_in_every_dialect_and_recovers(
    private_redis: RedisServer, clock: FakeClock
) -> None:
    seed = SeedApp(clock, settings=seed_settings(store=private_redis.url))
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        ("/otp/send", basic(*TENANT), {"json": {"phone_number": "13612345678"}}),
        ("/otp/verify", basic(*TENANT), {"json": {"otp_token": "TOKEN", "code": "123456"}}),
        ("/api/sms/sendCode?phone=13612345679", YP_HEADERS, {}),
        ("/api/sms/verifyCode?phone=13612345679&code=123456", YP_HEADERS, {}),
        ("/api/open/send-otp", {}, {"json": {**ONLYID, "recipient": "13612345670"}}),
        (
            "/api/open/verify-otp",
            {},
            {"json": {**ONLYID, "recipient": "13612345670", "code": "1234"}},
        ),
    ]
    unavailable = {
        "/otp/send": {
            "error": "temporarily_unavailable",
            "error_description": "Failed to send OTP. Please try again later.",
        },
        "/api/sms/sendCode": {
            "code": 50300,
            "msg": "服务暂时不可用,请稍后重试",
            "meta": {},
            "data": {},
        },
        "/api/open/send-otp": {"error": "服务暂时不可用，请稍后再试"},
    }
    try:
        async with seed.client() as http:
            sent = await http.post(
                "/otp/send", json={"phone_number": "13612345671"}, headers=basic(*TENANT)
            )
            assert sent.status_code == 200
            token = sent.json()["otp_token"]
            code = await seed.last_code("+8613612345671")

            private_redis.stop()
            for path, headers, kwargs in requests:
                if "json" in kwargs and "otp_token" in kwargs["json"]:
                    kwargs = {"json": {"otp_token": token, "code": other_code(code)}}
                response = await http.post(path, headers=headers, **kwargs)
                assert response.status_code == 503, path
                dialect = {
                    "otp": "/otp/send",
                    "api/sms": "/api/sms/sendCode",
                    "api/open": "/api/open/send-otp",
                }
                prefix = next(p for p in dialect if path.startswith("/" + p))
                assert response.json() == unavailable[dialect[prefix]]
            # Signed Yunpian requests need the store for their nonce: 503, not 40100.
            signed = {**YP_HEADERS, "x-nonce": "n1"}
            assert (
                await http.post("/api/sms/sendCode?phone=13612345679", headers=signed)
            ).status_code == 503
            outbox = await http.get("/dev/outbox.json")
            assert outbox.status_code == 503
            # Fail closed: the right code does not verify while the store is down.
            refused = await http.post(
                "/otp/verify", json={"otp_token": token, "code": code}, headers=basic(*TENANT)
            )
            assert refused.status_code == 503

            private_redis.start()  # empty again: persistence is off
            again = await http.post(
                "/otp/send", json={"phone_number": "13612345672"}, headers=basic(*TENANT)
            )
            assert again.status_code == 200
    finally:
        await seed.runtime.aclose()


async def test_smtp_stopped_is_503_and_the_code_is_dead(clock: FakeClock) -> None:
    smtp = SMTPServer()
    smtp.start()
    email_sender = {
        "type": "smtp",
        "host": "127.0.0.1",
        "port": smtp.port,
        "from_address": "otp@example.com",
        "timeout": 5,
    }
    seed = SeedApp(clock, settings=seed_settings(senders={"email": email_sender}))
    try:
        async with seed.client() as http:
            sent = await http.post("/otp/send", json={"email": EMAIL}, headers=basic(*TENANT))
            assert sent.status_code == 200
            assert smtp.mails[0].rcpt_tos == [EMAIL]
            smtp.stop()

            clock.advance(30)
            failed = await http.post("/otp/send", json={"email": EMAIL}, headers=basic(*TENANT))
            # A caller-chosen OnlyID code shows that the undelivered code does not verify.
            chosen = await http.post(
                "/api/open/send-otp",
                json={**ONLYID, "recipient": "other@example.com", "code": "4321"},
            )
            chosen_check = await http.post(
                "/api/open/verify-otp",
                json={**ONLYID, "recipient": "other@example.com", "code": "4321"},
            )
            quota = await http.post(
                "/otp/send", json={"email": "third@example.com"}, headers=basic(*QUOTA_CLIENT)
            )
            dead = await http.post(
                "/otp/verify",
                json={"otp_token": sent.json()["otp_token"], "code": "000000"},
                headers=basic(*TENANT),
            )
    finally:
        smtp.stop()
    assert (failed.status_code, failed.json()) == (
        503,
        {
            "error": "temporarily_unavailable",
            "error_description": "Failed to send OTP. Please try again later.",
        },
    )
    assert (chosen.status_code, chosen.json()) == (503, {"error": "服务暂时不可用，请稍后再试"})
    assert (chosen_check.status_code, chosen_check.json()) == (
        400,
        {"error": "验证码错误或超过有效期"},
    )
    # The first (delivered) code was replaced by the failed send and then killed with it.
    assert (dead.status_code, dead.json()) == (400, {"error": "otp_expired"})
    # A failed delivery is not billed.
    assert quota.status_code == 503
    assert await seed.runtime.store.quota_used(QUOTA_CLIENT[0], "email") == 0


async def test_an_unexpected_error_is_logged_and_answered_503_in_the_dialect_shape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = Starlette(
        routes=[
            Route(
                "/ciam",
                guarded(ciam_errors.to_response, ciam_errors.otp_unavailable)(broken),
                methods=["POST"],
            ),
            Route("/yp", guarded(lambda exc: None, yunpian.unavailable)(broken), methods=["POST"]),
        ]
    )
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.ERROR, "otp_flow.web.api"):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            first = await http.post("/ciam")
            second = await http.post("/yp")
    assert (first.status_code, first.json()["error"]) == (503, "temporarily_unavailable")
    assert (second.status_code, second.json()["code"]) == (503, 50300)
    assert "a bug" not in first.text
    assert [r.getMessage() for r in caplog.records] == [
        "unexpected error in /ciam",
        "unexpected error in /yp",
    ]


async def test_repeated_form_parameters_must_agree() -> None:
    async def echo(request: Request) -> Response:
        return Response(json.dumps(await read_form_params(request)))

    transport = httpx.ASGITransport(app=Starlette(routes=[Route("/", echo, methods=["POST"])]))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        same = await http.post("/?phone=1&code=2", content=b"phone=1")
    assert json.loads(same.text) == {"phone": "1", "code": "2"}


async def test_the_dev_outbox_lists_messages_newest_first(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        await http.post("/otp/send", json={"phone_number": "13612345678"}, headers=basic(*TENANT))
        clock.advance(1)
        await http.post("/otp/send", json={"email": "<b>x</b>@example.com"}, headers=basic(*TENANT))
        await http.post("/otp/send", json={"email": EMAIL}, headers=basic(*TENANT))
        listing = await http.get("/dev/outbox.json")
        page = await http.get("/dev/outbox")
    messages = listing.json()["messages"]
    assert [m["recipient"] for m in messages] == [EMAIL, E164]
    assert set(messages[0]) == {"channel", "recipient", "usage", "code", "text", "sent_at"}
    assert messages[1]["channel"] == "sms" and messages[1]["usage"] == "login"
    assert messages[1]["sent_at"] == "2026-03-10T01:00:00Z"
    assert messages[0]["code"] in messages[0]["text"]
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert messages[0]["code"] in page.text and EMAIL in page.text


async def test_the_dev_outbox_page_escapes_what_it_shows(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    assert seed.runtime.outbox is not None
    from otp_flow.senders._base import Message

    await seed.runtime.outbox.send(
        Message("sms", "+8613612345678", "login", "123456", 60, "en", "<script>x</script>")
    )
    async with seed.client() as http:
        page = await http.get("/dev/outbox")
    assert "<script>x" not in page.text
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text


async def test_without_dev_there_is_no_outbox(clock: FakeClock) -> None:
    console = {"sms": {"type": "console"}, "email": {"type": "console"}}
    seed = SeedApp(clock, settings=seed_settings(dev=False, senders=console))
    async with seed.client() as http:
        assert (await http.get("/dev/outbox.json")).status_code == 404
        assert (await http.get("/dev/outbox")).status_code == 404
        document = (await http.get("/openapi.json")).json()
    assert "/dev/outbox.json" not in document["paths"]


async def test_wrong_codes_still_count_under_every_dialect_for_the_same_client(
    clock: FakeClock,
) -> None:
    # One engine: a code sent through OnlyID is the same challenge Yunpian verifies by phone.
    seed = SeedApp(clock)
    yp = {"x-app-id": ONLYID_APP[0], "x-app-key": ONLYID_APP[1]}
    async with seed.client() as http:
        await http.post(
            "/api/open/send-otp", json={**ONLYID, "recipient": "13612345678", "code": "2468"}
        )
        wrong = await http.post(
            f"/api/sms/verifyCode?phone=13612345678&code={other_code('2468')}", headers=yp
        )
        right = await http.post("/api/sms/verifyCode?phone=13612345678&code=2468", headers=yp)
    assert wrong.json()["meta"]["verifyFailCount"] == 1
    assert right.json()["code"] == 0
