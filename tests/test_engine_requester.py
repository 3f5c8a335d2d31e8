"""The engine's abuse defences: per-requester limits, folded email keys, resend backoff."""

from __future__ import annotations

import pytest

from otp_flow import (
    Limits,
    OTPEngine,
    RateLimited,
    Recipient,
    RequesterLimits,
    RequesterStats,
    TooManyChecks,
    WrongCode,
)
from otp_flow.identifiers import limit_key
from otp_flow.stores.base import OTPStore
from otp_flow.types import WindowCount
from tests.conftest import FakeClock

KEYS = ["engine-requester-test-key-0123456789"]


def engine_on(store: OTPStore, clock: FakeClock, **options: object) -> OTPEngine:
    return OTPEngine(secret_keys=KEYS, store=store, clock=clock, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Jane.Doe+news@GoogleMail.com", "janedoe@gmail.com"),
        ("j.a.n.e.doe@gmail.com", "janedoe@gmail.com"),
        ("ann.lee+shop@example.com", "ann.lee@example.com"),
        ("ANN.LEE@Example.COM", "ann.lee@example.com"),
        ("+tag@example.com", "+tag@example.com"),  # nothing before the +: kept whole
    ],
)
def test_email_limit_keys_fold_every_spelling_of_one_inbox(typed: str, key: str) -> None:
    from otp_flow import IdentifierParser

    assert limit_key(IdentifierParser().email(typed)) == key


def test_phone_limit_keys_are_the_e164_number() -> None:
    assert limit_key(Recipient("sms", "+8613612345678")) == "+8613612345678"


async def test_spellings_share_limits_and_codes_but_delivery_goes_as_typed(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = engine_on(store, clock)
    sent = await engine.send("Jane.Doe+news@googlemail.com")
    assert sent.recipient.value == "jane.doe+news@googlemail.com"
    with pytest.raises(RateLimited) as refused:
        await engine.send("janedoe@gmail.com")
    assert refused.value.limit == "resend_interval"
    # The code verifies by token, and by any spelling of the recipient.
    await engine.verify_recipient("jane.doe@gmail.com", sent.code)


async def test_a_send_reports_where_its_requester_and_the_site_stand(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = engine_on(store, clock)
    first = await engine.send("13612345678", requester="127.0.0.2")
    assert first.requester == RequesterStats(
        window_count=1, window_limit=6, day_count=1, day_limit=20
    )
    signup = await engine.send("13612345679", usage="signup", requester="127.0.0.2")
    assert signup.requester == RequesterStats(1, 4, 2, 20)
    assert signup.windows.app_day == WindowCount(2, 1000)
    assert (await engine.send("13612345670")).requester is None  # no requester named


async def test_the_refusal_names_the_longest_window_with_its_time(
    store: OTPStore, clock: FakeClock
) -> None:
    """F7: once a requester's day is used up, it is told the day, not the hour."""
    limits = RequesterLimits(sends_per_window=2, sends_per_day=2)
    engine = engine_on(store, clock, requester_limits=limits)
    for n in range(2):
        await engine.send(f"1361234567{n}", requester="127.0.0.2")
    with pytest.raises(RateLimited) as refused:
        await engine.send("13612345672", requester="127.0.0.2")
    # 09:00 in Shanghai: the calendar day ends in 15 hours; the requester's window in one.
    assert (refused.value.limit, refused.value.retry_after) == ("requester_per_day", 15 * 3600)
    assert refused.value.requester == RequesterStats(2, 2, 2, 2)


async def test_one_requester_checks_only_so_many_codes(store: OTPStore, clock: FakeClock) -> None:
    engine = engine_on(store, clock, requester_limits=RequesterLimits(checks_per_window=2))
    sent = await engine.send("13612345678")
    for _ in range(2):
        with pytest.raises(WrongCode):
            await engine.verify(sent.otp_token, "000000", requester="127.0.0.2")
    with pytest.raises(TooManyChecks) as refused:
        await engine.verify(sent.otp_token, sent.code, requester="127.0.0.2")
    assert refused.value.retry_after == 3600
    await engine.verify(sent.otp_token, sent.code, requester="127.0.0.3")


async def test_resend_backoff_doubles_the_interval(store: OTPStore, clock: FakeClock) -> None:
    engine = engine_on(store, clock, limits=Limits(resend_backoff_max_seconds=100))
    waits = []
    for _ in range(4):
        await engine.send("13612345678")
        with pytest.raises(RateLimited) as refused:
            await engine.send("13612345678")
        waits.append(refused.value.retry_after)
        clock.advance(refused.value.retry_after)
    assert waits == [30, 60, 100, 100]


def test_backoff_cap_must_not_be_below_the_interval() -> None:
    with pytest.raises(ValueError, match="resend_backoff_max_seconds"):
        Limits(resend_backoff_max_seconds=10)


async def test_a_requester_key_must_be_a_short_string(store: OTPStore, clock: FakeClock) -> None:
    engine = engine_on(store, clock)
    for bad in ("", "x" * 201):
        with pytest.raises(ValueError, match="requester"):
            await engine.send("13612345678", requester=bad)
