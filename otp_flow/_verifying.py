"""Checking a code against the store: the digests of the code under every secret key, one
``VerifyRequest``, and the store's verdict turned into a ``VerifyResult`` or the
``VerificationFailed`` subclass that says what to do next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from otp_flow._codes import CodeHasher
from otp_flow.errors import AttemptsExceeded, CodeExpired, NoChallenge, TooManyChecks, WrongCode
from otp_flow.identifiers import limit_key
from otp_flow.stores.base import OTPStore, RequesterChecks, VerifyRequest
from otp_flow.types import Recipient, Usage, VerifyResult

__all__ = ["verify_code"]


async def verify_code(
    store: OTPStore,
    hashers: Sequence[CodeHasher],
    client_id: str,
    recipient: Recipient,
    usage: Usage,
    code: str,
    challenge_id: str | None,
    now_ms: int,
    checks: RequesterChecks | None,
) -> VerifyResult:
    """Check ``code`` for (client, recipient, usage): against challenge ``challenge_id``, or
    whatever code is current when it is None. ``hashers``: newest key first. ``checks``: the
    requester's check budget, counted in the same store call."""
    key = limit_key(recipient)
    newest, *older = (h.digest(client_id, usage, key, code) for h in hashers)
    outcome = await store.verify(
        VerifyRequest(
            client_id=client_id,
            recipient=key,
            usage=usage,
            challenge_id=challenge_id,
            digest=newest,
            now_ms=now_ms,
            older_digests=tuple(older),
            requester=checks,
        )
    )
    failures, limit = outcome.failures, outcome.max_failures
    match outcome.status:
        case "requester_limited":
            raise TooManyChecks(max(math.ceil(outcome.retry_after_ms / 1000), 1))
        case "verified":
            return VerifyResult(recipient, usage, client_id, failures, limit)
        case "wrong":
            raise WrongCode(failures=failures, max_failures=limit)
        case "exceeded":
            raise AttemptsExceeded(failures=failures, max_failures=limit)
        case "no_challenge" if challenge_id is None:
            raise NoChallenge(failures=failures, max_failures=limit)
        case _:
            # Expired, replaced, or (with a token) gone because it was used: to the caller
            # these are one thing — this code will never work again, ask for a new one.
            raise CodeExpired(failures=failures, max_failures=limit)
