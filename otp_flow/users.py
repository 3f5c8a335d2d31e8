"""The user store: a small async protocol so an application can plug in its own database.

otp_flow ships a memory and a Redis implementation. Passwords are only ever stored hashed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["User", "UserStore"]


@dataclass(frozen=True, slots=True)
class User:
    id: str
    display_name: str = ""
    phone_number: str | None = None  # E.164
    email: str | None = None  # normalised (lower-case)
    has_password: bool = False
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class UserStore(Protocol):
    async def get(self, user_id: str) -> User | None: ...

    async def find_by_phone(self, phone_number: str) -> User | None: ...

    async def find_by_email(self, email: str) -> User | None: ...

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        """Raise ``IdentifierTaken`` when the phone or email already belongs to a user."""
        ...

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | None = None,
        email: str | None = None,
    ) -> User: ...

    async def set_password(self, user_id: str, password: str) -> None: ...

    async def check_password(self, user_id: str, password: str) -> bool:
        """Constant work whether or not the user exists or has a password (no timing oracle)."""
        ...
