"""The values a message offers to sender configuration (HTTP bodies, provider template params),
and the check of the templates that refer to them.

One place decides what ``{ttl_minutes}`` means, so the rendered text, the HTTP gateway body and
the Tencent Cloud template parameters always state the same lifetime.
"""

from __future__ import annotations

import string

from otp_flow.senders._base import Message

__all__ = [
    "PLACEHOLDERS",
    "check_placeholders",
    "fill_placeholders",
    "ttl_minutes",
]

#: What a configured body value may refer to, as ``{name}``.
PLACEHOLDERS = ("recipient", "code", "text", "ttl_minutes", "usage", "locale")


def ttl_minutes(ttl_seconds: int) -> int:
    """The lifetime in whole minutes, rounded DOWN (at least 1).

    Telling someone "1 minute" for a 90-second code makes them hurry; telling them "2 minutes"
    would let them type a dead code.
    """
    return max(ttl_seconds // 60, 1)


def check_placeholders(template: str, *, what: str) -> None:
    """Reject a template that refers to anything but a plain ``{name}`` from ``PLACEHOLDERS``.

    ``str.format`` would otherwise allow ``{code.__class__}`` or ``{text[0]}``; configuration
    mistakes should fail at start-up, not at the first send.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{what}: {exc} in {template!r}") from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValueError(
                f"{what}: unknown placeholder {{{field}}} in {template!r}; use {allowed}"
            )


def fill_placeholders(template: str, message: Message) -> str:
    values = {
        "recipient": message.recipient,
        "code": message.code,
        "text": message.text,
        "ttl_minutes": str(ttl_minutes(message.ttl_seconds)),
        "usage": message.usage,
        "locale": message.locale,
    }
    return template.format_map(values)
