"""otp_flow._checks: the option checks several components share, and their one wording each."""

from __future__ import annotations

import math

import pytest

from otp_flow import OTPEngine
from otp_flow._checks import check_int_between, check_text, check_timeout
from otp_flow.stores import RedisStore


def test_text() -> None:
    assert check_text("host", "smtp.example.com") == "smtp.example.com"
    for bad in ("", "  ", None, 3):
        with pytest.raises(ValueError, match=r"^host must be a non-empty string$"):
            check_text("host", bad)


def test_timeout() -> None:
    assert check_timeout(2) == 2.0 and isinstance(check_timeout(2), float)
    assert check_timeout(0.5) == 0.5
    # NaN or infinity would be a call that never times out; True is an int to Python.
    for bad in (0, -1, math.nan, math.inf, True, "5", None):
        with pytest.raises(ValueError, match=r"^timeout must be a positive number of seconds$"):
            check_timeout(bad)


def test_int_between() -> None:
    assert check_int_between("port", 1, (1, 65535)) == 1
    assert check_int_between("port", 65535, (1, 65535)) == 65535
    for bad in (0, 65536, 25.0, True, "25"):
        with pytest.raises(ValueError, match=r"^port must be an integer between 1 and 65535$"):
            check_int_between("port", bad, (1, 65535))


@pytest.mark.parametrize("bad", [0, math.nan, math.inf])
def test_the_engine_and_the_redis_client_check_their_timeouts_alike(bad: float) -> None:
    # A NaN or infinite delivery timeout would let one slow sender hold a send forever.
    with pytest.raises(ValueError, match=r"^delivery_timeout must be a positive number"):
        OTPEngine(secret_keys=["k" * 32], delivery_timeout=bad)
    with pytest.raises(ValueError, match=r"^socket_timeout must be a positive number"):
        RedisStore.from_url("redis://127.0.0.1:1/0", socket_timeout=bad)
