"""The development senders (the shared outbox on every store, the console) and engine.notify."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from otp_flow import OTPEngine
from otp_flow.errors import DeliveryFailed
from otp_flow.messages import default_renderer
from otp_flow.policy import Limits
from otp_flow.senders._base import Message
from otp_flow.senders._console import ConsoleSender, mask_recipient
from otp_flow.senders._http import HTTPSender
from otp_flow.senders._outbox import OutboxSender
from otp_flow.stores.base import OTPStore
from otp_flow.stores.redis import RedisStore
from tests.conftest import FakeClock
from tests.http_harness import RecordingHTTPServer
from tests.redis_harness import free_port

KEY = "k" * 32


def sms(code: str, recipient: str = "+8613800138000") -> Message:
    return Message("sms", recipient, "login", code, 60, "en", f"{code} is your code")


NOTICE = default_renderer().render_notice(
    channel="sms",
    recipient="+8613800138000",
    locale="en",
    client_id="default",
    changed="phone_number",
    new_value_masked="+86139****5678",
)


@pytest.fixture
async def second_redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    """Another connection to the same Redis, as a second application worker would have."""
    store = RedisStore.from_url(redis_url)
    yield store
    await store.aclose()


async def test_keeps_messages_newest_first_with_their_send_time(
    store: OTPStore, clock: FakeClock
) -> None:
    outbox = OutboxSender(store, clock=clock)
    await outbox.send(sms("111111"))
    clock.advance(61.5)
    await outbox.send(
        Message("email", "a@example.com", "signup", "222222", 300, "zh-CN", "验证码222222")
    )

    assert await outbox.messages() == [
        {
            "channel": "email",
            "recipient": "a@example.com",
            "usage": "signup",
            "code": "222222",
            "text": "验证码222222",
            "sent_at": "2026-03-10T01:01:01Z",
        },
        {
            "channel": "sms",
            "recipient": "+8613800138000",
            "usage": "login",
            "code": "111111",
            "text": "111111 is your code",
            "sent_at": "2026-03-10T01:00:00Z",
        },
    ]
    assert [m["code"] for m in await outbox.messages(limit=1)] == ["222222"]
    assert await outbox.messages(limit=0) == []


async def test_stays_bounded(store: OTPStore, clock: FakeClock) -> None:
    outbox = OutboxSender(store, max_messages=3, clock=clock)
    for n in range(1, 8):
        await outbox.send(sms(f"{n}00000"))
    assert [m["code"] for m in await outbox.messages()] == ["700000", "600000", "500000"]
    assert len(await store.outbox_list(100)) == 3


async def test_skips_entries_it_cannot_read(store: OTPStore, clock: FakeClock) -> None:
    outbox = OutboxSender(store, clock=clock)
    await outbox.send(sms("111111"))
    await store.outbox_push("not json", max_len=100)
    await store.outbox_push('{"channel": "fax"}', max_len=100)
    await outbox.send(sms("222222"))
    assert [m["code"] for m in await outbox.messages()] == ["222222", "111111"]


async def test_two_engines_sharing_one_redis_see_one_outbox(
    redis_store: RedisStore, second_redis_store: RedisStore, clock: FakeClock
) -> None:
    outboxes = [
        OutboxSender(redis_store, max_messages=5, clock=clock),
        OutboxSender(second_redis_store, max_messages=5, clock=clock),
    ]
    engines = [
        OTPEngine(
            secret_keys=[KEY],
            store=store,
            sender=outbox,
            limits=Limits(resend_interval_seconds=0),
            clock=clock,
        )
        for store, outbox in zip((redis_store, second_redis_store), outboxes, strict=True)
    ]
    sent = [await engines[n % 2].send(f"1380013800{n}") for n in range(8)]

    newest_first = [s.code for s in reversed(sent)][:5]
    for outbox in outboxes:
        assert [m["code"] for m in await outbox.messages()] == newest_first
    # And what one worker's outbox shows, the other worker's engine accepts.
    latest = (await outboxes[0].messages(limit=1))[0]
    result = await engines[0].verify_recipient(latest["recipient"], latest["code"])
    assert result.recipient.value == "+8613800138007"  # sent by the other engine


async def test_a_store_outage_is_a_delivery_failure(clock: FakeClock) -> None:
    down = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=1)
    try:
        with pytest.raises(DeliveryFailed, match="outbox"):
            await OutboxSender(down, clock=clock).send(sms("123456"))
    finally:
        await down.aclose()


async def test_a_notice_is_kept_without_a_code_and_marked(
    store: OTPStore, clock: FakeClock
) -> None:
    outbox = OutboxSender(store, clock=clock)
    await outbox.send(sms("111111"))
    await outbox.send(NOTICE)
    notice, code = await outbox.messages()
    assert notice == {
        "channel": "sms",
        "recipient": "+8613800138000",
        "usage": "update_userinfo",
        "code": "",
        "text": NOTICE.text,
        "sent_at": "2026-03-10T01:00:00Z",
        "kind": "notice",
    }
    assert "kind" not in code  # a code's entry keeps the shape every reader knows


# ---------------------------------------------------------------- engine.notify


async def test_the_engine_delivers_a_notice_and_touches_no_code(
    store: OTPStore, clock: FakeClock
) -> None:
    outbox = OutboxSender(store, clock=clock)
    engine = OTPEngine(secret_keys=[KEY], store=store, sender=outbox, clock=clock)
    await engine.notify(NOTICE)
    [kept] = await outbox.messages()
    assert kept.get("kind") == "notice" and kept["code"] == ""
    # No code was issued or counted: a code for the same number goes out at once.
    sent = await engine.send("+8613800138000")
    assert sent.windows.minute.count == 1


async def test_the_engine_refuses_to_notify_with_a_code(memory_store: OTPStore) -> None:
    engine = OTPEngine(secret_keys=[KEY], store=memory_store, sender=OutboxSender(memory_store))
    with pytest.raises(ValueError, match="notices"):
        await engine.notify(sms("123456"))
    assert await memory_store.outbox_list(10) == []


async def test_a_notice_without_a_sender_goes_nowhere(memory_store: OTPStore) -> None:
    await OTPEngine(secret_keys=[KEY], store=memory_store).notify(NOTICE)
    assert await memory_store.outbox_list(10) == []


async def test_a_failed_or_hung_notice_is_a_delivery_failure(memory_store: OTPStore) -> None:
    with RecordingHTTPServer() as gateway:
        sender = HTTPSender(url=gateway.url, timeout=10)
        engine = OTPEngine(
            secret_keys=[KEY], store=memory_store, sender=sender, delivery_timeout=0.2
        )
        gateway.queue(500, b"down")
        with pytest.raises(DeliveryFailed, match="notice"):
            await engine.notify(NOTICE)
        gateway.hang()
        with pytest.raises(DeliveryFailed, match="notice") as hung:
            await engine.notify(NOTICE)
        # The engine's delivery timeout (0.2 s) ended it, not the sender's own (10 s), which
        # would have raised the sender's DeliveryFailed ("did not answer in time").
        assert type(hung.value.__cause__) is TimeoutError
        assert [r.json()["text"] for r in gateway.requests] == [NOTICE.text] * 2


@pytest.mark.parametrize("max_messages", [0, -1, 10_001, 2.5, True])
def test_rejects_a_bad_bound(memory_store: OTPStore, max_messages: object) -> None:
    with pytest.raises(ValueError, match="max_messages"):
        OutboxSender(memory_store, max_messages=max_messages)  # type: ignore[arg-type]


async def test_rejects_a_bad_limit(memory_store: OTPStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        await OutboxSender(memory_store).messages(limit=-1)


# ------------------------------------------------------------------ console


async def test_console_logs_a_notice_without_the_code(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "otp_flow.senders.console"):
        await ConsoleSender().send(sms("482913"))
    [record] = caplog.records
    line = record.getMessage()
    assert "482913" not in line
    assert "+8613800138000" not in line
    assert line.startswith("sms login message to +86138****8000")


async def test_console_logs_a_notice_as_a_notice(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "otp_flow.senders.console"):
        await ConsoleSender(show_code=True).send(NOTICE)
    line = caplog.records[-1].getMessage()
    assert line.startswith("sms update_userinfo notice to +86138****8000")


async def test_console_shows_the_code_only_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "otp_flow.senders.console"):
        sender = ConsoleSender(show_code=True)
        await sender.send(sms("482913"))
    warning, notice = caplog.records
    assert warning.levelno == logging.WARNING and "production" in warning.getMessage()
    assert "482913" in notice.getMessage()


@pytest.mark.parametrize(
    ("recipient", "masked"),
    [
        ("+8613812345678", "+86138****5678"),
        ("alice@example.com", "a***@example.com"),
        ("12345", "*****"),
    ],
)
def test_mask_recipient(recipient: str, masked: str) -> None:
    assert mask_recipient(recipient) == masked
