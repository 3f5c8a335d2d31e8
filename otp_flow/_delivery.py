"""Handing a message to the sender within the delivery timeout: a code (``OTPEngine.send``), which
is killed when it cannot be delivered, and a notice (``OTPEngine.notify``), which has no code.

A failed or timed-out delivery raises ``DeliveryFailed``; the sender's own error is its cause.
"""

from __future__ import annotations

import asyncio
import logging

from otp_flow.errors import DeliveryFailed, ServiceUnavailable
from otp_flow.identifiers import limit_key
from otp_flow.messages import MessageRenderer
from otp_flow.senders._base import Message, Sender
from otp_flow.stores.base import OTPStore
from otp_flow.types import Recipient, Usage

__all__ = ["deliver_code", "deliver_notice"]

log = logging.getLogger("otp_flow")


async def deliver_code(
    sender: Sender,
    renderer: MessageRenderer,
    delivery_timeout: float,
    store: OTPStore,
    target: Recipient,
    usage: Usage,
    client_id: str,
    code: str,
    ttl: int,
    locale: str | None,
    challenge_id: str,
    quota: int | None,
) -> None:
    """Render the code's message and send it; when that fails, cancel the challenge in
    ``store`` (giving its quota unit back when ``quota`` applied) and raise ``DeliveryFailed``."""
    try:
        message = renderer.render(
            channel=target.channel,
            recipient=target.value,
            usage=usage,
            code=code,
            ttl_seconds=ttl,
            locale=locale,
            client_id=client_id,
        )
        # asyncio.timeout, not wait_for: no Task per send (bench/PROFILE.md).
        async with asyncio.timeout(delivery_timeout):
            await sender.send(message)
    except Exception as exc:
        # Never leave a code valid that nobody received, and do not bill the client for it.
        # The rate-limit counts stay: a failing send must not be a free retry for abuse.
        log.warning("delivery to a %s recipient failed: %r", target.channel, exc)
        try:
            await store.cancel(
                client_id=client_id,
                recipient=limit_key(target),
                usage=usage,
                channel=target.channel,
                challenge_id=challenge_id,
                refund_quota=quota is not None,
            )
        except ServiceUnavailable:
            log.warning("could not cancel an undelivered code; it expires on its own")
        raise DeliveryFailed(f"could not deliver the {target.channel} message") from exc


async def deliver_notice(sender: Sender, message: Message, delivery_timeout: float) -> None:
    """Send a notice; nothing was issued, so there is nothing to cancel when it fails."""
    try:
        async with asyncio.timeout(delivery_timeout):
            await sender.send(message)
    except Exception as exc:
        log.warning("delivery of a %s notice failed: %r", message.channel, exc)
        raise DeliveryFailed(f"could not deliver the {message.channel} notice") from exc
