"""How ``update`` is told to remove an identifier, and the rule that a user keeps at least one.

``None`` in ``update`` means "leave as is", so removing needs a value of its own: ``CLEAR``, the
one member of the ``Clear`` enum. An enum rather than ``object()`` so that a type checker
narrows ``str | Clear | None`` with ``is CLEAR`` and rejects any other sentinel.
"""

from __future__ import annotations

import enum
from typing import Final

from otp_flow.errors import IdentifierRequired

__all__ = ["CLEAR", "Clear", "IdentifierRequired", "require_identifier"]


class Clear(enum.Enum):
    """The type of ``CLEAR``: ``update(user_id, email=CLEAR)`` removes the email address."""

    CLEAR = "clear"

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR: Final = Clear.CLEAR


def require_identifier(phone_number: str | None, email: str | None) -> None:
    """Raise ``IdentifierRequired`` unless there is a phone number or an email address."""
    if not phone_number and not email:
        raise IdentifierRequired
