"""Users in a dict, for the demo, tests and single-process applications."""

from __future__ import annotations

import threading
from dataclasses import replace

from otp_flow.passwords import Passwords
from otp_flow.users._base import IDENTIFIER_FIELDS, IdentifierTaken, User, changed_user, new_user_id
from otp_flow.users._changes import Clear, require_identifier

__all__ = ["MemoryUserStore"]


class MemoryUserStore:
    """Users in a dict: for the demo, tests and single-process apps. Gone at restart."""

    def __init__(self, *, passwords: Passwords | None = None) -> None:
        self.passwords = passwords or Passwords()
        self._lock = threading.Lock()
        self._users: dict[str, User] = {}
        self._hashes: dict[str, str] = {}
        self._index: dict[tuple[str, str], str] = {}

    async def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    async def find_by_phone(self, phone_number: str) -> User | None:
        return self._find("phone_number", phone_number)

    async def find_by_email(self, email: str) -> User | None:
        return self._find("email", email)

    def _find(self, name: str, value: str) -> User | None:
        user_id = self._index.get((name, value))
        return self._users.get(user_id) if user_id else None

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        require_identifier(phone_number, email)
        hashed = await self.passwords.hash(password) if password else None
        user = User(new_user_id(), display_name, phone_number, email, hashed is not None)
        with self._lock:
            self._claim(user, None)
            self._users[user.id] = user
            if hashed:
                self._hashes[user.id] = hashed
        return user

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | Clear | None = None,
        email: str | Clear | None = None,
    ) -> User:
        with self._lock:
            old = self._users.get(user_id)
            if old is None:
                raise KeyError(user_id)
            new = changed_user(old, display_name, phone_number, email)
            self._claim(new, old)
            self._users[user_id] = new
            return new

    def _claim(self, user: User, old: User | None) -> None:
        """Move the index entries from ``old`` to ``user``; all checks before any change."""
        for name in IDENTIFIER_FIELDS:
            value = getattr(user, name)
            owner = self._index.get((name, value)) if value else None
            if owner is not None and owner != user.id:
                raise IdentifierTaken(name)
        for name in IDENTIFIER_FIELDS:
            before, after = getattr(old, name, None), getattr(user, name)
            if before and before != after:
                del self._index[(name, before)]
            if after:
                self._index[(name, after)] = user.id

    async def set_password(self, user_id: str, password: str) -> None:
        hashed = await self.passwords.hash(password)
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise KeyError(user_id)
            self._hashes[user_id] = hashed
            self._users[user_id] = replace(user, has_password=True)

    async def check_password(self, user_id: str, password: str) -> bool:
        hashed = self._hashes.get(user_id)
        ok = await self.passwords.verify(hashed, password)
        if ok and hashed and self.passwords.needs_rehash(hashed):
            await self.set_password(user_id, password)
        return ok
