"""Finding the account an identifier belongs to: the one place a channel picks the lookup."""

from __future__ import annotations

from typing import Protocol

from otp_flow.types import Recipient
from otp_flow.users._base import User

__all__ = ["UserLookup", "find_user"]


class UserLookup(Protocol):
    """The part of ``UserStore`` a lookup needs (the CIAM dialect's optional store has no more)."""

    async def find_by_phone(self, phone_number: str) -> User | None: ...

    async def find_by_email(self, email: str) -> User | None: ...


async def find_user(users: UserLookup, recipient: Recipient) -> User | None:
    """The account whose ``recipient.user_field`` is ``recipient.value``, or None.

    A function over the protocol's two finders rather than a new store method, so an
    application's own store needs nothing more. Each shipped store's lookup costs the same found
    or not (one SQL query; one Redis script that reads a user hash either way), so an unknown
    identifier needs no extra read to match a known one.
    """
    if recipient.user_field == "phone_number":
        return await users.find_by_phone(recipient.value)
    return await users.find_by_email(recipient.value)
