"""Dialect 2 (Yunpian seed): envelope, codes and messages, app keys, signatures, replay defence."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from otp_flow.stores.base import OTPStore
from otp_flow.web._clientauth import yunpian_signature
from tests.api_helpers import QUOTA_CLIENT, YP_SEND_APP, YP_SIGN_APP, SeedApp, other_code
from tests.conftest import FakeClock

SEED_TS = 1575129600000  # the seed's x-timestamp: 2019-12-01 00:00:00 UTC
SEED_NONCE = "rl29sm2df"
# The seed writes +86139XXXXYYYY; any real mobile number in that range stands in for it.
SEED_PHONE = "+8613912345678"
SEED_QUERY = "phone=%2B8613912345678"

#: The rate-limit stats after one send to one phone, as the seed shows them.
ONE_SEND_STATS = {
    "rateLimitStats": {
        "appNaturalDay": {"count": 1, "limit": 1000, "enabled": True},
        "appToPhonePerMinute": {"count": 1, "limit": 10, "enabled": True},
        "appToPhonePerHour": {"count": 1, "limit": 30, "enabled": True},
        "appToPhonePerDay": {"count": 1, "limit": 30, "enabled": True},
    }
}
SEED_SEND_ANSWER = {"code": 0, "msg": "ok", "meta": ONE_SEND_STATS, "data": {}}
SEED_VERIFY_ANSWER = {
    "code": 40033,
    "msg": "验证码不正确",
    "meta": {"verifySuccessCount": 0, "verifyFailLimit": 5, "verifyFailCount": 1},
}

_nonces = itertools.count()


def key_headers(app: tuple[str, str], **extra: str) -> dict[str, str]:
    app_id, app_key = app
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "x-app-id": app_id,
        "x-app-key": app_key,
        **extra,
    }


def signed_headers(
    app: tuple[str, str], ts_ms: int, nonce: str | None = None, *, key: str | None = None
) -> dict[str, str]:
    app_id, app_key = app
    nonce = nonce or f"n{next(_nonces)}"
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "x-app-id": app_id,
        "x-timestamp": str(ts_ms),
        "x-nonce": nonce,
        "x-signature": yunpian_signature(app_id, str(ts_ms), nonce, key or app_key),
    }


def now_ms(clock: FakeClock) -> int:
    return int(clock() * 1000)


@pytest.fixture
def seed_clock() -> FakeClock:
    return FakeClock(SEED_TS / 1000)


def test_the_seed_signature_example() -> None:
    assert (
        yunpian_signature(
            "40685513ea3446debdd5e04d03301e2a",
            "1575129600000",
            "rl29sm2df",
            "1f63ee1d8e4547b7b9060fb9fa44a766",
        )
        == "32aca2e5745357e3fe423226a14681f78d8cf69ae5469c89ff08f1c2778dadcc"
    )


async def test_the_seed_send_example(seed_clock: FakeClock) -> None:
    async with SeedApp(seed_clock).client() as http:
        response = await http.post(
            f"/api/sms/sendCode?{SEED_QUERY}",
            headers=key_headers(
                YP_SEND_APP, **{"x-timestamp": str(SEED_TS), "x-nonce": SEED_NONCE}
            ),
        )
    assert response.status_code == 200
    assert response.json() == SEED_SEND_ANSWER


async def test_the_seed_verify_example(seed_clock: FakeClock) -> None:
    seed = SeedApp(seed_clock)
    async with seed.client() as http:
        sent = await http.post(
            f"/api/sms/sendCode?{SEED_QUERY}", headers=signed_headers(YP_SIGN_APP, SEED_TS)
        )
        assert sent.json()["code"] == 0
        code = await seed.last_code(SEED_PHONE)
        wrong = "123456" if code != "123456" else "654321"
        response = await http.post(
            f"/api/sms/verifyCode?{SEED_QUERY}&code={wrong}",
            headers=key_headers(
                YP_SIGN_APP, **{"x-timestamp": str(SEED_TS), "x-nonce": SEED_NONCE}
            ),
        )
    assert response.status_code == 400
    assert response.json() == {**SEED_VERIFY_ANSWER, "data": {}}


async def test_the_seed_worked_example_signs_a_real_request(seed_clock: FakeClock) -> None:
    headers = signed_headers(YP_SIGN_APP, SEED_TS, SEED_NONCE)
    assert headers["x-signature"] == (
        "32aca2e5745357e3fe423226a14681f78d8cf69ae5469c89ff08f1c2778dadcc"
    )
    async with SeedApp(seed_clock).client() as http:
        response = await http.post(f"/api/sms/sendCode?{SEED_QUERY}", headers=headers)
    assert (response.status_code, response.json()["code"]) == (200, 0)


async def post(http: Any, path: str, headers: dict[str, str], **kwargs: Any) -> tuple[int, Any]:
    response = await http.post(path, headers=headers, **kwargs)
    body = response.json()
    assert set(body) == {"code", "msg", "meta", "data"}
    assert (response.status_code == 200) == (body["code"] == 0)
    return response.status_code, body


@pytest.mark.parametrize(
    ("make_headers", "code"),
    [
        (lambda ts: signed_headers(YP_SIGN_APP, ts, key=YP_SEND_APP[1]), 40100),
        (lambda ts: key_headers((YP_SIGN_APP[0], "0" * 32)), 40100),
        (lambda ts: key_headers((YP_SIGN_APP[0], YP_SEND_APP[1])), 40100),
        (lambda ts: {"x-app-id": YP_SIGN_APP[0]}, 40100),
        (lambda ts: {"x-app-key": YP_SIGN_APP[1]}, 40100),
        (lambda ts: {**signed_headers(YP_SIGN_APP, ts), "x-timestamp": ""}, 40100),
        (
            lambda ts: {k: v for k, v in signed_headers(YP_SIGN_APP, ts).items() if k != "x-nonce"},
            40100,
        ),
        (lambda ts: {**signed_headers(YP_SIGN_APP, ts), "x-signature": "zz"}, 40100),
        (lambda ts: key_headers(("0" * 32, YP_SIGN_APP[1])), 40012),
        (lambda ts: signed_headers(("0" * 32, YP_SIGN_APP[1]), ts), 40012),
    ],
    ids=[
        "signed-with-another-key",
        "wrong-app-key",
        "another-apps-key",
        "no-key-no-signature",
        "no-app-id",
        "signature-without-timestamp",
        "signature-without-nonce",
        "garbage-signature",
        "unknown-app-with-key",
        "unknown-app-signed",
    ],
)
async def test_authentication_failures(clock: FakeClock, make_headers: Any, code: int) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        for path in (
            "/api/sms/sendCode?phone=13612345678",
            "/api/sms/verifyCode?phone=13612345678&code=1",
        ):
            status, body = await post(http, path, make_headers(now_ms(clock)))
            assert (status, body["code"]) == (400, code)
            assert (
                body["msg"]
                == {40100: "未通过身份验证,appKey 或签名错误导致", 40012: "应用不存在"}[code]
            )
    assert seed.runtime.outbox is not None and await seed.runtime.outbox.messages() == []


@pytest.mark.parametrize(
    ("skew_ms", "accepted"),
    [
        (0, True),
        (300_000, True),
        (-300_000, True),
        (300_001, False),
        (-300_001, False),
        (-(10**12), False),
    ],
)
async def test_the_timestamp_must_be_within_five_minutes(
    clock: FakeClock, skew_ms: int, accepted: bool
) -> None:
    headers = signed_headers(YP_SIGN_APP, now_ms(clock) + skew_ms)
    async with SeedApp(clock).client() as http:
        _status, body = await post(http, "/api/sms/sendCode?phone=13612345678", headers)
    assert body["code"] == (0 if accepted else 40100)


async def test_a_non_numeric_timestamp_is_refused(clock: FakeClock) -> None:
    headers = signed_headers(YP_SIGN_APP, now_ms(clock))
    headers["x-timestamp"] = "soon"
    headers["x-signature"] = yunpian_signature(
        YP_SIGN_APP[0], "soon", headers["x-nonce"], YP_SIGN_APP[1]
    )
    async with SeedApp(clock).client() as http:
        _status, body = await post(http, "/api/sms/sendCode?phone=13612345678", headers)
    assert body["code"] == 40100


async def test_an_app_key_request_with_a_stale_timestamp_is_refused(clock: FakeClock) -> None:
    headers = key_headers(YP_SEND_APP, **{"x-timestamp": str(now_ms(clock) - 3_600_000)})
    async with SeedApp(clock).client() as http:
        _status, body = await post(http, "/api/sms/sendCode?phone=13612345678", headers)
    assert body["code"] == 40100


async def test_a_replayed_nonce_is_refused_across_workers_until_the_window_passes(
    store: OTPStore, clock: FakeClock
) -> None:
    # Two workers: two apps, each with its own engine, sharing one store.
    worker_a, worker_b = SeedApp(clock, store=store), SeedApp(clock, store=store)
    headers = signed_headers(YP_SIGN_APP, now_ms(clock), "once-only")
    async with worker_a.client() as a, worker_b.client() as b:
        _s, first = await post(a, "/api/sms/sendCode?phone=13612345678", headers)
        _s, replay_same = await post(a, "/api/sms/sendCode?phone=13612345679", headers)
        _s, replay_other = await post(b, "/api/sms/sendCode?phone=13612345670", headers)
        # Another app may use the same nonce: nonces are per app.
        _s, other_app = await post(
            b,
            "/api/sms/sendCode?phone=13612345670",
            signed_headers(YP_SEND_APP, now_ms(clock), "once-only"),
        )
        clock.advance(601)  # two windows: the old request's timestamp can never be accepted again
        _s, later = await post(
            a,
            "/api/sms/sendCode?phone=13612345671",
            signed_headers(YP_SIGN_APP, now_ms(clock), "once-only"),
        )
    assert first["code"] == 0
    assert replay_same["code"] == replay_other["code"] == 40100
    assert other_app["code"] == 0
    assert later["code"] == 0


@pytest.mark.parametrize("skew_ms", [300_000, -300_000, 0])
async def test_a_nonce_outlives_every_instant_its_timestamp_is_accepted(
    store: OTPStore, clock: FakeClock, skew_ms: int
) -> None:
    # Signed with a timestamp at the edge of the window: it stays acceptable until ts + window.
    ts = now_ms(clock) + skew_ms
    headers = signed_headers(YP_SIGN_APP, ts, "edge")
    async with SeedApp(clock, store=store).client() as http:
        _s, first = await post(http, "/api/sms/sendCode?phone=13612345678", headers)
        clock.advance((ts + 300_000 - now_ms(clock)) / 1000)  # the last accepted millisecond
        _s, replay = await post(http, "/api/sms/sendCode?phone=13612345679", headers)
        clock.advance(1)  # later still, the timestamp itself is refused
        _s, stale = await post(http, "/api/sms/sendCode?phone=13612345670", headers)
    assert first["code"] == 0
    assert replay["code"] == 40100
    assert stale["code"] == 40100


async def test_parameters_from_a_form_body(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        _s, sent = await post(
            http, "/api/sms/sendCode", key_headers(YP_SEND_APP), content=b"phone=%2B8613612345678"
        )
        code = await seed.last_code("+8613612345678")
        _s, verified = await post(
            http,
            "/api/sms/verifyCode",
            key_headers(YP_SEND_APP),
            data={"phone": "13612345678", "code": code},
        )
    assert sent["code"] == 0
    assert verified == {
        "code": 0,
        "msg": "ok",
        "meta": {"verifySuccessCount": 1, "verifyFailLimit": 5, "verifyFailCount": 0},
        "data": {},
    }


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/api/sms/sendCode", b"", None),
        ("/api/sms/sendCode?phone=", b"", None),
        ("/api/sms/sendCode?phone=12345", b"", None),
        ("/api/sms/sendCode?phone=%2B14155550123", b"", None),
        ("/api/sms/sendCode?phone=a%40example.com", b"", None),
        ("/api/sms/sendCode?phone=13612345678", b"phone=13612345679", None),
        ("/api/sms/sendCode?phone=13612345678&phone=13612345679", b"", None),
        ("/api/sms/sendCode", b'{"phone": "13612345678"}', "application/json"),
        ("/api/sms/sendCode", b"phone=%ff%fe", None),
        ("/api/sms/verifyCode?phone=13612345678", b"", None),
        ("/api/sms/verifyCode?code=123456", b"", None),
        ("/api/sms/verifyCode?phone=1&code=123456", b"", None),
        ("/api/sms/verifyCode?phone=13612345678&code=" + "1" * 40, b"", None),
    ],
)
async def test_bad_parameters_are_40000(
    clock: FakeClock, path: str, body: bytes, content_type: str | None
) -> None:
    headers = key_headers(YP_SEND_APP)
    if content_type:
        headers["Content-Type"] = content_type
    async with SeedApp(clock).client() as http:
        status, answer = await post(http, path, headers, content=body)
    assert (status, answer["code"]) == (400, 40000)
    assert answer["msg"].startswith("请求参数错误")


async def test_the_rate_limit_is_42900_with_the_stats_and_retry_after(clock: FakeClock) -> None:
    async with SeedApp(clock).client() as http:
        await post(http, "/api/sms/sendCode?phone=13612345678", key_headers(YP_SEND_APP))
        response = await http.post(
            "/api/sms/sendCode?phone=13612345678", headers=key_headers(YP_SEND_APP)
        )
    assert response.status_code == 400
    assert response.headers["retry-after"] == "30"
    assert response.json() == {
        "code": 42900,
        "msg": "请求过多,达到短信发送频率限制",
        "meta": ONE_SEND_STATS,
        "data": {},
    }


async def test_an_exhausted_quota_is_40300(clock: FakeClock) -> None:
    async with SeedApp(clock).client() as http:
        _s, first = await post(
            http, "/api/sms/sendCode?phone=13612345678", key_headers(QUOTA_CLIENT)
        )
        status, second = await post(
            http, "/api/sms/sendCode?phone=13612345679", key_headers(QUOTA_CLIENT)
        )
    assert first["code"] == 0
    assert (status, second["code"], second["msg"]) == (400, 40300, "短信额度不足")


async def test_wrong_codes_then_the_failure_limit(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    path = "/api/sms/verifyCode?phone=13612345678&code="
    async with seed.client() as http:
        await post(http, "/api/sms/sendCode?phone=13612345678", key_headers(YP_SEND_APP))
        code = await seed.last_code("+8613612345678")
        for failures in range(1, 6):
            _s, wrong = await post(http, path + other_code(code), key_headers(YP_SEND_APP))
            assert wrong["code"] == 40033
            assert wrong["meta"] == {
                "verifySuccessCount": 0,
                "verifyFailLimit": 5,
                "verifyFailCount": failures,
            }
        _s, dead = await post(http, path + code, key_headers(YP_SEND_APP))
    assert dead["code"] == 40032
    assert dead["msg"] == "验证失败次数达到上限,请重新获取验证码"
    assert dead["meta"] == {"verifySuccessCount": 0, "verifyFailLimit": 5, "verifyFailCount": 5}


async def test_a_used_expired_or_never_sent_code_is_40031(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    path = "/api/sms/verifyCode?phone=13612345678&code="
    async with seed.client() as http:
        _s, none = await post(http, path + "123456", key_headers(YP_SEND_APP))

        await post(http, "/api/sms/sendCode?phone=13612345678", key_headers(YP_SEND_APP))
        code = await seed.last_code("+8613612345678")
        _s, ok = await post(http, path + code, key_headers(YP_SEND_APP))
        _s, used = await post(http, path + code, key_headers(YP_SEND_APP))

        clock.advance(30)
        await post(http, "/api/sms/sendCode?phone=13612345678", key_headers(YP_SEND_APP))
        code = await seed.last_code("+8613612345678")
        clock.advance(60)
        _s, expired = await post(http, path + code, key_headers(YP_SEND_APP))
    assert ok["code"] == 0
    for answer in (none, used, expired):
        assert answer["code"] == 40031
        assert answer["msg"] == "验证码已过期,请重新获取验证码"
    assert none["meta"] == {"verifySuccessCount": 0, "verifyFailLimit": 5, "verifyFailCount": 0}


async def test_a_replaced_code_no_longer_verifies(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    path = "/api/sms/verifyCode?phone=13612345678&code="
    async with seed.client() as http:
        await post(http, "/api/sms/sendCode?phone=13612345678", key_headers(YP_SEND_APP))
        old = await seed.last_code("+8613612345678")
        new = old
        while new == old:  # one in a million: the new code happens to equal the old one
            clock.advance(30)
            await post(http, "/api/sms/sendCode?phone=13612345678", key_headers(YP_SEND_APP))
            new = await seed.last_code("+8613612345678")
        status, replaced = await post(http, path + old, key_headers(YP_SEND_APP))
        _s, current = await post(http, path + new, key_headers(YP_SEND_APP))
    # The seed: a newer code makes the older one invalid; it answers "expired" (40031) and is not
    # counted as a wrong guess against the current code.
    assert (status, replaced["code"]) == (400, 40031)
    assert replaced["meta"]["verifyFailCount"] == 0
    assert current["code"] == 0
