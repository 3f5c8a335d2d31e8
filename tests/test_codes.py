"""Codes: shape, uniformity, and digests that depend on everything they are bound to."""

from __future__ import annotations

from collections import Counter

from otp_flow._codes import CodeHasher, generate_code, new_challenge_id


def test_codes_have_the_length_and_alphabet_asked_for() -> None:
    for length in (4, 6, 10):
        code = generate_code(length, "0123456789")
        assert len(code) == length and code.isdigit()
    assert set(generate_code(10, "AB")) <= {"A", "B"}


def test_every_position_is_uniform() -> None:
    # 20,000 codes: each digit is expected 2,000 times per position (sd ~42); the bounds are
    # over 7 standard deviations wide, yet a stuck or biased position falls far outside them.
    counts = [Counter[str]() for _ in range(6)]
    for _ in range(20_000):
        for position, digit in enumerate(generate_code(6, "0123456789")):
            counts[position][digit] += 1
    for position in counts:
        assert set(position) == set("0123456789")
        assert all(1_700 <= n <= 2_300 for n in position.values()), position


def test_challenge_ids_are_48_bit_decimal() -> None:
    ids = {new_challenge_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(2**47 <= int(i) < 2**48 for i in ids)


def test_digests_bind_client_usage_recipient_and_code() -> None:
    hasher = CodeHasher(b"k" * 32)
    base = hasher.digest("c", "login", "+8613612345678", "123456")
    assert len(base) == 16
    assert base == hasher.digest("c", "login", "+8613612345678", "123456")
    for other in (
        hasher.digest("d", "login", "+8613612345678", "123456"),
        hasher.digest("c", "signup", "+8613612345678", "123456"),
        hasher.digest("c", "login", "+8613612345679", "123456"),
        hasher.digest("c", "login", "+8613612345678", "123457"),
        CodeHasher(b"j" * 32).digest("c", "login", "+8613612345678", "123456"),
    ):
        assert other != base
