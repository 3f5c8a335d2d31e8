"""itsdangerous serializers with an injectable clock and one salt per purpose.

Secret keys are given oldest first, newest last: new signatures use the newest key and every key
still verifies, which is how keys rotate without signing anyone out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from itsdangerous import BadSignature, Serializer, Signer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.timed import TimestampSigner

from otp_flow.types import Clock, system_clock

__all__ = ["BadSignature", "TimedSerializer", "normalise_keys"]


def normalise_keys(secret_keys: Sequence[str | bytes] | str | bytes) -> list[bytes]:
    keys = [secret_keys] if isinstance(secret_keys, str | bytes) else list(secret_keys)
    out = [k.encode() if isinstance(k, str) else bytes(k) for k in keys]
    if not out:
        raise ValueError("secret_keys must hold at least one key")
    for key in out:
        if len(key) < 16:
            raise ValueError("every secret key must be at least 16 bytes long")
    return out


class _UncompressedSerializer(URLSafeTimedSerializer):
    """Never tries zlib: for payloads of a few dozen bytes the attempt costs three quarters of
    signing and almost never wins. Tokens that are compressed still load.

    One signer per salt, kept: itsdangerous builds a new one for every ``dumps`` and ``loads``,
    and a signer holds nothing that changes between calls (the clock is read per call)."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        key = self.salt if salt is None else salt
        signers: dict[str | bytes | None, Signer] = self.__dict__.setdefault("_signers", {})
        signer = signers.get(key)
        if signer is None:
            signer = signers[key] = super().make_signer(salt)
        return signer


class _CachedKeySigner(TimestampSigner):
    """Derives each secret key once: itsdangerous hashes salt + key again for every signature
    and every check, a fifth of what signing a token costs."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        derived: dict[str | bytes | None, bytes] = self.__dict__.setdefault("_derived", {})
        key = derived.get(secret_key)
        if key is None:
            key = derived[secret_key] = super().derive_key(secret_key)
        return key


class TimedSerializer:
    """Signs JSON-able payloads with a timestamp taken from ``clock``; ``loads`` checks age."""

    def __init__(
        self, secret_keys: Sequence[bytes], *, salt: str, max_age: int, clock: Clock = system_clock
    ) -> None:
        class _ClockSigner(_CachedKeySigner):
            def get_timestamp(self) -> int:
                return int(clock())

        self.max_age = max_age
        self._clock = clock
        self._serializer = _UncompressedSerializer(
            list(secret_keys), salt=salt, signer=_ClockSigner
        )

    def dumps(self, payload: Any) -> str:
        return str(self._serializer.dumps(payload))

    def loads(self, token: str, *, max_age: int | None = None) -> Any:
        """Raise ``BadSignature`` (or its subclass ``SignatureExpired``) when not acceptable."""
        if not isinstance(token, str) or not token or len(token) > 4096:
            raise BadSignature("empty or overlong token")
        return self._serializer.loads(token, max_age=self.max_age if max_age is None else max_age)
