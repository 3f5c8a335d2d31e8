"""Picks the sender for each message by its channel."""

from __future__ import annotations

from otp_flow.errors import DeliveryFailed
from otp_flow.senders._base import Message, Sender

__all__ = ["ChannelRouter"]


class ChannelRouter:
    """Sends SMS through ``sms`` and email through ``email``; a channel with no sender fails."""

    def __init__(self, *, sms: Sender | None = None, email: Sender | None = None) -> None:
        if sms is None and email is None:
            raise ValueError("ChannelRouter needs a sender for at least one channel")
        for name, sender in (("sms", sms), ("email", email)):
            if sender is not None and not isinstance(sender, Sender):
                raise ValueError(f"{name} must be a sender (an object with async send(message))")
        self.senders: dict[str, Sender | None] = {"sms": sms, "email": email}

    async def send(self, message: Message) -> None:
        sender = self.senders.get(message.channel)
        if sender is None:
            raise DeliveryFailed(f"no sender is configured for {message.channel} messages")
        await sender.send(message)
