"""Dialect 3 (OnlyID seed): send-otp and verify-otp, with the seed's sentences as errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from otp_flow.web.api import create_api_app
from tests.api_helpers import ONLYID_APP, QUOTA_CLIENT, SeedApp, other_code
from tests.conftest import FakeClock

#: The documented answer to every failed verify-otp (wrong, expired, used, dead, never sent).
ONE_FAILURE = {"error": "验证码错误或超过有效期"}
CLIENT = {"clientId": ONLYID_APP[0], "clientSecret": ONLYID_APP[1]}
SEED_REQUEST = {
    "recipient": "13612345678",
    "clientId": "98d44b4a3543db79",
    "clientSecret": "8d08fbbd89a547df8bda56eba12fac2e",
}
SEED_UNKNOWN_APP = {"error": "应用不存在或应用ID错误，请检查"}


@pytest.fixture
def seed_clock() -> FakeClock:
    """The moment of the seed's example answer, in the configured time zone."""
    return FakeClock(datetime(2021, 1, 5, 19, 45, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())


async def test_the_seed_send_example(seed_clock: FakeClock) -> None:
    seed = SeedApp(seed_clock)
    async with seed.client() as http:
        response = await http.post("/api/open/send-otp", json=SEED_REQUEST)
    assert response.status_code == 200
    body = response.json()
    delivered = await seed.last_code("+8613612345678")
    assert body == {
        "recipient": "13612345678",
        "code": delivered,
        "createDate": "2021-01-05T19:45:30",
        "expireDate": "2021-01-05T19:55:30",
        "maxFailCount": 10,
    }
    assert len(delivered) == 6 and delivered.isdigit()


async def test_the_seed_error_example(clock: FakeClock) -> None:
    async with SeedApp(clock).client() as http:
        unknown = await http.post(
            "/api/open/send-otp", json={**SEED_REQUEST, "clientId": "0000000000000000"}
        )
        missing = await http.post("/api/open/send-otp", json={"recipient": "13612345678"})
        wrong_secret = await http.post(
            "/api/open/send-otp", json={**SEED_REQUEST, "clientSecret": "x"}
        )
        verify = await http.post(
            "/api/open/verify-otp", json={**SEED_REQUEST, "clientId": "nope", "code": "123456"}
        )
    # A wrong secret answers like an unknown app, so answers do not tell which app ids exist.
    for response in (unknown, missing, verify, wrong_secret):
        assert (response.status_code, response.json()) == (400, SEED_UNKNOWN_APP)


async def test_a_caller_code_with_its_own_lifetime_and_failure_limit(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        sent = await http.post(
            "/api/open/send-otp",
            json={
                **CLIENT,
                "recipient": "someone@example.com",
                "code": "0042",
                "expireMin": 1,
                "maxFailCount": 2,
            },
        )
        assert sent.status_code == 200
        assert sent.json()["code"] == "0042" and sent.json()["maxFailCount"] == 2
        assert sent.json()["expireDate"] == "2026-03-10T09:01:00"
        assert await seed.last_code("someone@example.com") == "0042"
        verified = await http.post(
            "/api/open/verify-otp",
            json={**CLIENT, "recipient": "someone@example.com", "code": "0042"},
        )
    # The documented body, byte for byte.
    assert (verified.status_code, verified.content) == (200, b'{"result":"success"}')


async def test_after_max_fail_count_failures_every_check_fails(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    verify = {**CLIENT, "recipient": "13612345678"}
    async with seed.client() as http:
        await http.post("/api/open/send-otp", json={**verify, "maxFailCount": 2})
        code = await seed.last_code("+8613612345678")
        answers = [
            await http.post("/api/open/verify-otp", json={**verify, "code": c})
            for c in (other_code(code), other_code(code), code)
        ]
    # Wrong, wrong, then dead (the right code no longer works): one sentence for every failure.
    assert [(a.status_code, a.json()) for a in answers] == [(400, ONE_FAILURE)] * 3


async def test_expired_used_and_never_sent_codes_fail(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    verify = {**CLIENT, "recipient": "13612345678"}
    async with seed.client() as http:
        never = await http.post("/api/open/verify-otp", json={**verify, "code": "123456"})
        await http.post("/api/open/send-otp", json={**verify, "expireMin": 1})
        code = await seed.last_code("+8613612345678")
        clock.advance(60)
        expired = await http.post("/api/open/verify-otp", json={**verify, "code": code})
        await http.post("/api/open/send-otp", json=verify)
        code = await seed.last_code("+8613612345678")
        ok = await http.post("/api/open/verify-otp", json={**verify, "code": code})
        used = await http.post("/api/open/verify-otp", json={**verify, "code": code})
    assert ok.status_code == 200
    for response in (never, expired, used):
        assert (response.status_code, response.json()) == (400, ONE_FAILURE)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"code": "123"}, "code应为4~8位数字"),
        ({"code": "123456789"}, "code应为4~8位数字"),
        ({"code": "12a4"}, "code应为4~8位数字"),
        ({"code": "１２３４"}, "code应为4~8位数字"),
        ({"code": 1234}, "code应为字符串"),
        ({"expireMin": 0}, "expireMin要 >= 1 且 <= 20"),
        ({"expireMin": 21}, "expireMin要 >= 1 且 <= 20"),
        ({"expireMin": "5"}, "expireMin要 >= 1 且 <= 20"),
        ({"expireMin": True}, "expireMin要 >= 1 且 <= 20"),
        ({"expireMin": 1.5}, "expireMin要 >= 1 且 <= 20"),
        ({"maxFailCount": 0}, "maxFailCount要 >= 1 且 <= 20"),
        ({"maxFailCount": 21}, "maxFailCount要 >= 1 且 <= 20"),
        ({"recipient": None}, "recipient不能为空"),
        ({"recipient": ""}, "recipient不能为空"),
        ({"recipient": 13612345678}, "recipient应为字符串"),
        ({"recipient": "12345"}, "手机号格式不正确"),
        ({"recipient": "a@b"}, "邮箱格式不正确"),
        ({"recipient": "x@mailinator.com"}, "邮箱地址不存在或在黑名单中"),
    ],
)
async def test_bad_send_parameters_have_chinese_reasons(
    clock: FakeClock, body: dict[str, Any], error: str
) -> None:
    async with SeedApp(clock).client() as http:
        response = await http.post("/api/open/send-otp", json={**SEED_REQUEST, **body})
    assert (response.status_code, response.json()) == (400, {"error": error})


@pytest.mark.parametrize("body", [b"{", b"[]", b"null", b'"x"', b""])
async def test_a_body_that_is_not_a_json_object(clock: FakeClock, body: bytes) -> None:
    async with SeedApp(clock).client() as http:
        for path in ("/api/open/send-otp", "/api/open/verify-otp"):
            response = await http.post(
                path, content=body, headers={"Content-Type": "application/json"}
            )
            assert (response.status_code, response.json()) == (400, {"error": "请求体应为JSON对象"})


async def test_verify_needs_a_code(clock: FakeClock) -> None:
    async with SeedApp(clock).client() as http:
        missing = await http.post("/api/open/verify-otp", json={**SEED_REQUEST})
        typed = await http.post("/api/open/verify-otp", json={**SEED_REQUEST, "code": 123456})
    assert missing.json() == {"error": "code不能为空"}
    assert typed.json() == {"error": "code应为字符串"}


async def test_rate_limit_and_quota(clock: FakeClock) -> None:
    quota = {"clientId": QUOTA_CLIENT[0], "clientSecret": QUOTA_CLIENT[1]}
    async with SeedApp(clock).client() as http:
        await http.post("/api/open/send-otp", json=SEED_REQUEST)
        limited = await http.post("/api/open/send-otp", json=SEED_REQUEST)
        await http.post("/api/open/send-otp", json={**quota, "recipient": "13612345678"})
        exhausted = await http.post(
            "/api/open/send-otp", json={**quota, "recipient": "13612345679"}
        )
    assert (limited.status_code, limited.json()) == (400, {"error": "发送过于频繁，请稍后再试"})
    assert limited.headers["retry-after"] == "30"
    assert (exhausted.status_code, exhausted.json()) == (400, {"error": "短信额度不足"})


async def test_english_sentences_and_operator_defaults(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    app = create_api_app(
        seed.runtime.engine,
        onlyid_language="en",
        onlyid_expire_minutes=5,
        onlyid_max_fail_count=3,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        sent = await http.post("/api/open/send-otp", json=SEED_REQUEST)
        unknown = await http.post("/api/open/send-otp", json={**SEED_REQUEST, "clientId": "nope"})
        wrong = await http.post("/api/open/send-otp", json={**SEED_REQUEST, "clientSecret": "x"})
    assert sent.json()["expireDate"] == "2026-03-10T09:05:00"
    assert sent.json()["maxFailCount"] == 3
    for refused in (unknown, wrong):
        assert refused.json() == {
            "error": "The app does not exist or the app ID is wrong; please check it"
        }


def test_language_and_defaults_are_validated(clock: FakeClock) -> None:
    engine = SeedApp(clock).runtime.engine
    with pytest.raises(ValueError, match="language"):
        create_api_app(engine, onlyid_language="fr")
    with pytest.raises(ValueError, match="expire_minutes"):
        create_api_app(engine, onlyid_expire_minutes=21)
    with pytest.raises(ValueError, match="max_fail_count"):
        create_api_app(engine, onlyid_max_fail_count=0)
