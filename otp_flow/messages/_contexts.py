"""What each template sees: the variables a code message or a notice is rendered with."""

from __future__ import annotations

from typing import Any, Literal, get_args

from otp_flow.messages._locales import Locale
from otp_flow.senders._fields import ttl_minutes
from otp_flow.types import Channel, Usage

__all__ = ["CHANGED_FIELDS", "ChangedField", "code_context", "notice_context"]

#: Which identifier of an account a notice is about.
ChangedField = Literal["phone_number", "email"]
CHANGED_FIELDS: tuple[ChangedField, ...] = get_args(ChangedField)


def code_context(
    channel: Channel,
    usage: Usage,
    locale: Locale,
    code: str,
    ttl_seconds: int,
    recipient: str,
    client_id: str,
) -> dict[str, Any]:
    values = {"ttl_minutes": ttl_minutes(ttl_seconds), "ttl_seconds": ttl_seconds}
    return _context(channel, recipient, client_id, code=code, usage=usage, locale=locale, **values)


def notice_context(
    channel: Channel,
    locale: Locale,
    changed: ChangedField,
    new_value_masked: str,
    recipient: str,
    client_id: str,
) -> dict[str, Any]:
    values = {"changed": changed, "new_value_masked": new_value_masked, "locale": locale}
    return _context(channel, recipient, client_id, **values)


def _context(channel: Channel, recipient: str, client_id: str, **values: Any) -> dict[str, Any]:
    # SMS templates never see the recipient or the client id: their length is unknown at
    # start-up, so an SMS could outgrow one segment unnoticed.
    if channel == "email":
        values |= {"recipient": recipient, "client_id": client_id}
    return values
