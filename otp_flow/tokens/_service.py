"""``TokenService``: mint, rotate, check and revoke the tokens of the CIAM dialect.

    access token   JWT (RFC 9068 ``typ: at+jwt``): iss, sub, aud = client_id, client_id,
                   scope, iat, exp, jti, sid (the refresh-token family)
    id token       JWT (OpenID Connect): iss, sub, aud, iat, exp, auth_time, sid and the user's
                   claims (phone_number / email with their *_verified, name, nickname)
    refresh token  opaque: ``<user id, base64url>.<family id>.<secret>``; only its SHA-256
                   digest is stored (see ``otp_flow.tokens._store``)

Access tokens are short-lived and checked against the store on every use: ending their family
(sign-out, reuse of a rotated refresh token, password reset) revokes them at once. No web
framework here: the CIAM dialect is a thin adapter over this.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from otp_flow import defaults
from otp_flow._checks import check_int_between
from otp_flow.errors import RefreshRejected, TokenRejected
from otp_flow.tokens._keys import SigningKeys
from otp_flow.tokens._store import TokenStore
from otp_flow.types import Clock, system_clock
from otp_flow.users import User

__all__ = [
    "AccessClaims",
    "RefreshGrant",
    "RefreshRejected",
    "TokenRejected",
    "TokenService",
    "TokenSet",
    "check_lifetimes",
    "user_claims",
]

SCOPE = "openid"
_ACCESS_TYPE = "at+jwt"
_Id = Annotated[str, msgspec.Meta(min_length=1)]


class _AccessIds(msgspec.Struct):
    """The claims of an access token that name its user, family and client."""

    sub: _Id
    sid: _Id
    client_id: _Id


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str
    id_token: str
    expires_in: int

    def body(self) -> dict[str, object]:
        """The token endpoint's success body (CIAM's field names and order)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "scope": SCOPE,
            "id_token": self.id_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    client_id: str
    family_id: str


@dataclass(frozen=True, slots=True)
class RefreshGrant:
    """A rotated refresh token: whose it is, and the one that replaces it."""

    user_id: str
    family_id: str
    refresh_token: str


def user_claims(user: User) -> dict[str, Any]:
    """The user's OpenID Connect claims (what ``GET /userinfo`` answers)."""
    claims: dict[str, Any] = {"sub": user.id}
    if user.display_name:
        claims["name"] = user.display_name
        claims["nickname"] = user.display_name
    if user.phone_number:
        # Every number and address otp_flow stores was proven by a code.
        claims["phone_number"] = user.phone_number
        claims["phone_number_verified"] = True
    if user.email:
        claims["email"] = user.email
        claims["email_verified"] = True
    return claims


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_lifetimes(
    *, access_token_ttl_seconds: int, id_token_ttl_seconds: int, refresh_token_ttl_seconds: int
) -> None:
    """``ValueError`` naming the first lifetime out of bounds (also used by the config)."""
    for name, value, bounds in (
        ("access_token_ttl_seconds", access_token_ttl_seconds, defaults.TOKEN_TTL_BOUNDS),
        ("id_token_ttl_seconds", id_token_ttl_seconds, defaults.TOKEN_TTL_BOUNDS),
        ("refresh_token_ttl_seconds", refresh_token_ttl_seconds, defaults.REFRESH_TOKEN_TTL_BOUNDS),
    ):
        check_int_between(name, value, bounds)
    if access_token_ttl_seconds > refresh_token_ttl_seconds:
        raise ValueError("access_token_ttl_seconds must not exceed refresh_token_ttl_seconds")


class TokenService:
    """Keyword-only configuration. ``issuer``: the ``iss`` of every token (None: the caller
    passes one per request, e.g. the service's base URL). ``access_token_ttl_seconds`` must not
    exceed ``refresh_token_ttl_seconds`` (an access token never outlives its family)."""

    def __init__(
        self,
        *,
        keys: SigningKeys,
        store: TokenStore,
        issuer: str | None = None,
        access_token_ttl_seconds: int = defaults.ACCESS_TOKEN_TTL_SECONDS,
        id_token_ttl_seconds: int = defaults.ID_TOKEN_TTL_SECONDS,
        refresh_token_ttl_seconds: int = defaults.REFRESH_TOKEN_TTL_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        check_lifetimes(
            access_token_ttl_seconds=access_token_ttl_seconds,
            id_token_ttl_seconds=id_token_ttl_seconds,
            refresh_token_ttl_seconds=refresh_token_ttl_seconds,
        )
        if issuer is not None and (not isinstance(issuer, str) or not issuer.strip()):
            raise ValueError("issuer must be a non-empty string or None")
        self.keys = keys
        self.store = store
        self.issuer = issuer
        self.access_token_ttl_seconds = access_token_ttl_seconds
        self.id_token_ttl_seconds = id_token_ttl_seconds
        self.refresh_token_ttl_seconds = refresh_token_ttl_seconds
        self.clock = clock

    # ------------------------------------------------------------------ issue

    async def issue(self, user: User, *, client_id: str, issuer: str) -> TokenSet:
        """A new sign-in: a new family and its first tokens."""
        family_id = secrets.token_urlsafe(16)
        refresh_token = self._new_refresh_token(user.id, family_id)
        now_ms = self._now_ms()
        await self.store.start_family(
            user_id=user.id,
            family_id=family_id,
            client_id=client_id,
            refresh_digest=_digest(refresh_token),
            now_ms=now_ms,
            expires_ms=now_ms + self.refresh_token_ttl_seconds * 1000,
        )
        return self.mint(
            user,
            client_id=client_id,
            grant=RefreshGrant(user.id, family_id, refresh_token),
            issuer=issuer,
        )

    async def rotate(self, refresh_token: str, *, client_id: str) -> RefreshGrant:
        """Spend ``refresh_token`` for a new one of the same family, or ``RefreshRejected``."""
        parsed = _parse_refresh_token(refresh_token)
        if parsed is None:
            raise RefreshRejected()
        user_id, family_id = parsed
        new_token = self._new_refresh_token(user_id, family_id)
        now_ms = self._now_ms()
        outcome = await self.store.rotate(
            user_id=user_id,
            family_id=family_id,
            client_id=client_id,
            presented_digest=_digest(refresh_token),
            new_digest=_digest(new_token),
            now_ms=now_ms,
            expires_ms=now_ms + self.refresh_token_ttl_seconds * 1000,
        )
        if outcome != "rotated":
            raise RefreshRejected(reused=outcome == "reused")
        return RefreshGrant(user_id, family_id, new_token)

    def mint(self, user: User, *, client_id: str, grant: RefreshGrant, issuer: str) -> TokenSet:
        """Access and id tokens for ``grant``'s family, signed by the newest key."""
        now = int(self.clock())
        key, algorithm = self.keys.newest
        header = {"alg": algorithm, "kid": key.kid}
        access = {
            "iss": issuer,
            "sub": user.id,
            "aud": client_id,
            "client_id": client_id,
            "scope": SCOPE,
            "iat": now,
            "exp": now + self.access_token_ttl_seconds,
            "jti": secrets.token_urlsafe(16),
            "sid": grant.family_id,
        }
        identity = {
            **user_claims(user),
            "iss": issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + self.id_token_ttl_seconds,
            "auth_time": now,
            "sid": grant.family_id,
        }
        return TokenSet(
            access_token=jwt.encode({**header, "typ": _ACCESS_TYPE}, access, key),
            refresh_token=grant.refresh_token,
            id_token=jwt.encode({**header, "typ": "JWT"}, identity, key),
            expires_in=self.access_token_ttl_seconds,
        )

    # ------------------------------------------------------------------ check

    async def authenticate(self, access_token: str, *, issuer: str) -> AccessClaims:
        """The claims of a valid, live access token, else ``TokenRejected``."""
        try:
            token = jwt.decode(access_token, self.keys.key_set, algorithms=self.keys.algorithms)
            JWTClaimsRegistry(
                now=lambda: math.floor(self.clock()),
                iss={"essential": True, "value": issuer},
                sub={"essential": True},
                exp={"essential": True},
                sid={"essential": True},
                client_id={"essential": True},
            ).validate(token.claims)
            if token.header.get("typ") != _ACCESS_TYPE:
                raise TokenRejected("not an access token")  # e.g. an id token presented as one
            # Signed by us yet ids that are not strings: as unusable as a forged token.
            ids = msgspec.convert(token.claims, _AccessIds)
        except (JoseError, ValueError, TypeError) as exc:  # msgspec.ValidationError included
            raise TokenRejected("the access token is not valid") from exc
        if not await self.store.is_live(user_id=ids.sub, family_id=ids.sid, now_ms=self._now_ms()):
            raise TokenRejected("the access token was revoked")
        return AccessClaims(ids.sub, ids.client_id, ids.sid)

    # ----------------------------------------------------------------- revoke

    async def end_family(self, user_id: str, family_id: str) -> None:
        """Sign out one sign-in: its refresh token and access tokens stop working."""
        await self.store.end_family(user_id=user_id, family_id=family_id)

    async def end_refresh_token(self, refresh_token: str, *, client_id: str) -> None:
        """Sign out by refresh token (RFC 7009): ends its family when it is this client's
        current one; an unknown token changes nothing."""
        try:
            grant = await self.rotate(refresh_token, client_id=client_id)
        except RefreshRejected:
            return
        await self.end_family(grant.user_id, grant.family_id)

    async def end_user(self, user_id: str) -> None:
        """End every sign-in of a user (a password reset)."""
        await self.store.end_user(user_id)

    # ---------------------------------------------------------------- private

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @staticmethod
    def _new_refresh_token(user_id: str, family_id: str) -> str:
        owner = base64.urlsafe_b64encode(user_id.encode()).decode().rstrip("=")
        return f"{owner}.{family_id}.{secrets.token_urlsafe(32)}"


def _parse_refresh_token(token: str) -> tuple[str, str] | None:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or len(token) > 1024:
        return None
    owner, family_id, _secret = parts
    try:
        user_id = base64.urlsafe_b64decode(owner + "=" * (-len(owner) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    return (user_id, family_id) if user_id else None
