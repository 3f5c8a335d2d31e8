"""Password hashing with argon2id (argon2-cffi). Passwords are never stored or logged in clear.

Hashing is deliberately slow, so it runs in a worker thread instead of blocking the event loop.
``verify`` does the same work whether or not there is a hash to check against: an unknown user
(or one without a password) is checked against a dummy hash, so the answer time does not tell an
attacker which accounts exist (the Flask-Security habit).
"""

from __future__ import annotations

import asyncio
from typing import Literal

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from otp_flow import defaults

__all__ = ["PasswordProblem", "Passwords"]

PasswordProblem = Literal["too_short", "too_long"]


class Passwords:
    """Hashes and checks passwords; also the one place that says what a password may look like.

    ``parameters``: the argon2 cost (default RFC 9106's low-memory profile, about 0.1 s per hash);
    tests may pass ``argon2.profiles.CHEAPEST``. ``min_length`` / ``max_length`` in characters;
    the upper bound keeps a megabyte "password" from becoming a denial of service.
    """

    def __init__(
        self,
        *,
        parameters: argon2.Parameters = RFC_9106_LOW_MEMORY,
        min_length: int = defaults.PASSWORD_MIN_LENGTH,
        max_length: int = defaults.PASSWORD_MAX_LENGTH,
    ) -> None:
        if not 1 <= min_length <= max_length:
            raise ValueError("min_length must be at least 1 and at most max_length")
        self.min_length = min_length
        self.max_length = max_length
        self._hasher = argon2.PasswordHasher.from_parameters(parameters)
        self._dummy: str | None = None

    def problem(self, password: str) -> PasswordProblem | None:
        """Why ``password`` cannot be used, or None when it can."""
        if len(password) < self.min_length:
            return "too_short"
        if len(password) > self.max_length:
            return "too_long"
        return None

    async def hash(self, password: str) -> str:
        if self.problem(password) is not None:
            raise ValueError("the password does not meet the length rules")
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, hashed: str | None, password: str) -> bool:
        """True when ``password`` matches ``hashed``; None checks against a dummy (always False)."""
        if hashed is None:
            await asyncio.to_thread(self._verify_sync, await self._dummy_hash(), password)
            return False
        return await asyncio.to_thread(self._verify_sync, hashed, password)

    def needs_rehash(self, hashed: str) -> bool:
        """True when ``hashed`` was made with other parameters than today's (rehash on login)."""
        try:
            return self._hasher.check_needs_rehash(hashed)
        except InvalidHashError:
            return True

    def _verify_sync(self, hashed: str, password: str) -> bool:
        # Overlong input still costs one (bounded) verification so length does not leak either.
        candidate = password[: self.max_length]
        try:
            return self._hasher.verify(hashed, candidate) and len(password) <= self.max_length
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await asyncio.to_thread(self._hasher.hash, "otp_flow dummy password")
        return self._dummy
