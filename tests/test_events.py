"""The engine's observers and the event log: one event per send, refusal and verify."""

from __future__ import annotations

import io
import json
import logging

import pytest

from otp_flow import (
    Client,
    CodeExpired,
    CodePolicy,
    DeliveryFailed,
    InvalidRequest,
    InvalidToken,
    Limits,
    NoChallenge,
    OTPEngine,
    QuotaExhausted,
    RateLimited,
    WrongCode,
)
from otp_flow.events import EventLog, JsonFormatter, event_fields, mask
from otp_flow.observers import Event, SendEvent, VerifyEvent
from otp_flow.senders._base import Message
from otp_flow.senders._outbox import OutboxSender
from otp_flow.stores.base import OTPStore
from otp_flow.types import Recipient
from tests.conftest import FakeClock

KEY = "k" * 32
PHONE, E164, MASKED_PHONE = "13612345678", "+8613612345678", "+86*********78"
EMAIL, MASKED_EMAIL = "alice@example.com", "a***@example.com"


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)


class BrokenSender:
    async def send(self, message: Message) -> None:
        raise ConnectionError("gateway down")


def engine_with(store: OTPStore, clock: FakeClock, **kwargs: object) -> OTPEngine:
    kwargs.setdefault("limits", Limits(resend_interval_seconds=30))
    return OTPEngine(secret_keys=[KEY], store=store, clock=clock, **kwargs)  # type: ignore[arg-type]


def test_masks_keep_the_country_code_last_digits_and_domain() -> None:
    assert mask(Recipient("sms", E164)) == MASKED_PHONE
    assert mask(Recipient("sms", "+12025550123")) == "+1********23"
    assert mask(Recipient("sms", "+85251234567")) == "+852******67"
    assert mask(Recipient("email", EMAIL)) == MASKED_EMAIL
    assert mask(Recipient("email", "x@a.example")) == "x***@a.example"
    assert mask(None) is None


def test_an_events_repr_leaves_the_recipient_out() -> None:
    event = SendEvent("sent", Recipient("sms", E164), "login", "default")
    assert E164 not in repr(event)
    assert E164 not in repr(VerifyEvent("wrong", Recipient("sms", E164), "login", "default"))


async def test_a_real_send_logs_events_and_never_the_code(
    store: OTPStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = OutboxSender(store, clock=clock)
    # Eight-digit codes: a chance match with any other number in a record is out of the question.
    engine = engine_with(store, clock, sender=outbox, policy=CodePolicy(code_length=8))
    with caplog.at_level(logging.INFO, logger="otp_flow"):
        sms = await engine.send(PHONE)
        mail = await engine.send(EMAIL, usage="signup")
        with pytest.raises(RateLimited):
            await engine.send(PHONE)
        with pytest.raises(WrongCode):
            await engine.verify(sms.otp_token, "00000000" if sms.code != "00000000" else "11111111")
        await engine.verify(sms.otp_token, sms.code)
    codes = [entry["code"] for entry in await outbox.messages()]
    assert sorted(codes) == sorted([sms.code, mail.code])

    records = [r for r in caplog.records if r.name == "otp_flow.events"]
    assert [r.getMessage().split(" ")[:2] for r in records] == [
        ["send", "outcome=sent"],
        ["send", "outcome=sent"],
        ["refusal", "outcome=refused"],
        ["verify", "outcome=wrong"],
        ["verify", "outcome=verified"],
    ]
    formatter = JsonFormatter()
    for record in records:
        seen = " ".join(
            [record.getMessage(), formatter.format(record), json.dumps(record.otp_event)]
        )
        for code in codes:
            assert code not in seen
        assert E164 not in seen and EMAIL not in seen
    assert records[0].otp_event == {
        "event": "send",
        "outcome": "sent",
        "channel": "sms",
        "country_code": "86",
        "usage": "login",
        "client_id": "default",
        "recipient": MASKED_PHONE,
        "seconds": records[0].otp_event["seconds"],
    }
    assert records[1].otp_event["recipient"] == MASKED_EMAIL
    assert records[1].otp_event["country_code"] == "none"
    assert records[2].otp_event["limit"] == "resend_interval"
    assert records[2].otp_event["retry_after"] == 30


async def test_json_lines(memory_store: OTPStore, clock: FakeClock) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("otp_flow.events.test_json_lines")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    engine = engine_with(memory_store, clock, observers=[EventLog(logger)])
    sent = await engine.send(PHONE)
    await engine.verify(sent.otp_token, sent.code)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["event"], line["outcome"]) for line in lines] == [
        ("send", "issued"),
        ("verify", "verified"),
    ]
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == logger.name
    assert lines[0]["time"].endswith("Z") and lines[0]["recipient"] == MASKED_PHONE
    assert sent.code not in stream.getvalue()


async def test_one_event_per_outcome(store: OTPStore, clock: FakeClock) -> None:
    seen = Recorder()
    limited = Client("limited", "secret-0123456789", sms_quota=1)
    outbox = OutboxSender(store, clock=clock)
    engine = engine_with(store, clock, sender=outbox, observers=[seen], clients=[limited])

    sent = await engine.send(PHONE)
    await engine.send("13612345679", deliver=False, usage="signup")
    with pytest.raises(RateLimited):
        await engine.send(PHONE)
    await engine.send("13612345670", client_id="limited")
    with pytest.raises(QuotaExhausted):
        await engine.send("13612345671", client_id="limited")
    broken = engine_with(store, clock, sender=BrokenSender(), observers=[seen])
    with pytest.raises(DeliveryFailed):
        await broken.send(EMAIL, usage="reset_password")

    with pytest.raises(WrongCode):
        await engine.verify(sent.otp_token, "000000" if sent.code != "000000" else "111111")
    await engine.verify(sent.otp_token, sent.code)
    with pytest.raises(CodeExpired):
        await engine.verify(sent.otp_token, sent.code)
    with pytest.raises(InvalidToken):
        await engine.verify("forged.token", "123456")
    with pytest.raises(NoChallenge):
        await engine.verify_recipient(EMAIL, "123456", usage="update_userinfo")

    summary = [
        (type(e).__name__, e.outcome, e.channel, e.usage, e.client_id, getattr(e, "limit", None))
        for e in seen.events
    ]
    assert summary == [
        ("SendEvent", "sent", "sms", "login", "default", None),
        ("SendEvent", "silent", "sms", "signup", "default", None),
        ("SendEvent", "refused", "sms", "login", "default", "resend_interval"),
        ("SendEvent", "sent", "sms", "login", "limited", None),
        ("SendEvent", "refused", "sms", "login", "limited", "quota"),
        ("SendEvent", "failed", "email", "reset_password", "default", None),
        ("VerifyEvent", "wrong", "sms", "login", "default", None),
        ("VerifyEvent", "verified", "sms", "login", "default", None),
        ("VerifyEvent", "expired", "sms", "login", "default", None),
        ("VerifyEvent", "invalid_token", None, None, None, None),
        ("VerifyEvent", "no_challenge", "email", "update_userinfo", "default", None),
    ]
    sends = [e for e in seen.events if isinstance(e, SendEvent)]
    # Only a delivery (or a failed one) is timed.
    assert [e.seconds is not None for e in sends] == [True, False, False, True, False, True]
    assert sends[0].recipient == Recipient("sms", E164)


async def test_bad_input_is_not_an_event(memory_store: OTPStore, clock: FakeClock) -> None:
    seen = Recorder()
    engine = engine_with(memory_store, clock, observers=[seen])
    with pytest.raises(Exception, match="phone"):
        await engine.send("not a number")
    with pytest.raises(InvalidRequest):
        await engine.verify_recipient(PHONE, "")
    # The engine's own order of checks holds with observers too: the usage before the number.
    with pytest.raises(InvalidRequest, match="usage"):
        await engine.send("not a number", usage="bogus")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="code"):
        await engine.verify_recipient("not a number", "")
    assert seen.events == []


async def test_a_failing_observer_never_breaks_a_send(
    memory_store: OTPStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("observer bug")

    seen = Recorder()
    engine = engine_with(memory_store, clock, observers=[broken, seen])
    sent = await engine.send(PHONE)
    assert (await engine.verify(sent.otp_token, sent.code)).recipient.value == E164
    assert [e.outcome for e in seen.events] == ["issued", "verified"]
    assert any("observer" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)


def test_the_event_log_is_the_default_observer(memory_store: OTPStore) -> None:
    engine = OTPEngine(secret_keys=[KEY], store=memory_store)
    assert [type(o) for o in engine.observers] == [EventLog]
    assert OTPEngine(secret_keys=[KEY], store=memory_store, observers=()).observers == []


def test_verify_fields_have_no_country_code() -> None:
    fields = event_fields(VerifyEvent("invalid_token", None, None, None))
    assert fields == {"event": "verify", "outcome": "invalid_token"}
