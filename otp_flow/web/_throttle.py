"""Password sign-in throttling: guessing passwords costs the guesser time, not the owner.

Every password attempt on the login page counts, right or wrong, in the engine's throttle store
(so every worker shares the count), in fixed windows, against two counters at once: the normalised
identifier *from this requester* (``otp_flow.web._requester``), and the requester across every
identifier. A stranger's wrong guesses therefore use up the stranger's attempts: the owner,
asking from elsewhere, still signs in; and one requester cannot spray a password across many
accounts. The count is kept whether or not an account uses the identifier: a refusal that only
known identifiers get would tell a stranger which ones exist. Signing in by password, or
resetting the password, clears the identifier's count for that requester. Codes are not counted
here: the engine limits those itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from otp_flow import defaults
from otp_flow._checks import check_int_between
from otp_flow.stores.base import ThrottleStore
from otp_flow.types import Clock

__all__ = ["PasswordThrottle"]

#: The store's throttle scope: a Cluster hash tag with a colon, which no client id may contain.
_SCOPE = "web:password_login"
_MAX_ATTEMPTS = 10_000
_MAX_WINDOW_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class PasswordThrottle:
    """At most ``attempts`` password attempts per identifier and requester, and
    ``requester_attempts`` per requester over all identifiers, in ``window_seconds``."""

    #: Where the attempts are counted: the engine (``OTPEngine`` is a ``ThrottleStore``).
    counts: ThrottleStore
    clock: Clock
    attempts: int = defaults.PASSWORD_ATTEMPTS
    window_seconds: int = defaults.PASSWORD_WINDOW_SECONDS
    requester_attempts: int = defaults.PASSWORD_REQUESTER_ATTEMPTS

    def __post_init__(self) -> None:
        for name, value, high in (
            ("password_attempts", self.attempts, _MAX_ATTEMPTS),
            ("password_window_seconds", self.window_seconds, _MAX_WINDOW_SECONDS),
            ("password_requester_attempts", self.requester_attempts, _MAX_ATTEMPTS),
        ):
            check_int_between(name, value, (1, high))

    async def attempt(self, identifier: str, requester: str) -> int:
        """Count one attempt for ``identifier`` from ``requester``: 0 when it may go ahead,
        else the seconds to wait. Raises ``StoreUnavailable``."""
        outcome = await self.counts.throttle(
            _SCOPE,
            _key(identifier, requester),
            now_ms=int(self.clock() * 1000),
            window_ms=self.window_seconds * 1000,
            limit=self.attempts,
            also=((_key("*", requester), self.requester_attempts),),
        )
        return 0 if outcome.allowed else max(math.ceil(outcome.retry_after_ms / 1000), 1)

    async def clear(self, requester: str, *identifiers: str | None) -> None:
        """Forget this requester's attempts at each identifier given (None: an account without
        one). The requester's count across identifiers stays: signing in to one's own account
        must not reset a spray."""
        for identifier in identifiers:
            if identifier:
                await self.counts.clear_throttle(_SCOPE, _key(identifier, requester))


def _key(identifier: str, requester: str) -> str:
    # Identifiers are E.164 numbers or email addresses, never "*" (the requester's own count).
    return f"{identifier}|{requester}"
