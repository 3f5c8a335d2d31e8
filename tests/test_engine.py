"""OTPEngine against every store: sending, verifying, expiry, invalidation and failure limits."""

from __future__ import annotations

import pytest

from otp_flow import (
    AttemptsExceeded,
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
from otp_flow.senders._base import Message
from otp_flow.stores.base import OTPStore
from otp_flow.types import WindowCount, WindowCounts
from tests.conftest import FakeClock

KEY = "k" * 32
PHONE = "13612345678"
E164 = "+8613612345678"


def make_engine(store: OTPStore, clock: FakeClock, **kwargs: object) -> OTPEngine:
    kwargs.setdefault("limits", Limits(resend_interval_seconds=0))
    return OTPEngine(secret_keys=[KEY], store=store, clock=clock, **kwargs)  # type: ignore[arg-type]


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_send_issues_a_six_digit_code_and_verifies_once(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock)
    sent = await engine.send(PHONE)
    assert sent.recipient.value == E164 and sent.recipient.channel == "sms"
    assert len(sent.code) == 6 and sent.code.isdigit()
    assert sent.expires_at - sent.created_at == 60
    assert sent.usage == "login"

    result = await engine.verify(sent.otp_token, sent.code)
    assert result.recipient.value == E164 and result.usage == "login"
    # Single use: the same correct code never works twice.
    with pytest.raises(CodeExpired):
        await engine.verify(sent.otp_token, sent.code)


async def test_send_returns_the_counts_of_every_window(store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(store, clock, limits=Limits(resend_interval_seconds=0, app_per_day=0))
    await engine.send(PHONE)
    sent = await engine.send(PHONE)
    assert sent.windows == WindowCounts(
        minute=WindowCount(2, 10),
        hour=WindowCount(2, 30),
        day=WindowCount(2, 30),
        app_day=WindowCount(2, 0),
    )
    assert not sent.windows.app_day.enabled and sent.windows.minute.enabled


@pytest.mark.parametrize(
    ("elapsed", "verifies"), [(59, True), (59.999, True), (60, False), (61, False)]
)
async def test_code_expires_at_its_ttl(
    store: OTPStore, clock: FakeClock, elapsed: float, verifies: bool
) -> None:
    engine = make_engine(store, clock)
    sent = await engine.send(PHONE)
    clock.advance(elapsed)
    if verifies:
        assert (await engine.verify(sent.otp_token, sent.code)).recipient.value == E164
    else:
        with pytest.raises(CodeExpired):
            await engine.verify(sent.otp_token, sent.code)


async def test_token_lives_five_minutes_even_when_the_code_lives_longer(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock, policy=CodePolicy(ttl_seconds=300))
    sent = await engine.send(PHONE, ttl_seconds=600)
    clock.advance(301)
    with pytest.raises(InvalidToken):
        await engine.verify(sent.otp_token, sent.code)
    # The code itself is still pending and verifies by recipient.
    assert (await engine.verify_recipient(PHONE, sent.code)).recipient.value == E164


async def test_wrong_codes_count_and_the_limit_kills_the_code(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock)
    sent = await engine.send(PHONE)
    for attempt in range(1, 6):
        with pytest.raises(WrongCode) as info:
            await engine.verify(sent.otp_token, wrong(sent.code))
        assert info.value.failures == attempt
        assert info.value.attempts_remaining == 5 - attempt
    # Dead now: even the right code is refused without being compared.
    with pytest.raises(AttemptsExceeded):
        await engine.verify(sent.otp_token, sent.code)


async def test_a_newer_code_replaces_the_older_one(store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(store, clock)
    first = await engine.send(PHONE)
    second = await engine.send(PHONE)
    with pytest.raises(CodeExpired):
        await engine.verify(first.otp_token, first.code)
    assert (await engine.verify(second.otp_token, second.code)).recipient.value == E164


async def test_a_newer_code_does_not_reset_the_failure_count(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock)
    first = await engine.send(PHONE)
    for _ in range(3):
        with pytest.raises(WrongCode):
            await engine.verify(first.otp_token, wrong(first.code))
    second = await engine.send(PHONE)
    with pytest.raises(WrongCode) as info:
        await engine.verify(second.otp_token, wrong(second.code))
    assert info.value.failures == 4 and info.value.attempts_remaining == 1


async def test_an_exhausted_recipient_gets_no_new_code_until_the_window_ends(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock)
    sent = await engine.send(PHONE)
    for _ in range(5):
        with pytest.raises(WrongCode):
            await engine.verify(sent.otp_token, wrong(sent.code))
    clock.advance(20)
    with pytest.raises(RateLimited) as info:
        await engine.send(PHONE)
    assert info.value.limit == "failures" and info.value.retry_after == 40
    clock.advance(40)
    fresh = await engine.send(PHONE)
    await engine.verify(fresh.otp_token, fresh.code)


async def test_usages_are_independent(store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(store, clock)
    login = await engine.send(PHONE, usage="login")
    signup = await engine.send(PHONE, usage="signup")
    await engine.verify(login.otp_token, login.code)
    result = await engine.verify(signup.otp_token, signup.code)
    assert result.usage == "signup"


async def test_clients_are_independent_and_tokens_are_bound_to_theirs(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock)
    a = await engine.send(PHONE, client_id="a")
    b = await engine.send(PHONE, client_id="b")
    with pytest.raises(InvalidToken):
        await engine.verify(a.otp_token, a.code, client_id="b")
    await engine.verify(a.otp_token, a.code, client_id="a")
    await engine.verify(b.otp_token, b.code, client_id="b")


def test_a_client_id_given_twice_is_refused(memory_store: OTPStore, clock: FakeClock) -> None:
    # Last one winning would quietly drop a client's secret and quota.
    clients = [Client("a", secret="one"), Client("a", secret="two")]
    with pytest.raises(ValueError, match="client id 'a' is configured twice"):
        make_engine(memory_store, clock, clients=clients)


async def test_verify_by_recipient(store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(store, clock)
    with pytest.raises(NoChallenge):
        await engine.verify_recipient(PHONE, "123456")
    sent = await engine.send("+86 136 1234 5678", usage="reset_password")
    with pytest.raises(WrongCode):
        await engine.verify_recipient(E164, wrong(sent.code), usage="reset_password")
    result = await engine.verify_recipient(PHONE, sent.code, usage="reset_password")
    assert result.failures == 1 and result.max_failures == 5


async def test_caller_supplied_code_lifetime_and_failure_limit(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock)
    sent = await engine.send(PHONE, code="4321", ttl_seconds=20 * 60, max_failures=1)
    assert sent.code == "4321" and sent.max_failures == 1
    assert sent.expires_at - sent.created_at == 1200
    with pytest.raises(WrongCode):
        await engine.verify(sent.otp_token, "1234")
    with pytest.raises(AttemptsExceeded):
        await engine.verify(sent.otp_token, "4321")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"code": "123"},
        {"code": "123456789"},
        {"code": "12a4"},
        {"ttl_seconds": 59},
        {"ttl_seconds": 1201},
        {"max_failures": 0},
        {"max_failures": 21},
        {"code_length": 3},
        {"code_length": 11},
        {"usage": "delete_account"},
    ],
)
async def test_out_of_range_parameters_are_refused(
    memory_store: OTPStore, clock: FakeClock, kwargs: dict[str, object]
) -> None:
    engine = make_engine(memory_store, clock)
    with pytest.raises(InvalidRequest):
        await engine.send(PHONE, **kwargs)  # type: ignore[arg-type]


async def test_code_length_and_alphabet_follow_the_policy(
    memory_store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(memory_store, clock, policy=CodePolicy(code_length=8, alphabet="ABCDEF"))
    sent = await engine.send(PHONE)
    assert len(sent.code) == 8 and set(sent.code) <= set("ABCDEF")
    assert len((await engine.send(PHONE, code_length=10)).code) == 10


async def test_forged_and_foreign_tokens_are_invalid(store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(store, clock)
    sent = await engine.send(PHONE)
    other = OTPEngine(secret_keys=["o" * 32], store=store, clock=clock)
    for token in (
        sent.otp_token[:-2] + "xx",
        "",
        "a.b.c",
        (await other.send("13612345679")).otp_token,
    ):
        with pytest.raises(InvalidToken):
            await engine.verify(token, sent.code)


async def test_rotated_keys_still_verify_tokens_and_codes_issued_before(
    store: OTPStore, clock: FakeClock
) -> None:
    old = make_engine(store, clock)
    sent = await old.send(PHONE)
    # A worker that already has the new key (newest last) verifies the old worker's code.
    rotated = OTPEngine(secret_keys=[KEY, "n" * 32], store=store, clock=clock)
    with pytest.raises(WrongCode) as info:
        await rotated.verify(sent.otp_token, wrong(sent.code))
    assert info.value.failures == 1
    result = await rotated.verify(sent.otp_token, sent.code)
    assert result.recipient.value == E164
    # Codes the rotated worker issues are digested with the new key, and verify there too.
    fresh = await rotated.send("13612345679")
    await rotated.verify(fresh.otp_token, fresh.code)
    # Once the old key is gone, its tokens are no longer accepted.
    retired = OTPEngine(secret_keys=["n" * 32], store=store, clock=clock)
    with pytest.raises(InvalidToken):
        await retired.verify(sent.otp_token, sent.code)


async def test_verify_refuses_non_string_codes(memory_store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(memory_store, clock)
    sent = await engine.send(PHONE)
    for bad in ("", "9" * 33, 123456):
        with pytest.raises(InvalidRequest):
            await engine.verify(sent.otp_token, bad)  # type: ignore[arg-type]
    await engine.verify(sent.otp_token, sent.code)


# ------------------------------------------------------------------------------- limits


async def test_resend_interval(store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(store, clock, limits=Limits())
    await engine.send(PHONE)
    clock.advance(10)
    with pytest.raises(RateLimited) as info:
        await engine.send(PHONE, usage="signup")  # any usage: the phone is what gets the SMS
    assert info.value.limit == "resend_interval" and info.value.retry_after == 20
    clock.advance(20)
    await engine.send(PHONE)


async def test_per_minute_limit_refuses_until_the_minute_ends(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock)
    for _ in range(10):
        await engine.send(PHONE)
    with pytest.raises(RateLimited) as info:
        await engine.send(PHONE)
    assert info.value.limit == "recipient_per_minute"
    assert info.value.retry_after == 60  # T0 is on a minute boundary
    assert info.value.windows is not None
    assert info.value.windows.minute == WindowCount(10, 10)
    clock.advance(60)
    await engine.send(PHONE)


async def test_per_hour_and_per_day_limits(store: OTPStore, clock: FakeClock) -> None:
    limits = Limits(
        recipient_per_minute=0, recipient_per_hour=3, recipient_per_day=4, resend_interval_seconds=0
    )
    engine = make_engine(store, clock, limits=limits)
    for _ in range(3):
        await engine.send(PHONE)
    with pytest.raises(RateLimited) as info:
        await engine.send(PHONE)
    assert info.value.limit == "recipient_per_hour" and info.value.retry_after == 3600
    clock.advance(3600)
    await engine.send(PHONE)
    with pytest.raises(RateLimited) as info:
        await engine.send(PHONE)
    assert info.value.limit == "recipient_per_day"
    # 10:00 Shanghai now; the calendar day ends at midnight local time, 14 hours later.
    assert info.value.retry_after == 14 * 3600


async def test_app_per_day_counts_every_recipient_of_one_client_per_calendar_day(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock, limits=Limits(app_per_day=2, resend_interval_seconds=0))
    await engine.send("13612345678")
    await engine.send("13612345679")
    with pytest.raises(RateLimited) as info:
        await engine.send("13612345670")
    assert info.value.limit == "app_per_day"
    await engine.send("13612345670", client_id="another-client")
    # Midnight in Asia/Shanghai (UTC+8), not in UTC, opens a new day.
    clock.advance(15 * 3600 - 1)  # 23:59:59 local
    with pytest.raises(RateLimited):
        await engine.send("13612345670")
    clock.advance(2)
    await engine.send("13612345670")


async def test_the_calendar_day_follows_the_configured_time_zone(
    store: OTPStore, clock: FakeClock
) -> None:
    limits = Limits(app_per_day=1, resend_interval_seconds=0, timezone="UTC")
    engine = make_engine(store, clock, limits=limits)
    await engine.send(PHONE)  # 01:00 UTC
    with pytest.raises(RateLimited) as info:
        await engine.send("13612345679")
    assert info.value.retry_after == 23 * 3600


async def test_a_limit_of_zero_switches_it_off(store: OTPStore, clock: FakeClock) -> None:
    # With the defaults, a second send to one recipient at once is refused (30 s apart) ...
    limited = make_engine(store, clock, limits=Limits())
    await limited.send(PHONE, client_id="limited")
    with pytest.raises(RateLimited):
        await limited.send(PHONE, client_id="limited")
    # ... with every limit at 0, forty are accepted at once (past 10 a minute, 30 an hour and a
    # day, one per 30 s), each with a code of its own, and the newest verifies.
    engine = make_engine(store, clock, limits=Limits.off())
    sent = [await engine.send(PHONE) for _ in range(40)]
    assert len({s.otp_token for s in sent}) == 40
    result = await engine.verify(sent[-1].otp_token, sent[-1].code)
    assert result.recipient.value == E164


async def test_refused_sends_change_nothing(store: OTPStore, clock: FakeClock) -> None:
    engine = make_engine(store, clock, limits=Limits())
    sent = await engine.send(PHONE)
    with pytest.raises(RateLimited):
        await engine.send(PHONE)
    # The pending code survived the refused send.
    assert (await engine.verify(sent.otp_token, sent.code)).recipient.value == E164


# ------------------------------------------------------------------------------- quotas


async def test_quotas_are_per_client_and_channel(store: OTPStore, clock: FakeClock) -> None:
    clients = [Client("metered", sms_quota=2, email_quota=1)]
    engine = make_engine(store, clock, clients=clients)
    await engine.send("13612345678", client_id="metered")
    await engine.send("13612345679", client_id="metered")
    with pytest.raises(QuotaExhausted) as info:
        await engine.send("13612345670", client_id="metered")
    assert info.value.channel == "sms"
    await engine.send("a@example.com", client_id="metered")
    with pytest.raises(QuotaExhausted):
        await engine.send("b@example.com", client_id="metered")
    # Unmetered clients are not affected.
    await engine.send("13612345670", client_id="free")
    assert await store.quota_used("metered", "sms") == 2


class _RefusingSender:
    """A sender whose provider is down: every delivery raises."""

    async def send(self, message: Message) -> None:
        raise ConnectionError("provider down")


async def test_a_failed_delivery_names_the_killed_challenge(
    store: OTPStore, clock: FakeClock
) -> None:
    engine = make_engine(store, clock, sender=_RefusingSender())
    with pytest.raises(DeliveryFailed) as failed:
        await engine.send(PHONE, code="424242")
    token = failed.value.otp_token
    assert token is not None
    # The token is genuine, and its code is dead: nothing that was never delivered verifies.
    assert engine.read_token(token)[1].value == E164
    with pytest.raises(CodeExpired):
        await engine.verify(token, "424242")
