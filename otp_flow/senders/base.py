"""What a sender receives and the protocol every sender implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from otp_flow.types import Channel, Usage

__all__ = ["Message", "Sender"]


@dataclass(frozen=True, slots=True)
class Message:
    """One rendered message, ready to deliver. ``subject`` and ``html`` are for email only."""

    channel: Channel
    recipient: str
    usage: Usage
    code: str
    ttl_seconds: int
    locale: str
    text: str
    subject: str | None = None
    html: str | None = None
    client_id: str = ""


@runtime_checkable
class Sender(Protocol):
    """Delivers a message. Raising anything (or not returning in time) is a delivery failure."""

    async def send(self, message: Message) -> None: ...
