"""Outages become friendly pages: a 503 page when Redis is down, a message when delivery fails."""

from __future__ import annotations

from otp_flow import Client
from otp_flow.senders._http import HTTPSender
from otp_flow.stores.memory import MemoryStore
from otp_flow.stores.redis import RedisStore
from tests.conftest import FakeClock
from tests.http_harness import RecordingHTTPServer
from tests.redis_harness import RedisServer
from tests.web_helpers import E164, PHONE, open_site


async def test_redis_down_shows_the_503_page(private_redis: RedisServer, clock: FakeClock) -> None:
    store = RedisStore.from_url(private_redis.url, socket_timeout=1.0)
    try:
        async with open_site(store, clock) as site:
            await site.signup(PHONE, E164)
            token = await site.csrf()
            private_redis.stop()
            for method, path, data in [
                ("GET", "/", None),  # the middleware cannot load the session
                ("GET", "/auth/login", None),
                ("POST", "/auth/login", {"csrf_token": token, "identifier": PHONE}),
                # The password attempt counter lives in the store too.
                (
                    "POST",
                    "/auth/login",
                    {"csrf_token": token, "identifier": PHONE, "password": "p" * 9},
                ),
            ]:
                page = await site.client.request(method, path, data=data)
                assert page.status_code == 503, path
                assert "Temporarily unavailable" in page.text
                assert "Traceback" not in page.text
            zh = await site.client.get("/auth/login", headers={"Accept-Language": "zh-CN"})
            assert zh.status_code == 503 and "服务暂时不可用" in zh.text
            api = await site.client.get("/api/me", headers={"Accept": "application/json"})
            assert api.status_code == 503
            assert api.json()["error"] == "temporarily_unavailable"

            private_redis.start()  # back (empty): everything works again, signed out
            assert await site.whoami() == "hello stranger"
    finally:
        await store.aclose()


async def test_delivery_failure_is_a_message_on_the_form(clock: FakeClock) -> None:
    with RecordingHTTPServer() as gateway:
        gateway.respond(503, b"busy")
        sender = HTTPSender(url=f"{gateway.url}/sms", timeout=2.0)
        async with open_site(MemoryStore(), clock, sender=sender) as site:
            answer = await site.post("/auth/signup", {"identifier": PHONE})
            assert answer.status_code == 503
            assert "We could not send the code. Please try again in a moment." in answer.text
            assert f'value="{PHONE}"' in answer.text
            assert "otp_token" not in answer.headers.get("set-cookie", "")
        assert len(gateway.requests) == 1


async def test_quota_exhausted_is_a_message_on_the_form(clock: FakeClock) -> None:
    engine_options = {"clients": [Client("otp_flow.web", sms_quota=1)]}
    async with open_site(MemoryStore(), clock, engine_options=engine_options) as site:
        await site.send_code("signup", PHONE)
        site.later()
        answer = await site.post("/auth/signup", {"identifier": PHONE})
        assert answer.status_code == 503
        assert "We cannot send codes right now." in answer.text


async def test_too_many_codes_per_hour(clock: FakeClock) -> None:
    from otp_flow import Limits

    limits = Limits(recipient_per_minute=0, recipient_per_hour=2, resend_interval_seconds=0)
    async with open_site(MemoryStore(), clock, engine_options={"limits": limits}) as site:
        await site.send_code("signup", PHONE)
        await site.send_code("signup", PHONE)
        answer = await site.post("/auth/signup", {"identifier": PHONE})
        assert answer.status_code == 422
        assert "Too many codes were requested. Please try again in" in answer.text
        assert "minutes" in answer.text
