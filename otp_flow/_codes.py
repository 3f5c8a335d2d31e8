"""Making codes and the keyed digests that stand in for them in the store."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["CodeHasher", "generate_code", "new_challenge_id"]


def generate_code(length: int, alphabet: str) -> str:
    """``length`` characters of ``alphabet``, uniform and independent.

    One draw from ``secrets`` of a number below base**length, written in the alphabet's base:
    the digits of a uniform number are uniform and independent, at one call instead of one per
    character.
    """
    base = len(alphabet)
    value = secrets.randbelow(base**length)
    out = []
    for _ in range(length):
        value, digit = divmod(value, base)
        out.append(alphabet[digit])
    return "".join(out)


def new_challenge_id() -> str:
    """48 random bits as decimal digits: unguessable enough to bind a token, and small in Redis
    (a listpack stores it as an integer)."""
    return str(secrets.randbits(48) | (1 << 47))


class CodeHasher:
    """HMAC-SHA256 over (client, usage, recipient, code), truncated to 16 bytes.

    Keyed, so a copy of the store alone does not allow a dictionary attack on the (tiny) code
    space; bound to who and what the code is for, so one digest is useless anywhere else. It
    deliberately leaves out the challenge id: verifying by recipient (Yunpian, OnlyID) must
    compute the digest before knowing which challenge is current, in the same single round trip.
    """

    def __init__(self, secret_key: bytes) -> None:
        # A derived key: the store digests never share a key with the token signatures.
        self._key = hmac.new(secret_key, b"otp_flow.code-digest", hashlib.sha256).digest()

    def digest(self, client_id: str, usage: str, recipient: str, code: str) -> bytes:
        message = "\x00".join((client_id, usage, recipient, code)).encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()[:16]
