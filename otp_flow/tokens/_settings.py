"""The ``[tokens]`` table of the configuration file: CIAM's token keys and lifetimes."""

from __future__ import annotations

from typing import Annotated

import msgspec

from otp_flow import defaults
from otp_flow._tables import Table, Text, Texts, within
from otp_flow.tokens._keys import SigningKeys
from otp_flow.tokens._service import check_lifetimes

__all__ = ["TokenSettings"]

TokenTTL = Annotated[int, within(defaults.TOKEN_TTL_BOUNDS)]


class TokenSettings(Table, frozen=True):
    """CIAM's access, id and refresh tokens (`otp_flow.tokens`); see [CIAM](api/ciam.md) and
    [Operations](operations.md#token-signing-keys)."""

    signing_keys: Texts = ()
    """Paths of PEM private keys (EC P-256 or RSA of 2048 bits or more), oldest first: the
    newest signs, all are published at `/.well-known/jwks.json`. Loaded at start-up. `[]` = keys
    derived from `secret_keys`, with a warning: configure real keys in production."""
    issuer: Text | None = None
    "The `iss` of every token; absent = the service's own base URL per request."
    access_token_ttl_seconds: TokenTTL = defaults.ACCESS_TOKEN_TTL_SECONDS
    "Lifetime of an access token (at most a day, and at most `refresh_token_ttl_seconds`)."
    id_token_ttl_seconds: TokenTTL = defaults.ID_TOKEN_TTL_SECONDS
    "Lifetime of an id token (at most a day)."
    refresh_token_ttl_seconds: Annotated[int, within(defaults.REFRESH_TOKEN_TTL_BOUNDS)] = (
        defaults.REFRESH_TOKEN_TTL_SECONDS
    )
    "Lifetime of a refresh-token family (at most 400 days)."

    def __post_init__(self) -> None:
        super().__post_init__()
        check_lifetimes(**{k: v for k, v in msgspec.structs.asdict(self).items() if "ttl" in k})
        if self.signing_keys:
            try:  # Loaded now: a missing or wrong key file fails at start-up, not at a sign-in.
                SigningKeys.from_files(self.signing_keys)
            except (OSError, ValueError) as exc:
                raise ValueError(f"signing_keys: {exc}") from exc
