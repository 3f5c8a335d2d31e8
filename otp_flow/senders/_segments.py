"""How carriers count an SMS: what fits in one segment (one message, one fee)."""

from __future__ import annotations

__all__ = ["sms_length"]

# The GSM 03.38 alphabet: a text made only of these fits 160 characters in one SMS segment
# (extension characters take two); anything else is sent as UCS-2, 70 per segment.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
_UCS2_LIMIT = 70
_GSM7_LIMIT = 160


def sms_length(text: str, locale: str) -> tuple[int, int]:
    """(length, single-segment limit) of an SMS as carriers count it.

    Chinese text (``locale`` ``zh-CN``) is always limited to 70 characters (the carriers' rule the
    seeds quote); other text gets 160 GSM 7-bit characters, or 70 once one character falls
    outside that alphabet.
    """
    if locale != "zh-CN" and all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text):
        return sum(2 if c in _GSM7_EXTENDED else 1 for c in text), _GSM7_LIMIT
    # UTF-16 code units: a character outside the BMP (an emoji) takes two.
    return len(text.encode("utf-16-le")) // 2, _UCS2_LIMIT
