"""How an SMS's text is shaped beyond its template, so its longest form is known at start-up."""

from __future__ import annotations

__all__ = ["MASKED_SMS_MAX", "add_origin_line", "shorten"]

# A notice's SMS shows at most this many characters of the masked new value (longer ones are
# shortened in the middle), so its length is known at start-up too. A masked phone number is at
# most 16 ("+" and 15 digits, 4 of them starred); a masked email address may be longer.
MASKED_SMS_MAX = 32


def add_origin_line(text: str, code: str, origin_domain: str | None) -> str:
    """``text`` ending with the origin-bound line ``@example.com #123456`` (WebOTP autofill)."""
    return f"{text}\n@{origin_domain} #{code}" if origin_domain else text


def shorten(value: str, limit: int) -> str:
    """``value`` cut in the middle to ``limit`` characters; the end (the domain) stays."""
    if len(value) <= limit:
        return value
    head = (limit - 3) // 3
    return f"{value[:head]}...{value[-(limit - 3 - head) :]}"
