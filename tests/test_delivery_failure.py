"""End to end through OTPEngine: delivery over real servers, and what a failed delivery leaves.

A failed send must leave no valid code behind, give the quota unit back, still count against the
rate limits, and surface as one DeliveryFailed — whatever the way the delivery failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from otp_flow import (
    Client,
    CodeExpired,
    DeliveryFailed,
    NoChallenge,
    OTPEngine,
    RateLimited,
)
from otp_flow.senders._base import Sender
from otp_flow.senders._http import HTTPSender
from otp_flow.senders._router import ChannelRouter
from otp_flow.senders._smtp import SMTPSender
from otp_flow.senders._tencent import TencentSMSSender
from otp_flow.stores.base import OTPStore
from tests.conftest import FakeClock
from tests.http_harness import RecordingHTTPServer
from tests.smtp_harness import SMTPServer

KEY = "k" * 32
EMAIL = "alice@example.com"
PHONE = "+8613800138000"
CLIENT = Client(id="shop", sms_quota=10, email_quota=10)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
def gateway() -> Iterator[RecordingHTTPServer]:
    with RecordingHTTPServer() as server:
        yield server


def make_engine(store: OTPStore, clock: FakeClock, sender: Sender, **options: object) -> OTPEngine:
    return OTPEngine(
        secret_keys=[KEY],
        store=store,
        sender=sender,
        clients=[CLIENT],
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


def smtp(server: SMTPServer) -> SMTPSender:
    return SMTPSender(
        host="127.0.0.1", port=server.port, from_address="no-reply@example.com", timeout=5
    )


async def test_a_code_delivered_by_email_verifies(
    store: OTPStore, clock: FakeClock, smtp_server: SMTPServer
) -> None:
    engine = make_engine(store, clock, ChannelRouter(email=smtp(smtp_server)))
    sent = await engine.send(EMAIL, client_id="shop", usage="signup", locale="zh-CN,zh;q=0.9")

    [mail] = smtp_server.mails
    assert mail.message["Subject"] == "注册账号验证码"
    assert sent.code in mail.part("text/plain") and sent.code in mail.part("text/html")
    assert "1分钟内有效" in mail.part("text/plain")  # the seeds' default lifetime: 60 s
    await engine.verify(sent.otp_token, sent.code)
    assert await store.quota_used("shop", "email") == 1


async def test_smtp_server_down(store: OTPStore, clock: FakeClock, smtp_server: SMTPServer) -> None:
    engine = make_engine(store, clock, smtp(smtp_server))
    first = await engine.send(EMAIL, client_id="shop")
    assert await store.quota_used("shop", "email") == 1

    smtp_server.stop()
    clock.advance(31)  # past the resend interval
    with pytest.raises(DeliveryFailed):
        await engine.send(EMAIL, client_id="shop", code="246810")

    # The undelivered code is dead, and it replaced the earlier one, which is dead too.
    with pytest.raises(NoChallenge):
        await engine.verify_recipient(EMAIL, "246810", client_id="shop")
    with pytest.raises(CodeExpired):
        await engine.verify(first.otp_token, first.code)
    # The failed message was not billed...
    assert await store.quota_used("shop", "email") == 1
    # ...but it counted against the rate limits: no free retries.
    with pytest.raises(RateLimited) as limited:
        await engine.send(EMAIL, client_id="shop")
    assert limited.value.limit == "resend_interval"
    assert limited.value.windows is not None
    assert limited.value.windows.minute.count == 2


async def test_sms_gateway_5xx(
    store: OTPStore, clock: FakeClock, gateway: RecordingHTTPServer
) -> None:
    gateway.respond(503, {"error": "busy"})
    engine = make_engine(store, clock, HTTPSender(url=gateway.url, body={"code": "{code}"}))

    with pytest.raises(DeliveryFailed):
        await engine.send(PHONE, client_id="shop")

    [request] = gateway.requests  # one attempt, no retry on an answer
    with pytest.raises(NoChallenge):
        await engine.verify_recipient(PHONE, request.json()["code"], client_id="shop")
    assert await store.quota_used("shop", "sms") == 0
    clock.advance(31)
    gateway.respond(200, {"ok": True})
    sent = await engine.send(PHONE, client_id="shop")
    assert sent.windows.minute.count == 2  # the failed attempt counted
    assert await store.quota_used("shop", "sms") == 1


async def test_sms_gateway_that_never_answers(
    store: OTPStore, clock: FakeClock, gateway: RecordingHTTPServer
) -> None:
    # The gateway may have sent the SMS; the engine's own timeout still kills the code.
    gateway.hang()
    sender = HTTPSender(url=gateway.url, body={"code": "{code}"}, timeout=10)
    engine = make_engine(store, clock, sender, delivery_timeout=0.2)

    with pytest.raises(DeliveryFailed):
        await engine.send(PHONE, client_id="shop")

    [request] = gateway.requests
    with pytest.raises(NoChallenge):
        await engine.verify_recipient(PHONE, request.json()["code"], client_id="shop")
    assert await store.quota_used("shop", "sms") == 0


async def test_tencent_cloud_error(
    memory_store: OTPStore, clock: FakeClock, gateway: RecordingHTTPServer
) -> None:
    gateway.respond(
        200,
        {
            "Response": {
                "Error": {
                    "Code": "FailedOperation.InsufficientBalanceInSmsPackage",
                    "Message": "insufficient balance",
                },
                "RequestId": "r-1",
            }
        },
    )
    sender = TencentSMSSender(
        secret_id="id",
        secret_key="key",
        sdk_app_id="1400000000",
        sign_name="示例",
        template_ids={"login": "1"},
        endpoint=gateway.url,
        clock=clock,
    )
    engine = make_engine(memory_store, clock, sender)
    with pytest.raises(DeliveryFailed) as failed:
        await engine.send(PHONE, client_id="shop", code="135790")
    assert "InsufficientBalance" in str(failed.value.__cause__)
    assert gateway.requests[0].json()["TemplateParamSet"] == ["135790", "1"]
    with pytest.raises(NoChallenge):
        await engine.verify_recipient(PHONE, "135790", client_id="shop")
    assert await memory_store.quota_used("shop", "sms") == 0


async def test_a_channel_without_a_sender(
    memory_store: OTPStore, clock: FakeClock, smtp_server: SMTPServer
) -> None:
    engine = make_engine(memory_store, clock, ChannelRouter(email=smtp(smtp_server)))
    with pytest.raises(DeliveryFailed) as failed:
        await engine.send(PHONE, client_id="shop", code="135790")
    assert "sms" in str(failed.value.__cause__)
    with pytest.raises(NoChallenge):
        await engine.verify_recipient(PHONE, "135790", client_id="shop")
    assert await memory_store.quota_used("shop", "sms") == 0
    assert smtp_server.mails == []


async def test_failures_never_log_the_code(
    memory_store: OTPStore,
    clock: FakeClock,
    gateway: RecordingHTTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway.respond(500, {"error": "code 975310 was rejected"})
    sender = HTTPSender(url=gateway.url, success_field="ok", success_value="true")
    engine = make_engine(memory_store, clock, sender)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(DeliveryFailed):
            await engine.send(PHONE, code="975310")
        clock.advance(31)
        gateway.respond(200, {"ok": False, "echo": "975310"})
        with pytest.raises(DeliveryFailed):
            await engine.send(PHONE, code="975310")
    assert caplog.records  # the failures were logged...
    assert not [r for r in caplog.records if "975310" in r.getMessage()]  # ...without the code
