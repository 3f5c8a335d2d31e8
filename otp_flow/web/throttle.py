"""Password sign-in throttling: guessing passwords costs the guesser time, not the account.

Every password attempt on the login page counts against its normalised identifier, right or
wrong, in the engine's store (so every worker shares the count), in fixed windows. The count is
kept whether or not an account uses the identifier: a refusal that only known identifiers get
would tell a stranger which ones exist. Signing in by password, or resetting the password,
clears it. Codes are not counted here: the engine limits those itself.

Only the identifier is the key, not the client's IP: behind proxies the address is whatever a
header says, and trusting the wrong header would let anyone pick their own key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from otp_flow.stores.base import OTPStore
from otp_flow.types import Clock

__all__ = ["PasswordThrottle"]

#: The store's throttle scope: a Cluster hash tag with a colon, which no client id may contain.
_SCOPE = "web:password_login"
_MAX_ATTEMPTS = 10_000
_MAX_WINDOW_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class PasswordThrottle:
    """At most ``attempts`` password attempts per identifier in ``window_seconds``."""

    store: OTPStore
    clock: Clock
    attempts: int = 10
    window_seconds: int = 15 * 60

    def __post_init__(self) -> None:
        for name, value, high in (
            ("password_attempts", self.attempts, _MAX_ATTEMPTS),
            ("password_window_seconds", self.window_seconds, _MAX_WINDOW_SECONDS),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ValueError(f"{name} must be an integer between 1 and {high}")

    async def attempt(self, identifier: str) -> int:
        """Count one attempt for ``identifier``: 0 when it may go ahead, else the seconds to
        wait. Raises ``StoreUnavailable``."""
        outcome = await self.store.throttle(
            _SCOPE,
            identifier,
            now_ms=int(self.clock() * 1000),
            window_ms=self.window_seconds * 1000,
            limit=self.attempts,
        )
        return 0 if outcome.allowed else max(math.ceil(outcome.retry_after_ms / 1000), 1)

    async def clear(self, *identifiers: str | None) -> None:
        """Forget the attempts of each identifier given (None: an account without one)."""
        for identifier in identifiers:
            if identifier:
                await self.store.clear_throttle(_SCOPE, identifier)
