"""The otp_token: what ``OTPEngine.send`` signs and hands out, and ``OTPEngine.read_token``
reads back. It names one challenge (client, recipient as typed, usage, challenge id); the code
itself is never in it. Signed with the newest secret key, valid for the policy's
``token_ttl_seconds``.
"""

from __future__ import annotations

from collections.abc import Sequence

from itsdangerous import BadSignature

from otp_flow._signing import TimedSerializer
from otp_flow.errors import InvalidToken
from otp_flow.types import CHANNELS, USAGES, Clock, Recipient, TokenClaims, Usage

__all__ = ["OTPTokens"]

#: The payload's layout: [version, client_id, channel, value, usage, challenge_id].
_VERSION = 1


class OTPTokens(TimedSerializer):
    """Signs and reads otp_tokens under their own salt."""

    def __init__(self, secret_keys: Sequence[bytes], *, max_age: int, clock: Clock) -> None:
        super().__init__(secret_keys, salt="otp_flow.otp_token", max_age=max_age, clock=clock)

    def sign(self, client_id: str, recipient: Recipient, usage: Usage, challenge_id: str) -> str:
        return self.dumps(
            [_VERSION, client_id, recipient.channel, recipient.value, usage, challenge_id]
        )

    def read(self, otp_token: str) -> TokenClaims:
        """What a valid token says; ``InvalidToken`` when it is forged, expired or malformed."""
        try:
            payload = self.loads(otp_token)
        except BadSignature as exc:
            raise InvalidToken() from exc
        try:
            version, client_id, channel, value, usage, challenge_id = payload
        except (TypeError, ValueError) as exc:
            raise InvalidToken() from exc
        if version != _VERSION or usage not in USAGES or channel not in CHANNELS:
            raise InvalidToken()
        return TokenClaims(client_id, Recipient(channel, value), usage, challenge_id)
