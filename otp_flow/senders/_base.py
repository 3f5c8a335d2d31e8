"""What a sender receives and the protocol every sender implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from otp_flow.types import Channel, Usage

__all__ = ["NOTICE_IDENTIFIER_CHANGED", "Message", "MessageKind", "Sender"]

#: ``code``: carries a one-time code. ``notice``: tells the person something happened (an
#: address of their account was changed); it has no code (``code == ""``, ``ttl_seconds == 0``).
MessageKind = Literal["code", "notice"]

#: The one notice there is: its template name, and its key in a provider's template IDs.
NOTICE_IDENTIFIER_CHANGED = "notice_identifier_changed"


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
    kind: MessageKind = "code"
    #: A notice's values in order, for providers that send only pre-approved templates and
    #: never the rendered text (Tencent Cloud): for an identifier change, the masked new value.
    #: Empty for codes, whose parameters are always the code and the lifetime.
    template_params: tuple[str, ...] = ()


@runtime_checkable
class Sender(Protocol):
    """Delivers a message. Raising anything (or not returning in time) is a delivery failure."""

    async def send(self, message: Message) -> None: ...
