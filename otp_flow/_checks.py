"""Checks of keyword options that several components take alike, each with its one message.

A component's own rules (a template's placeholders, which usages a key may name) stay beside it;
what reads the same everywhere (a non-empty text, a timeout, an integer within bounds) is here, so
two components cannot come to word or check it differently. Imports nothing of otp_flow.
"""

from __future__ import annotations

import math

__all__ = ["check_int_between", "check_text", "check_timeout"]


def check_text(name: str, value: object) -> str:
    """``value`` when it is a string with more than blanks, else ``ValueError`` naming ``name``."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value


def check_timeout(timeout: object, name: str = "timeout") -> float:
    """A timeout option (a sender's, a challenge's, the engine's delivery, a Redis socket's) as
    float seconds: a finite number > 0, else ``ValueError`` naming ``name``.

    NaN and infinity are refused too: either would mean a call that never times out.
    """
    match timeout:
        case bool():  # an int to Python, never a number of seconds
            pass
        case int() | float() if 0 < timeout < math.inf:  # NaN fails every comparison
            return float(timeout)
    raise ValueError(f"{name} must be a positive number of seconds")


def check_int_between(name: str, value: object, bounds: tuple[int, int]) -> int:
    """``value`` when it is an integer (not a bool) within the inclusive ``bounds``, else
    ``ValueError`` naming ``name`` and the bounds."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer between {low} and {high}")
    return value
