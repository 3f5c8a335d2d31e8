"""The OTPStore contract (``otp_flow/stores/base.py``), run against every store backend: memory,
single Redis and a 3-master Redis Cluster (the ``every_store`` mark).

Each test drives the store directly with the request dataclasses; time is an integer of engine
milliseconds the test moves by hand, so nothing here sleeps or depends on the store's clock.
"""

from __future__ import annotations

import hashlib
import itertools

import pytest

from otp_flow.stores.base import (
    IssueOutcome,
    IssueRequest,
    OTPStore,
    RequesterChecks,
    RequesterSends,
    ThrottleOutcome,
    VerifyOutcome,
    VerifyRequest,
    Window,
)
from otp_flow.types import Channel, Usage

pytestmark = pytest.mark.every_store

T = 1_773_104_400_000  # 2026-03-10 01:00:00 UTC, in ms
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
CLIENT = "demo"
PHONE = "+8613612345678"
CODE = "123456"

_ids = itertools.count(140_737_488_355_328)  # 2**47: shaped like the engine's challenge ids


def digest(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()[:16]


def window(now: int, length: int, limit: int) -> Window:
    return Window(id=now // length, ends_ms=(now // length + 1) * length, limit=limit)


DAY_END = window(T, DAY, 0).ends_ms  # the end of T's (UTC) day in these tests


def issue_request(
    now: int = T,
    *,
    client: str = CLIENT,
    recipient: str = PHONE,
    usage: Usage = "login",
    channel: Channel = "sms",
    code: str = CODE,
    challenge_id: str | None = None,
    ttl: int = MINUTE,
    max_failures: int = 5,
    minute: int = 0,
    hour: int = 0,
    day: int = 0,
    app_day: int = 0,
    resend: int = 0,
    quota: int | None = None,
    requester: RequesterSends | None = None,
    backoff: int = 0,
) -> IssueRequest:
    """A send with every limit off unless asked for."""
    return IssueRequest(
        client_id=client,
        recipient=recipient,
        channel=channel,
        usage=usage,
        challenge_id=challenge_id or str(next(_ids)),
        digest=digest(code),
        now_ms=now,
        expires_ms=now + ttl,
        max_failures=max_failures,
        minute=window(now, MINUTE, minute),
        hour=window(now, HOUR, hour),
        day=window(now, DAY, day),
        app_day=window(now, DAY, app_day),
        resend_interval_ms=resend,
        quota=quota,
        requester=requester,
        resend_backoff_max_ms=backoff,
    )


def verify_request(
    now: int = T,
    *,
    code: str = CODE,
    client: str = CLIENT,
    recipient: str = PHONE,
    usage: Usage = "login",
    challenge_id: str | None = None,
    requester: RequesterChecks | None = None,
) -> VerifyRequest:
    return VerifyRequest(
        client, recipient, usage, challenge_id, digest(code), now, requester=requester
    )


def asking(
    key: str = "127.0.0.2",
    *,
    budget: str = "l",
    window: int = 0,
    day: int = 0,
    recipient_day: int = 0,
    window_ms: int = 10 * MINUTE,
) -> RequesterSends:
    """A requester's limits for one send (every one off unless asked for)."""
    return RequesterSends(key, budget, window_ms, window, day, recipient_day)  # type: ignore[arg-type]


def phone(n: int) -> str:
    return f"+86137{n:08d}"


def counts(outcome: IssueOutcome) -> tuple[int, int, int, int]:
    return (outcome.minute_count, outcome.hour_count, outcome.day_count, outcome.app_day_count)


def accepted(*window_counts: int) -> IssueOutcome:
    return IssueOutcome(True, None, 0, *window_counts)


# --- issue: acceptance and counting -------------------------------------------------------


async def test_first_send_is_accepted_and_counted(store: OTPStore) -> None:
    assert await store.issue(issue_request()) == accepted(1, 1, 1, 1)
    assert await store.quota_used(CLIENT, "sms") == 1
    assert await store.quota_used(CLIENT, "email") == 0


async def test_every_window_counts_per_recipient_and_app_day_per_client(store: OTPStore) -> None:
    await store.issue(issue_request())
    await store.issue(issue_request(T + 1))
    outcome = await store.issue(issue_request(T + 2, recipient="+8613700000000"))
    assert outcome == accepted(1, 1, 1, 3)


async def test_disabled_windows_are_counted_but_never_refuse(store: OTPStore) -> None:
    for n in range(1, 13):
        assert await store.issue(issue_request(T + n)) == accepted(n, n, n, n)


async def test_count_of_an_older_window_id_counts_zero(store: OTPStore) -> None:
    await store.issue(issue_request(T, minute=2))
    await store.issue(issue_request(T + 1, minute=2))
    refused = await store.issue(issue_request(T + 2, minute=2))
    assert refused.refused_by == "recipient_per_minute"
    # The next minute window: the two old sends no longer count there, but still in the hour.
    outcome = await store.issue(issue_request(T + MINUTE, minute=2))
    assert outcome == accepted(1, 3, 3, 3)
    # The next day: every recipient window and the app day start again.
    assert await store.issue(issue_request(T + DAY, minute=2)) == accepted(1, 1, 1, 1)


async def test_accepted_send_replaces_the_challenge(store: OTPStore) -> None:
    first = issue_request(code="111111")
    await store.issue(first)
    second = issue_request(T + 1, code="222222")
    await store.issue(second)
    old_token = verify_request(T + 2, code="111111", challenge_id=first.challenge_id)
    assert (await store.verify(old_token)).status == "replaced"
    assert (await store.verify(verify_request(T + 2, code="333333"))).status == "wrong"
    new = verify_request(T + 3, code="222222", challenge_id=second.challenge_id)
    assert (await store.verify(new)).status == "verified"


# --- issue: each refusal, in order ---------------------------------------------------------


async def test_resend_interval_refuses_until_it_ends(store: OTPStore) -> None:
    await store.issue(issue_request(resend=30_000))
    refused = await store.issue(issue_request(T + 10_000, resend=30_000))
    assert refused == IssueOutcome(False, "resend_interval", 20_000, 1, 1, 1, 1)
    assert await store.issue(issue_request(T + 30_000, resend=30_000)) == accepted(2, 2, 2, 2)


async def test_resend_interval_spans_every_usage(store: OTPStore) -> None:
    await store.issue(issue_request(usage="login"))
    refused = await store.issue(issue_request(T + 1_000, usage="signup", resend=30_000))
    assert (refused.refused_by, refused.retry_after_ms) == ("resend_interval", 29_000)


async def test_minute_window_refuses_until_the_window_ends(store: OTPStore) -> None:
    for n in range(3):
        await store.issue(issue_request(T + n, minute=3))
    refused = await store.issue(issue_request(T + 5_000, minute=3))
    ends = window(T, MINUTE, 3).ends_ms
    assert refused == IssueOutcome(False, "recipient_per_minute", ends - T - 5_000, 3, 3, 3, 3)


async def test_hour_window_refuses_until_the_window_ends(store: OTPStore) -> None:
    await store.issue(issue_request(T, hour=2))
    await store.issue(issue_request(T + MINUTE, hour=2))
    now = T + 2 * MINUTE
    refused = await store.issue(issue_request(now, hour=2))
    ends = window(now, HOUR, 2).ends_ms
    assert refused == IssueOutcome(False, "recipient_per_hour", ends - now, 0, 2, 2, 2)


async def test_day_window_refuses_until_the_window_ends(store: OTPStore) -> None:
    await store.issue(issue_request(T, day=2))
    await store.issue(issue_request(T + HOUR, day=2))
    now = T + 2 * HOUR
    refused = await store.issue(issue_request(now, day=2))
    ends = window(now, DAY, 2).ends_ms
    assert refused == IssueOutcome(False, "recipient_per_day", ends - now, 0, 0, 2, 2)


async def test_app_day_window_counts_every_recipient_of_the_client(store: OTPStore) -> None:
    await store.issue(issue_request(recipient="+8613700000001", app_day=2))
    await store.issue(issue_request(recipient="+8613700000002", app_day=2))
    refused = await store.issue(issue_request(T + 1, app_day=2))
    ends = window(T, DAY, 2).ends_ms
    assert refused == IssueOutcome(False, "app_per_day", ends - T - 1, 0, 0, 0, 2)
    other_client = await store.issue(issue_request(T + 1, client="other", app_day=2))
    assert other_client == accepted(1, 1, 1, 1)


async def test_the_limit_that_refuses_longest_is_named(store: OTPStore) -> None:
    await store.issue(issue_request(minute=1, hour=1, quota=1))
    # Resend interval, minute and hour windows and quota all refuse: the hour refuses longest,
    # so it is named, with its end as the retry time (never "retry in 10 s" while it refuses).
    refused = await store.issue(issue_request(T + 1, minute=1, hour=1, resend=10_000, quota=1))
    assert (refused.refused_by, refused.retry_after_ms) == ("recipient_per_hour", HOUR - 1)
    refused = await store.issue(issue_request(T + 1, minute=1, resend=10_000, quota=1))
    assert (refused.refused_by, refused.retry_after_ms) == ("recipient_per_minute", MINUTE - 1)
    refused = await store.issue(issue_request(T + 1, resend=10_000, quota=1))
    assert (refused.refused_by, refused.retry_after_ms) == ("resend_interval", 10_000 - 1)
    # The windows come before failures and quota: quota only refuses once they all pass.
    refused = await store.issue(issue_request(T + 1, minute=1, quota=1))
    assert refused.refused_by == "recipient_per_minute"
    refused = await store.issue(issue_request(T + 1, quota=1))
    assert refused.refused_by == "quota"


async def test_refused_send_changes_nothing(store: OTPStore) -> None:
    first = issue_request(code="111111", quota=5)
    await store.issue(first)
    refused = await store.issue(issue_request(T + 1, code="222222", minute=1, quota=5))
    assert refused.refused_by == "recipient_per_minute"
    assert await store.quota_used(CLIENT, "sms") == 1
    # The old code is still the current one, and the counts did not move.
    ok = verify_request(T + 2, code="111111", challenge_id=first.challenge_id)
    assert (await store.verify(ok)).status == "verified"
    assert await store.issue(issue_request(T + 3)) == accepted(2, 2, 2, 2)


async def test_failures_carry_over_to_the_next_code(store: OTPStore) -> None:
    await store.issue(issue_request(max_failures=3))
    for _ in range(2):
        await store.verify(verify_request(T + 1, code="000000"))
    await store.issue(issue_request(T + 2, max_failures=3))
    assert await store.verify(verify_request(T + 3, code="000000")) == VerifyOutcome("wrong", 3, 3)
    refused = await store.issue(issue_request(T + 4, max_failures=3))
    # Refused until the challenge holding the failures expires (issued at T + 2, 60 s TTL).
    assert refused == IssueOutcome(False, "failures", T + 2 + MINUTE - (T + 4), 2, 2, 2, 2)


async def test_carried_failures_are_checked_against_the_new_limit(store: OTPStore) -> None:
    await store.issue(issue_request(max_failures=5))
    for _ in range(2):
        await store.verify(verify_request(T + 1, code="000000"))
    refused = await store.issue(issue_request(T + 2, max_failures=2))
    assert (refused.refused_by, refused.retry_after_ms) == ("failures", MINUTE - 2)
    assert (await store.issue(issue_request(T + 3, max_failures=3))).accepted


async def test_failures_of_an_expired_challenge_are_forgotten(store: OTPStore) -> None:
    await store.issue(issue_request(max_failures=2))
    for _ in range(2):
        await store.verify(verify_request(T + 1, code="000000"))
    assert not (await store.issue(issue_request(T + MINUTE - 1, max_failures=2))).accepted
    assert (await store.issue(issue_request(T + MINUTE, max_failures=2))).accepted
    outcome = await store.verify(verify_request(T + MINUTE + 1, code="000000"))
    assert outcome == VerifyOutcome("wrong", 1, 2)


async def test_quota_refuses_when_used_up(store: OTPStore) -> None:
    await store.issue(issue_request(quota=2))
    await store.issue(issue_request(T + 1, recipient="+8613700000000", quota=2))
    refused = await store.issue(issue_request(T + 2, quota=2))
    assert refused == IssueOutcome(False, "quota", 0, 1, 1, 1, 2)
    assert await store.quota_used(CLIENT, "sms") == 2
    # Quota is per channel: the email quota is untouched.
    assert (await store.issue(issue_request(T + 3, channel="email", quota=2))).accepted
    assert await store.quota_used(CLIENT, "email") == 1


async def test_no_quota_means_unlimited_but_still_counted(store: OTPStore) -> None:
    for n in range(5):
        await store.issue(issue_request(T + n, quota=None))
    assert await store.quota_used(CLIENT, "sms") == 5


# --- cancel ------------------------------------------------------------------------------


async def test_cancel_kills_the_challenge_and_refunds_quota(store: OTPStore) -> None:
    request = issue_request(quota=1)
    await store.issue(request)
    assert (await store.issue(issue_request(T + 1, quota=1))).refused_by == "quota"
    await store.cancel(
        client_id=CLIENT,
        recipient=PHONE,
        usage="login",
        channel="sms",
        challenge_id=request.challenge_id,
        refund_quota=True,
    )
    assert await store.quota_used(CLIENT, "sms") == 0
    assert (await store.verify(verify_request(T + 2))).status == "no_challenge"
    # The rate-limit counts are not given back: the failed delivery still counts.
    assert await store.issue(issue_request(T + 3, quota=1)) == accepted(2, 2, 2, 2)


async def test_cancel_only_kills_the_same_challenge(store: OTPStore) -> None:
    first = issue_request(code="111111")
    second = issue_request(T + 1, code="222222")
    await store.issue(first)
    await store.issue(second)
    await store.cancel(
        client_id=CLIENT,
        recipient=PHONE,
        usage="login",
        channel="sms",
        challenge_id=first.challenge_id,
        refund_quota=False,
    )
    assert await store.quota_used(CLIENT, "sms") == 2
    check = verify_request(T + 2, code="222222", challenge_id=second.challenge_id)
    assert (await store.verify(check)).status == "verified"


async def test_cancel_never_refunds_below_zero(store: OTPStore) -> None:
    for challenge_id in ("1", "2"):
        await store.cancel(
            client_id=CLIENT,
            recipient=PHONE,
            usage="login",
            channel="sms",
            challenge_id=challenge_id,
            refund_quota=True,
        )
    assert await store.quota_used(CLIENT, "sms") == 0
    assert (await store.issue(issue_request(quota=1))).accepted


# --- verify ------------------------------------------------------------------------------


async def test_verify_without_a_challenge(store: OTPStore) -> None:
    assert await store.verify(verify_request()) == VerifyOutcome("no_challenge", 0, 0)
    await store.issue(issue_request(usage="signup"))
    assert (await store.verify(verify_request(usage="login"))).status == "no_challenge"


async def test_verify_the_right_code_once(store: OTPStore) -> None:
    request = issue_request()
    await store.issue(request)
    check = verify_request(T + 1, challenge_id=request.challenge_id)
    assert await store.verify(check) == VerifyOutcome("verified", 0, 5)
    # Single use: the challenge is gone.
    assert (await store.verify(check)).status == "no_challenge"


async def test_verify_without_challenge_id_checks_the_current_code(store: OTPStore) -> None:
    await store.issue(issue_request(code="111111"))
    await store.issue(issue_request(T + 1, code="222222"))
    assert (await store.verify(verify_request(T + 2, code="333333"))).status == "wrong"
    assert (await store.verify(verify_request(T + 3, code="222222"))).status == "verified"


async def test_verify_by_recipient_recognises_the_replaced_code(store: OTPStore) -> None:
    await store.issue(issue_request(code="111111"))
    await store.issue(issue_request(T + 1, code="222222"))
    # The older message's code is "replaced", and costs no attempt against the current code.
    assert await store.verify(verify_request(T + 2, code="111111")) == VerifyOutcome(
        "replaced", 0, 5
    )
    assert (await store.verify(verify_request(T + 3, code="999999"))).failures == 1
    # Only the code just before counts: a third code forgets the first.
    await store.issue(issue_request(T + 4, code="333333"))
    assert (await store.verify(verify_request(T + 5, code="111111"))).status == "wrong"


async def test_verify_names_a_replaced_challenge(store: OTPStore) -> None:
    await store.issue(issue_request())
    outcome = await store.verify(verify_request(T + 1, challenge_id="140000000000001"))
    assert outcome == VerifyOutcome("replaced", 0, 5)
    outcome = await store.verify(verify_request(T + 1, challenge_id="not-an-id"))
    assert outcome.status == "replaced"


async def test_verify_expires_at_exactly_the_expiry(store: OTPStore) -> None:
    await store.issue(issue_request(ttl=MINUTE))
    assert await store.verify(verify_request(T + MINUTE)) == VerifyOutcome("expired", 0, 5)
    assert (await store.verify(verify_request(T + MINUTE - 1_000))).status == "verified"


async def test_wrong_code_counts_failures_up_to_the_limit(store: OTPStore) -> None:
    await store.issue(issue_request(max_failures=3))
    for n in (1, 2, 3):
        outcome = await store.verify(verify_request(T + n, code="000000"))
        assert outcome == VerifyOutcome("wrong", n, 3)
    # Dead now: even the right code is not compared any more.
    assert await store.verify(verify_request(T + 4)) == VerifyOutcome("exceeded", 3, 3)
    assert await store.verify(verify_request(T + 5, code="000000")) == VerifyOutcome(
        "exceeded", 3, 3
    )


async def test_a_digest_of_another_length_is_just_wrong(store: OTPStore) -> None:
    await store.issue(issue_request())
    short = VerifyRequest(CLIENT, PHONE, "login", None, digest(CODE)[:8], T + 1)
    assert await store.verify(short) == VerifyOutcome("wrong", 1, 5)
    long = VerifyRequest(CLIENT, PHONE, "login", None, digest(CODE) + b"\x00", T + 2)
    assert await store.verify(long) == VerifyOutcome("wrong", 2, 5)


async def test_verify_checks_in_order(store: OTPStore) -> None:
    request = issue_request(max_failures=1)
    await store.issue(request)
    await store.verify(verify_request(T + 1, code="000000"))
    # Exhausted and expired: expiry is reported first; a foreign challenge id before both.
    late = verify_request(T + MINUTE, challenge_id=request.challenge_id)
    assert await store.verify(late) == VerifyOutcome("expired", 1, 1)
    foreign = verify_request(T + MINUTE, challenge_id="140000000000001")
    assert await store.verify(foreign) == VerifyOutcome("replaced", 1, 1)


# --- independence ------------------------------------------------------------------------


async def test_usages_are_independent(store: OTPStore) -> None:
    await store.issue(issue_request(usage="login", code="111111"))
    await store.issue(issue_request(T + 1, usage="signup", code="222222"))
    await store.issue(issue_request(T + 2, usage="update_userinfo", code="333333"))
    outcome = await store.issue(issue_request(T + 3, usage="reset_password", code="444444"))
    assert outcome == accepted(4, 4, 4, 4)  # the windows count every usage of the recipient
    wrong = verify_request(T + 4, usage="signup", code="111111")
    assert await store.verify(wrong) == VerifyOutcome("wrong", 1, 5)
    for usage, code in (("login", "111111"), ("update_userinfo", "333333")):
        assert (await store.verify(verify_request(T + 5, usage=usage, code=code))).status == (
            "verified"
        )
    assert (await store.verify(verify_request(T + 6, usage="signup", code="222222"))) == (
        VerifyOutcome("verified", 1, 5)
    )
    reset = verify_request(T + 7, usage="reset_password", code="444444")
    assert (await store.verify(reset)).status == "verified"


async def test_clients_are_independent(store: OTPStore) -> None:
    await store.issue(issue_request(client="a", code="111111", quota=1))
    assert (await store.issue(issue_request(T + 1, client="b", code="222222", quota=1))) == (
        accepted(1, 1, 1, 1)
    )
    assert await store.quota_used("a", "sms") == await store.quota_used("b", "sms") == 1
    assert (await store.verify(verify_request(T + 2, client="b", code="111111"))).status == "wrong"
    assert (await store.verify(verify_request(T + 3, client="a", code="111111"))).status == (
        "verified"
    )
    assert (await store.verify(verify_request(T + 4, client="b", code="222222"))) == (
        VerifyOutcome("verified", 1, 5)
    )


async def test_recipients_are_independent(store: OTPStore) -> None:
    await store.issue(issue_request(minute=1, resend=30_000))
    other = await store.issue(issue_request(T + 1, recipient="+8613700000000", minute=1))
    assert other == accepted(1, 1, 1, 2)
    assert (await store.verify(verify_request(T + 2, recipient="+8613700000000"))).status == (
        "verified"
    )
    assert (await store.verify(verify_request(T + 3))).status == "verified"


# --- nonces and the outbox -----------------------------------------------------------------


async def test_nonce_is_remembered_for_its_lifetime(store: OTPStore) -> None:
    assert await store.remember_nonce("demo", "n-1", now_ms=T, ttl_ms=5 * MINUTE)
    assert not await store.remember_nonce("demo", "n-1", now_ms=T + 1, ttl_ms=5 * MINUTE)
    assert not await store.remember_nonce("demo", "n-1", now_ms=T + 5 * MINUTE - 1, ttl_ms=1)
    # Other nonces and other scopes are not replays.
    assert await store.remember_nonce("demo", "n-2", now_ms=T + 2, ttl_ms=5 * MINUTE)
    assert await store.remember_nonce("other", "n-1", now_ms=T + 3, ttl_ms=5 * MINUTE)


async def test_nonce_is_forgotten_after_its_lifetime(store: OTPStore) -> None:
    assert await store.remember_nonce("demo", "n-1", now_ms=T, ttl_ms=5 * MINUTE)
    assert await store.remember_nonce("demo", "n-1", now_ms=T + 5 * MINUTE, ttl_ms=5 * MINUTE)
    # Remembered again from its second use.
    assert not await store.remember_nonce("demo", "n-1", now_ms=T + 6 * MINUTE, ttl_ms=MINUTE)


async def test_outbox_is_bounded_and_newest_first(store: OTPStore) -> None:
    assert await store.outbox_list(10) == []
    for n in range(5):
        await store.outbox_push(f'{{"n": {n}, "text": "ünïcode"}}', max_len=3)
    assert await store.outbox_list(10) == [
        '{"n": 4, "text": "ünïcode"}',
        '{"n": 3, "text": "ünïcode"}',
        '{"n": 2, "text": "ünïcode"}',
    ]
    assert await store.outbox_list(1) == ['{"n": 4, "text": "ünïcode"}']
    assert await store.outbox_list(0) == []
    await store.outbox_push("last", max_len=1)
    assert await store.outbox_list(10) == ["last"]


async def test_ping_and_quota_of_an_unknown_client(store: OTPStore) -> None:
    await store.ping()
    assert await store.quota_used("nobody", "email") == 0


# --- throttle --------------------------------------------------------------------------------


async def test_throttle_allows_up_to_the_limit_per_window(store: OTPStore) -> None:
    for n in range(1, 4):
        outcome = await store.throttle("web", "pw:u1", now_ms=T + n, window_ms=60_000, limit=3)
        assert outcome == ThrottleOutcome(True, n, 0)
    refused = await store.throttle("web", "pw:u1", now_ms=T + 10_001, window_ms=60_000, limit=3)
    # The window started at the first attempt (T + 1) and ends 60 s later.
    assert refused == ThrottleOutcome(False, 3, 50_000)
    # Other keys and scopes are independent.
    assert (await store.throttle("web", "pw:u2", now_ms=T, window_ms=60_000, limit=3)).allowed
    assert (await store.throttle("api", "pw:u1", now_ms=T, window_ms=60_000, limit=3)).allowed
    # A new window opens once the old one ended.
    again = await store.throttle("web", "pw:u1", now_ms=T + 60_001, window_ms=60_000, limit=3)
    assert again == ThrottleOutcome(True, 1, 0)


async def test_clear_throttle_forgets_the_count(store: OTPStore) -> None:
    for _ in range(2):
        await store.throttle("web", "k", now_ms=T, window_ms=60_000, limit=2)
    assert not (await store.throttle("web", "k", now_ms=T, window_ms=60_000, limit=2)).allowed
    await store.clear_throttle("web", "k")
    assert (await store.throttle("web", "k", now_ms=T, window_ms=60_000, limit=2)).allowed


async def test_throttles_of_other_window_lengths_do_not_shorten_each_other(
    store: OTPStore,
) -> None:
    fifteen_minutes = 15 * 60_000
    for _ in range(2):
        await store.throttle("web", "pw", now_ms=T, window_ms=fifteen_minutes, limit=2)
    # Much later, but within the 15 minutes, a one-minute throttle elsewhere is used.
    later = T + 2 * 60_000
    await store.throttle("api", "other", now_ms=later, window_ms=60_000, limit=1)
    locked = await store.throttle("web", "pw", now_ms=later, window_ms=fifteen_minutes, limit=2)
    assert locked == ThrottleOutcome(False, 2, fifteen_minutes - 2 * 60_000)


async def test_cancel_keeps_the_failures_that_carry_over(store: OTPStore) -> None:
    first = issue_request(code="111111")
    await store.issue(first)
    for n in range(4):
        await store.verify(verify_request(T + 1 + n, code="999999"))
    second = issue_request(T + 10, code="222222")
    await store.issue(second)  # carries 4 failures; its delivery fails:
    await store.cancel(
        client_id=second.client_id,
        recipient=second.recipient,
        usage=second.usage,
        channel=second.channel,
        challenge_id=second.challenge_id,
        refund_quota=False,
    )
    # The undelivered code is dead, by token and by recipient...
    dead = verify_request(T + 11, code="222222", challenge_id=second.challenge_id)
    assert (await store.verify(dead)).status == "no_challenge"
    assert (await store.verify(verify_request(T + 11, code="222222"))).status == "no_challenge"
    # ...and the next code still carries the 4 failures: one attempt left.
    await store.issue(issue_request(T + 12, code="333333"))
    outcome = await store.verify(verify_request(T + 13, code="999999"))
    assert outcome == VerifyOutcome("wrong", 5, 5)


async def test_older_digests_verify_a_code_issued_before_a_key_rotation(store: OTPStore) -> None:
    await store.issue(issue_request(code="111111"))
    rotated = VerifyRequest(
        client_id=CLIENT,
        recipient=PHONE,
        usage="login",
        challenge_id=None,
        digest=digest("under-the-new-key"),
        now_ms=T + 1,
        older_digests=(digest("something-else"), digest("111111")),
    )
    assert (await store.verify(rotated)).status == "verified"


# --- requesters (who is asking) ------------------------------------------------------------


async def test_requester_window_starts_at_its_first_send_and_budgets_are_separate(
    store: OTPStore,
) -> None:
    start = T + 7 * MINUTE  # not on a window boundary: the window is the requester's own
    for n in range(3):
        outcome = await store.issue(
            issue_request(start + n, recipient=phone(n), requester=asking(window=3))
        )
        assert (outcome.accepted, outcome.requester_window_count) == (True, n + 1)
    refused = await store.issue(
        issue_request(start + 5, recipient=phone(9), requester=asking(window=3))
    )
    assert refused.refused_by == "requester_per_window"
    assert refused.retry_after_ms == 10 * MINUTE - 5
    assert refused.requester_window_count == 3
    # Signup spends its own budget; another requester has its own everything.
    signup = asking(budget="s", window=2)
    assert (
        await store.issue(issue_request(start + 6, recipient=phone(10), requester=signup))
    ).accepted
    other = asking("127.0.0.3", window=3)
    assert (
        await store.issue(issue_request(start + 7, recipient=phone(11), requester=other))
    ).accepted
    # When the requester's window ends, a new one starts with the next send.
    again = await store.issue(
        issue_request(start + 10 * MINUTE, recipient=phone(12), requester=asking(window=3))
    )
    assert (again.accepted, again.requester_window_count, again.requester_day_count) == (True, 1, 5)


async def test_requester_day_caps_all_its_sends(store: OTPStore) -> None:
    for n in range(2):
        await store.issue(issue_request(T + n, recipient=phone(n), requester=asking(day=3)))
    await store.issue(
        issue_request(
            T + 2, recipient=phone(2), usage="signup", requester=asking(budget="s", day=3)
        )
    )
    refused = await store.issue(issue_request(T + 3, recipient=phone(3), requester=asking(day=3)))
    assert (refused.refused_by, refused.retry_after_ms) == ("requester_per_day", DAY_END - T - 3)
    assert refused.requester_day_count == 3
    # Without a requester (an authenticated API client) nothing of this applies.
    assert (await store.issue(issue_request(T + 4, recipient=phone(3)))).accepted


async def test_one_requester_cannot_use_up_a_recipients_day(store: OTPStore) -> None:
    mine = asking(recipient_day=2)
    for n in range(2):
        assert (await store.issue(issue_request(T + n, day=4, requester=mine))).accepted
    refused = await store.issue(issue_request(T + 2, day=4, requester=mine))
    assert (refused.refused_by, refused.retry_after_ms) == (
        "requester_recipient_per_day",
        DAY_END - T - 2,
    )
    # The owner, from another requester, still gets codes up to the recipient's own ceiling.
    owner = asking("127.0.0.9", recipient_day=2)
    for n in range(2):
        assert (await store.issue(issue_request(T + 3 + n, day=4, requester=owner))).accepted
    refused = await store.issue(issue_request(T + 5, day=4, requester=asking("127.0.0.10")))
    assert refused.refused_by == "recipient_per_day"
    # The next day the requester starts afresh.
    assert (await store.issue(issue_request(T + DAY, day=4, requester=mine))).accepted


async def test_the_longest_refusal_wins_across_requester_and_recipient_limits(
    store: OTPStore,
) -> None:
    mine = asking(window=1, day=1)
    await store.issue(issue_request(T, minute=1, requester=mine))
    refused = await store.issue(issue_request(T + 1, minute=1, resend=10_000, requester=mine))
    assert (refused.refused_by, refused.retry_after_ms) == ("requester_per_day", DAY_END - T - 1)


async def test_resend_backoff_doubles_the_interval_up_to_its_cap(store: OTPStore) -> None:
    now, waits = T, []
    for _ in range(5):
        assert (await store.issue(issue_request(now, resend=30_000, backoff=100_000))).accepted
        refused = await store.issue(issue_request(now + 1, resend=30_000, backoff=100_000))
        assert refused.refused_by == "resend_interval"
        waits.append(refused.retry_after_ms + 1)
        now += refused.retry_after_ms + 1
    assert waits == [30_000, 60_000, 100_000, 100_000, 100_000]
    # Without the backoff the interval stays fixed.
    refused = await store.issue(issue_request(now + 1, recipient=phone(1), resend=30_000))
    assert refused.accepted


async def test_requester_checks_are_capped_across_recipients(store: OTPStore) -> None:
    checks = RequesterChecks("127.0.0.2", 10 * MINUTE, 3)
    for n in range(3):
        await store.issue(issue_request(T, recipient=phone(n)))
        outcome = await store.verify(
            verify_request(T + 1, code="000000", recipient=phone(n), requester=checks)
        )
        assert outcome.status == "wrong"
    await store.issue(issue_request(T, recipient=phone(5)))
    refused = await store.verify(verify_request(T + 2, recipient=phone(5), requester=checks))
    assert (refused.status, refused.retry_after_ms) == ("requester_limited", 10 * MINUTE - 1)
    # Nothing was compared: the right code still works for another requester.
    other = RequesterChecks("127.0.0.3", 10 * MINUTE, 3)
    ok = await store.verify(verify_request(T + 3, recipient=phone(5), requester=other))
    assert ok.status == "verified"
    # The requester's window ends ten minutes after its first check.
    await store.issue(issue_request(T + 10 * MINUTE, recipient=phone(6)))
    later = verify_request(T + 10 * MINUTE + 1, recipient=phone(6), requester=checks)
    assert (await store.verify(later)).status == "verified"


async def test_throttle_counts_every_counter_all_or_nothing(store: OTPStore) -> None:
    async def attempt(key: str, now: int) -> ThrottleOutcome:
        return await store.throttle(
            "web", key, now_ms=now, window_ms=60_000, limit=2, also=(("*|r1", 3),)
        )

    assert (await attempt("u1|r1", T)) == ThrottleOutcome(True, 1, 0)
    assert (await attempt("u1|r1", T + 1)) == ThrottleOutcome(True, 2, 0)
    assert (await attempt("u1|r1", T + 2)) == ThrottleOutcome(False, 2, 59_998)
    # The refused attempt was not counted against the shared counter: one more fits.
    assert (await attempt("u2|r1", T + 3)) == ThrottleOutcome(True, 1, 0)
    assert (await attempt("u3|r1", T + 4)) == ThrottleOutcome(False, 0, 59_996)
