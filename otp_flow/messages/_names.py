"""Where each message's templates live: part name (subject, text, html) → template name."""

from __future__ import annotations

from otp_flow._usages import REGISTRY
from otp_flow.messages._locales import Locale
from otp_flow.senders._base import NOTICE_IDENTIFIER_CHANGED
from otp_flow.types import Channel, Usage

__all__ = ["notice_template_names", "template_names"]


def template_names(channel: Channel, usage: Usage, locale: Locale) -> dict[str, str]:
    """Part name → template name for one message."""
    return _part_names(channel, REGISTRY[usage].template_stem, locale)


def notice_template_names(channel: Channel, locale: Locale) -> dict[str, str]:
    """Part name → template name for the identifier-changed notice."""
    return _part_names(channel, NOTICE_IDENTIFIER_CHANGED, locale)


def _part_names(channel: Channel, stem: str, locale: Locale) -> dict[str, str]:
    base = f"messages/{channel}/{stem}.{locale}"
    if channel == "sms":
        return {"text": f"{base}.txt"}
    return {"subject": f"{base}.subject.txt", "text": f"{base}.txt", "html": f"{base}.html"}
