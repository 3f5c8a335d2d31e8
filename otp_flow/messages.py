"""Rendering the message that carries a code. (Placeholder: replaced by Jinja2 templates.)"""

from __future__ import annotations

from typing import Protocol

from otp_flow.senders.base import Message
from otp_flow.types import Channel, Usage

__all__ = ["MessageRenderer", "PlainRenderer"]


class MessageRenderer(Protocol):
    def render(
        self,
        *,
        channel: Channel,
        recipient: str,
        usage: Usage,
        code: str,
        ttl_seconds: int,
        locale: str | None,
        client_id: str,
    ) -> Message: ...


class PlainRenderer:
    def render(
        self,
        *,
        channel: Channel,
        recipient: str,
        usage: Usage,
        code: str,
        ttl_seconds: int,
        locale: str | None,
        client_id: str,
    ) -> Message:
        text = f"Your code is {code}. It expires in {ttl_seconds // 60 or 1} min."
        subject = "Your code" if channel == "email" else None
        return Message(
            channel,
            recipient,
            usage,
            code,
            ttl_seconds,
            locale or "en",
            text,
            subject,
            None,
            client_id,
        )
