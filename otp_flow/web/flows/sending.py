"""Sending codes from the pages without telling anyone which accounts exist.

For an identifier without an account, login and password reset still issue a code through the
same store (same rate limits, same cookie, same answers) but deliver it to nobody, and then wait
about as long as a real delivery takes, so neither the page nor its timing gives the account away.
"""

from __future__ import annotations

import asyncio
import logging
import time

from otp_flow.senders.base import Message
from otp_flow.types import Recipient, SendResult, Usage
from otp_flow.users import User, UserStore
from otp_flow.web.i18n import Texts
from otp_flow.web.settings import AuthSettings

__all__ = ["SendTimer", "find_user", "mask", "notify_address_change", "send_code"]

log = logging.getLogger("otp_flow")


class SendTimer:
    """A moving average of how long real sends take (capped: a hung provider is not the norm)."""

    def __init__(self, *, weight: float = 0.2, cap_seconds: float = 3.0) -> None:
        self.average: float | None = None
        self._weight = weight
        self._cap = cap_seconds

    def observe(self, seconds: float) -> None:
        seconds = min(seconds, self._cap)
        if self.average is None:
            self.average = seconds
        else:
            self.average += self._weight * (seconds - self.average)

    async def pad(self, elapsed: float) -> None:
        """Sleep until a silent send has taken as long as a real one usually does."""
        wait = (self.average or 0.0) - elapsed
        if wait > 0:
            await asyncio.sleep(wait)


async def find_user(users: UserStore, recipient: Recipient) -> User | None:
    if recipient.channel == "sms":
        return await users.find_by_phone(recipient.value)
    return await users.find_by_email(recipient.value)


async def send_code(
    settings: AuthSettings,
    timer: SendTimer,
    recipient: Recipient,
    *,
    usage: Usage,
    deliver: bool,
    locale: str,
) -> SendResult:
    """Issue a code; deliver it only when ``deliver`` (see the module docstring)."""
    engine = settings.engine if deliver else settings.silent_engine
    started = time.perf_counter()
    result = await engine.send(recipient, usage=usage, client_id=settings.client_id, locale=locale)
    elapsed = time.perf_counter() - started
    if deliver:
        timer.observe(elapsed)
    else:
        await timer.pad(elapsed)
    return result


def mask(recipient: Recipient) -> str:
    """Enough of an address to recognise it, not enough to learn it: +86138****5678, a***@b.com."""
    value = recipient.value
    if recipient.channel == "sms":
        return value[:-8] + "****" + value[-4:] if len(value) > 8 else "****"
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


async def notify_address_change(
    settings: AuthSettings, old: Recipient, new: Recipient, t: Texts, site_name: str
) -> None:
    """Tell the old address that the account moved away from it (best effort, never fatal)."""
    sender = settings.engine.sender
    if sender is None:
        return
    _ = t.gettext
    what = _("phone number") if new.channel == "sms" else _("email address")
    text = _(
        "The {what} of your {site} account was changed to {new}. "
        "If you did not do this, contact us right away.",
        what=what,
        site=site_name,
        new=mask(new),
    )
    subject = _("Your account details were changed") if old.channel == "email" else None
    message = Message(
        channel=old.channel,
        recipient=old.value,
        usage="update_userinfo",
        code="",
        ttl_seconds=0,
        locale=t.locale,
        text=text,
        subject=subject,
        client_id=settings.client_id,
    )
    try:
        await asyncio.wait_for(sender.send(message), timeout=settings.engine.delivery_timeout)
    except Exception as exc:
        log.warning("could not notify the old %s address of a change: %r", old.channel, exc)
