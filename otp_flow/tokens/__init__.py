"""Tokens of the CIAM dialect: JWT access and id tokens signed with rotating asymmetric keys
(joserfc), and refresh tokens rotated within families kept in a small store (memory or Redis).

No web framework here; ``otp_flow.web.api`` serves them over HTTP.
"""

from otp_flow.tokens._keys import SigningKeys
from otp_flow.tokens._service import (
    AccessClaims,
    RefreshGrant,
    RefreshRejected,
    TokenRejected,
    TokenService,
    TokenSet,
    check_lifetimes,
    user_claims,
)
from otp_flow.tokens._store import MemoryTokenStore, RotateOutcome, TokenStore, token_store_beside

__all__ = [
    "AccessClaims",
    "MemoryTokenStore",
    "RefreshGrant",
    "RefreshRejected",
    "RotateOutcome",
    "SigningKeys",
    "TokenRejected",
    "TokenService",
    "TokenSet",
    "TokenStore",
    "check_lifetimes",
    "token_store_beside",
    "user_claims",
]
