"""The keys that sign access and id tokens: asymmetric, several at once for rotation.

Keys are given oldest first; the newest signs, every one verifies and is published at
``/.well-known/jwks.json`` (so tokens signed before a rotation keep verifying until they expire).
Each key's ``kid`` is its RFC 7638 thumbprint: the same key always has the same id.

An EC P-256 key signs with ES256, an RSA key of at least 2048 bits with RS256.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, KeySet, RSAKey

from otp_flow._signing import normalise_keys

__all__ = ["SigningKeys"]

log = logging.getLogger("otp_flow")

AsymmetricKey = ECKey | RSAKey

#: Salt of the development keys derived from ``secret_keys``: a purpose of its own, so the
#: derived signing key is unrelated to anything else made from the same secret.
_DERIVATION_SALT = b"otp_flow.tokens.signing-key"


def _algorithm(key: AsymmetricKey) -> str:
    if isinstance(key, ECKey):
        if key.curve_name != "P-256":
            raise ValueError(f"EC signing keys must be P-256 (ES256), not {key.curve_name}")
        return "ES256"
    if key.raw_value.key_size < 2048:
        raise ValueError("RSA signing keys must have at least 2048 bits")
    return "RS256"


class SigningKeys:
    """Private signing keys, oldest first; the newest signs, all of them verify."""

    def __init__(self, keys: Sequence[AsymmetricKey]) -> None:
        if not keys:
            raise ValueError("at least one signing key is required")
        self._algorithms: dict[str, str] = {}
        for key in keys:
            if not isinstance(key, ECKey | RSAKey) or not key.is_private:
                raise ValueError("signing keys must be private EC (P-256) or RSA keys")
            key.ensure_kid()
            self._algorithms[str(key.kid)] = _algorithm(key)
        self._keys = list(keys)
        self.key_set = KeySet(list(self._keys))

    @classmethod
    def from_pem(cls, pems: Sequence[str | bytes]) -> SigningKeys:
        """PEM private keys (PKCS#8 or traditional), oldest first."""
        keys: list[AsymmetricKey] = []
        for index, pem in enumerate(pems):
            data = pem.encode() if isinstance(pem, str) else pem
            key = _import_pem(data)
            if key is None:
                raise ValueError(f"signing key {index} is not a PEM EC or RSA private key")
            keys.append(key)
        return cls(keys)

    @classmethod
    def from_files(cls, paths: Sequence[str | Path]) -> SigningKeys:
        return cls.from_pem([Path(path).read_bytes() for path in paths])

    @classmethod
    def derived(cls, secret_keys: Sequence[str | bytes] | str | bytes) -> SigningKeys:
        """Development keys: one EC key per secret key (HKDF through joserfc), so every worker
        and every restart with the same ``secret_keys`` signs and publishes the same keys, and
        rotating the secret keys rotates these too. Anyone holding a secret key can sign
        tokens: configure real signing keys in production."""
        log.warning(
            "tokens are signed with keys derived from secret_keys; configure "
            "[tokens] signing_keys (PEM files) for production"
        )
        return cls(
            [
                ECKey.derive_key(secret, "P-256", kdf_options={"salt": _DERIVATION_SALT})
                for secret in normalise_keys(secret_keys)
            ]
        )

    @classmethod
    def ephemeral(cls) -> SigningKeys:
        """One fresh key for this process only: tokens die with it, and another worker cannot
        verify them. For tests and single-process experiments."""
        log.warning(
            "tokens are signed with a key generated at start: they stop verifying on restart "
            "and in any other worker; pass SigningKeys from configuration"
        )
        return cls([ECKey.generate_key("P-256")])

    @property
    def newest(self) -> tuple[AsymmetricKey, str]:
        """The key that signs, and its algorithm."""
        key = self._keys[-1]
        return key, self._algorithms[str(key.kid)]

    @property
    def algorithms(self) -> list[str]:
        return sorted(set(self._algorithms.values()))

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWK Set, newest first (what ``/.well-known/jwks.json`` serves)."""
        return {
            "keys": [
                key.as_dict(private=False, use="sig", alg=self._algorithms[str(key.kid)])
                for key in reversed(self._keys)
            ]
        }


def _import_pem(data: bytes) -> AsymmetricKey | None:
    for kind in (ECKey, RSAKey):
        try:
            with warnings.catch_warnings():
                # joserfc only warns about a weak RSA key; SigningKeys refuses it (_algorithm).
                warnings.simplefilter("ignore", SecurityWarning)
                key: AsymmetricKey = kind.import_key(data)
        except (JoseError, ValueError, TypeError):
            continue
        return key
    return None
