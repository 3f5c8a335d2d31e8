"""A sender that only logs: for development, or to see that delivery would have happened."""

from __future__ import annotations

import logging

from otp_flow.senders._base import Message

__all__ = ["ConsoleSender", "mask_recipient"]

log = logging.getLogger("otp_flow.senders.console")


class ConsoleSender:
    """Logs a one-line notice per message (logger ``otp_flow.senders._console``, level INFO).

    The code is left out unless ``show_code`` is set: logs travel to places codes must not go.
    ``show_code`` is for a developer's own terminal only.
    """

    def __init__(self, *, show_code: bool = False) -> None:
        if not isinstance(show_code, bool):
            raise ValueError("show_code must be True or False")
        self.show_code = show_code
        if show_code:
            log.warning("ConsoleSender logs one-time codes; never use show_code in production")

    async def send(self, message: Message) -> None:
        if self.show_code and message.kind == "code":
            log.info(
                "%s %s message to %s (%s): code %s",
                message.channel,
                message.usage,
                message.recipient,
                message.locale,
                message.code,
            )
        else:
            log.info(
                "%s %s %s to %s (%s), %d characters",
                message.channel,
                message.usage,
                "notice" if message.kind == "notice" else "message",
                mask_recipient(message.recipient),
                message.locale,
                len(message.text),
            )


def mask_recipient(recipient: str) -> str:
    """``+8613812345678`` → ``+86138****5678``; ``alice@example.com`` → ``a***@example.com``.

    Enough to tell messages apart in a log, not enough to collect addresses from it.
    """
    local, at, domain = recipient.partition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    if len(recipient) <= 7:
        return "*" * len(recipient)
    return f"{recipient[:-8]}****{recipient[-4:]}"
