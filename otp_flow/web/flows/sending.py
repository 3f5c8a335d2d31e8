"""Sending codes from the pages without telling anyone which accounts exist.

For an identifier without an account, login and password reset still issue a code through the
same engine (``send(..., deliver=False)``: same rate limits, same cookie, same answers) but
deliver it to nobody, and then wait about as long as a real delivery takes, so neither the page
nor its timing gives the account away.
"""

from __future__ import annotations

import asyncio
import time

from otp_flow.types import Recipient, SendResult, Usage
from otp_flow.users import User, UserStore
from otp_flow.web.settings import AuthSettings

__all__ = ["SendTimer", "find_user", "send_code"]


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
    started = time.perf_counter()
    result = await settings.engine.send(
        recipient, usage=usage, client_id=settings.client_id, locale=locale, deliver=deliver
    )
    elapsed = time.perf_counter() - started
    if deliver:
        timer.observe(elapsed)
    else:
        await timer.pad(elapsed)
    return result
