"""Handing a message to the sender within the delivery timeout: a code (``OTPEngine.send``), which
is killed when it cannot be delivered, and a notice (``OTPEngine.notify``), which has no code.

A failed or timed-out delivery raises ``DeliveryFailed``; the sender's own error is its cause.
``notify_address_change`` is the one notice sent today (the pages' and CIAM's identifier change),
rendered and delivered best effort.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from otp_flow.errors import DeliveryFailed, ServiceUnavailable
from otp_flow.identifiers import limit_key
from otp_flow.messages import MessageRenderer
from otp_flow.senders._base import Message, Sender
from otp_flow.senders._console import mask_recipient
from otp_flow.stores.base import OTPStore
from otp_flow.types import Recipient, Usage

if TYPE_CHECKING:  # the engine imports this module
    from otp_flow.engine import OTPEngine

__all__ = ["deliver_code", "deliver_notice", "notify_address_change"]

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
        raise _undelivered(target.channel, "message") from exc


async def deliver_notice(sender: Sender, message: Message, delivery_timeout: float) -> None:
    """Send a notice; nothing was issued, so there is nothing to cancel when it fails."""
    try:
        async with asyncio.timeout(delivery_timeout):
            await sender.send(message)
    except Exception as exc:
        log.warning("delivery of a %s notice failed: %r", message.channel, exc)
        raise _undelivered(message.channel, "notice") from exc


def _undelivered(channel: str, what: str) -> DeliveryFailed:
    """The one wording of a failed delivery: ``could not deliver the sms message``."""
    return DeliveryFailed(f"could not deliver the {channel} {what}")


async def notify_address_change(
    engine: OTPEngine, old: Recipient, new: Recipient, *, client_id: str, locale: str | None
) -> None:
    """Tell ``old`` (an account's former phone or email) that the account moved to ``new``.

    Best effort, for the pages and CIAM's ``PATCH /userinfo`` alike: the change is already saved
    and proven by a code, so a notice that cannot be delivered is logged, never undone or shown.
    """
    try:
        message = engine.renderer.render_notice(
            channel=old.channel,
            recipient=old.value,
            locale=locale,
            client_id=client_id,
            changed=new.user_field,
            new_value_masked=mask_recipient(new.value),
        )
        await engine.notify(message)
    except DeliveryFailed:
        log.warning("could not notify the old %s address of a change", old.channel)
    except Exception:
        # An application's own renderer or sender misbehaving: still not the person's problem.
        log.exception("notifying the old %s address of a change failed", old.channel)
