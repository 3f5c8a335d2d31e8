"""Signed payloads: the injected clock decides age, keys rotate, old token forms still load."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from otp_flow._signing import TimedSerializer, normalise_keys
from tests.conftest import FakeClock

KEY = b"k" * 32


def test_age_follows_the_injected_clock(clock: FakeClock) -> None:
    signer = TimedSerializer([KEY], salt="s", max_age=300, clock=clock)
    token = signer.dumps({"a": 1})
    clock.advance(300)
    assert signer.loads(token) == {"a": 1}
    clock.advance(1)
    with pytest.raises(SignatureExpired):
        signer.loads(token)


def test_salts_separate_purposes_and_keys_rotate(clock: FakeClock) -> None:
    token = TimedSerializer([KEY], salt="a", max_age=60, clock=clock).dumps([1])
    with pytest.raises(BadSignature):
        TimedSerializer([KEY], salt="b", max_age=60, clock=clock).loads(token)
    rotated = TimedSerializer([KEY, b"n" * 32], salt="a", max_age=60, clock=clock)
    assert rotated.loads(token) == [1]
    with pytest.raises(BadSignature):
        TimedSerializer([b"n" * 32], salt="a", max_age=60, clock=clock).loads(token)


def test_compressed_tokens_of_itsdangerous_still_load(clock: FakeClock) -> None:
    # New tokens skip the zlib attempt; a token itsdangerous compressed must still be accepted.
    payload = ["x" * 200]
    compressed = URLSafeTimedSerializer([KEY], salt="a").dumps(payload)
    assert compressed.startswith(".")
    signer = TimedSerializer([KEY], salt="a", max_age=10**10)
    assert signer.loads(compressed) == payload
    assert not signer.dumps(payload).startswith(".")


def test_tokens_pass_both_ways_between_old_and_new_workers(clock: FakeClock) -> None:
    # A rolling deploy runs workers that still sign with itsdangerous' own dumps beside new ones:
    # an otp_token-sized payload, which zlib does not shrink, has one form for both.
    payload = [1, "client", "sms", "+8613612345678", "login", "118587043977212"]
    old = URLSafeTimedSerializer([KEY], salt="a")
    new = TimedSerializer([KEY], salt="a", max_age=10**10)
    old_token, new_token = old.dumps(payload), new.dumps(payload)
    assert not old_token.startswith(".")
    assert new.loads(old_token) == payload
    assert old.loads(new_token) == payload


@pytest.mark.parametrize("token", ["", "x" * 5000])
def test_empty_and_overlong_tokens_are_refused(token: str) -> None:
    with pytest.raises(BadSignature):
        TimedSerializer([KEY], salt="a", max_age=60).loads(token)


def test_keys_must_be_long_enough() -> None:
    assert normalise_keys("s" * 16) == [b"s" * 16]
    with pytest.raises(ValueError, match="16 bytes"):
        normalise_keys(["short"])


def test_an_otp_token_signed_before_an_upgrade_still_reads(clock: FakeClock) -> None:
    # Codes in flight across a deploy: a token signed by the previous release (plain
    # itsdangerous under the otp_token salt, as 0.1.0 signed it) must read after the upgrade,
    # so the salt and the payload's layout may not change with a refactoring.
    from otp_flow import OTPEngine, Recipient

    class SignedNow(TimestampSigner):  # signed at the test clock's time
        def get_timestamp(self) -> int:
            return int(clock())

    engine = OTPEngine(secret_keys=[KEY], clock=clock)
    payload = [1, "default", "sms", "+8613612345678", "login", "118587043977212"]
    signer = URLSafeTimedSerializer([KEY], salt="otp_flow.otp_token", signer=SignedNow)
    token = signer.dumps(payload)
    claims = engine.read_token(token)
    assert (claims.client_id, claims.recipient, claims.usage, claims.challenge_id) == (
        "default",
        Recipient("sms", "+8613612345678"),
        "login",
        "118587043977212",
    )
