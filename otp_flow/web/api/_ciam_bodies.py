"""The CIAM bodies: what every CIAM endpoint decodes and answers (msgspec Structs, read by the
handlers and by the OpenAPI document), and how they name a channel's fields.

A CIAM body names the identifier after the ``User`` field that keeps it (``USER_FIELDS``:
``phone_number``, ``email``) and its code's fields after that (``_otp_token``, ``_otp``), and
gives exactly one identifier; ``channel_field``, ``required_channel_fields`` and ``one_channel``
read them so. The seed's ``/otp/*``, the token endpoints (``/oauth2/*``) and the account
endpoints (``/signup``, ``/reset_user_password``, ``/userinfo``) each have a section below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, cast

import msgspec
from msgspec import Meta

from otp_flow.errors import InvalidRequest
from otp_flow.types import CHANNELS, USER_FIELDS, Channel
from otp_flow.web.api._common import RequiredText, required

__all__ = [
    "GRANT_TYPES",
    "ONE_RECIPIENT",
    "OTP_GRANTS",
    "REFRESH_GRANT",
    "CiamResetPasswordRequest",
    "CiamRevokeRequest",
    "CiamSendRequest",
    "CiamSendResponse",
    "CiamSignupRequest",
    "CiamTokenRequest",
    "CiamTokenResponse",
    "CiamUsage",
    "CiamUserinfo",
    "CiamUserinfoUpdate",
    "CiamVerifyRequest",
    "CiamVerifyResponse",
    "ClientCredentials",
    "Jwk",
    "Jwks",
    "OpenIdConfiguration",
    "Proof",
    "channel_field",
    "one_channel",
    "required_channel_fields",
]

# ------------------------------------------------------------- /otp/send, /otp/verify (the seed)

#: The usages of the CIAM contract (the seeds'), a closed list of its own: a usage added to the
#: registry for a page flow (otp_flow._usages) does not change what POST /otp/send accepts.
CiamUsage = Literal["login", "signup", "update_userinfo", "reset_password"]


class CiamSendRequest(msgspec.Struct):
    """Exactly one of ``phone_number`` and ``email``."""

    usage: CiamUsage = "login"
    phone_number: (
        Annotated[str, Meta(description="Mainland-China 11-digit mobile (or E.164)")] | None
    ) = None
    email: Annotated[str, Meta(extra_json_schema={"format": "email"})] | None = None
    auth_source_id: (
        Annotated[str, Meta(description="login only: an SMS or email OTP auth source")] | None
    ) = None


class CiamSendResponse(msgspec.Struct):
    otp_token: str


class CiamVerifyRequest(msgspec.Struct):
    otp_token: RequiredText
    code: RequiredText


class CiamVerifyResponse(msgspec.Struct, omit_defaults=True):
    """The proven recipient: ``phone_number`` or ``email``."""

    verified: Literal[True]
    usage: CiamUsage
    phone_number: str | None = None
    email: str | None = None


# ------------------------------------------------------------- /oauth2/token, /oauth2/revoke

_GRANT_PREFIX = "http://tencentciam.com/oauth2/grant-type/otp/"
#: The OTP grant types and the channel each signs in by.
OTP_GRANTS: dict[str, Channel] = {_GRANT_PREFIX + "sms": "sms", _GRANT_PREFIX + "email": "email"}
REFRESH_GRANT = "refresh_token"
GRANT_TYPES = (*OTP_GRANTS, REFRESH_GRANT)


class ClientCredentials(msgspec.Struct, kw_only=True):
    """Client credentials in the body (CIAM's way); without both, HTTP Basic."""

    client_id: str | None = None
    client_secret: str | None = None


class CiamTokenRequest(ClientCredentials, kw_only=True):
    """An OTP grant (``phone_number`` or ``email`` as the grant says, ``otp_token``, ``otp``,
    optionally ``auth_source_id`` and ``auto_signup``) or the ``refresh_token`` grant."""

    grant_type: Annotated[RequiredText, msgspec.Meta(extra_json_schema={"enum": list(GRANT_TYPES)})]
    auth_source_id: Annotated[str, Meta(description="An SMS or email OTP auth source")] | None = (
        None
    )
    phone_number: (
        Annotated[str, Meta(description="otp/sms: the number the code went to")] | None
    ) = None
    email: Annotated[str, Meta(description="otp/email: the address the code went to")] | None = None
    otp_token: str | None = None
    otp: Annotated[str, Meta(description="The code")] | None = None
    auto_signup: Annotated[
        bool, Meta(description="Sign up an unknown recipient (form: true/false)")
    ] = False
    refresh_token: Annotated[str, Meta(description="The refresh_token grant")] | None = None


class CiamRevokeRequest(ClientCredentials, kw_only=True):
    """A refresh or access token (RFC 7009)."""

    token: RequiredText


class CiamTokenResponse(msgspec.Struct):
    """What ``IssuedTokens.body`` answers (tests/test_openapi.py holds real answers to it)."""

    access_token: Annotated[str, Meta(description="A JWT (typ at+jwt), verifiable with the JWKS")]
    refresh_token: str
    scope: Literal["openid"]
    id_token: Annotated[str, Meta(description="An OpenID Connect id token (JWT)")]
    token_type: Literal["Bearer"]
    expires_in: Annotated[int, msgspec.Meta(ge=1)]


class Jwk(msgspec.Struct):
    kty: str
    kid: str


class Jwks(msgspec.Struct):
    """A JWK Set, newest key first."""

    keys: list[Jwk]


class OpenIdConfiguration(msgspec.Struct):
    """What ``discovery_document`` answers (its other members are standard)."""

    issuer: str
    jwks_uri: str
    token_endpoint: str


# ------------------------------------------------- /signup, /reset_user_password, /userinfo


class Proof(msgspec.Struct, kw_only=True):
    """A phone number or email address, with the ``otp_token`` and code sent to it (the other
    channel's fields are not read)."""

    phone_number: str | None = None
    phone_number_otp_token: str | None = None
    phone_number_otp: str | None = None
    email: str | None = None
    email_otp_token: str | None = None
    email_otp: str | None = None


class CiamSignupRequest(Proof, kw_only=True):
    """Exactly one of ``phone_number`` and ``email``, with its ``*_otp_token`` and ``*_otp``."""

    password: str | None = None
    nickname: str | None = None
    name: str | None = None


class CiamResetPasswordRequest(Proof, kw_only=True):
    """Exactly one of ``phone_number`` and ``email``, with its ``*_otp_token`` and ``*_otp``."""

    password: RequiredText


class CiamUserinfoUpdate(Proof, kw_only=True, forbid_unknown_fields=True):
    """A new ``phone_number`` or ``email`` comes with its ``*_otp_token`` and ``*_otp``."""

    name: str | None = None
    nickname: str | None = None
    #: Not stored by this server: only null is taken.
    zoneinfo: None = None
    locale: None = None


class CiamUserinfo(msgspec.Struct, kw_only=True):
    """The user's claims (OpenID Connect), as ``otp_flow.tokens.user_claims`` gives them."""

    sub: str
    name: str | None = None
    nickname: str | None = None
    phone_number: str | None = None
    phone_number_verified: bool | None = None
    email: str | None = None
    email_verified: bool | None = None


# ------------------------------------------------------------------ a channel's fields

#: ``invalid_request`` of a body naming both or neither recipient.
ONE_RECIPIENT = "give exactly one of phone_number and email"


def channel_field(body: object, channel: Channel, suffix: str = "") -> str | None:
    """``channel``'s field of a CIAM body (None: absent), its name ``USER_FIELDS[channel]`` +
    ``suffix``. Read by name, as ``decode``'s stand-in for a body it could not take whole checks
    each field when it is read."""
    return cast("str | None", getattr(body, USER_FIELDS[channel] + suffix))


def required_channel_fields(body: object, channel: Channel, *suffixes: str) -> list[str]:
    """``channel_field`` of each suffix, all read (a wrong type is named first) and then each
    required: absent, null or blank is "<field> is required"."""
    values = [channel_field(body, channel, suffix) for suffix in suffixes]
    names = [USER_FIELDS[channel] + suffix for suffix in suffixes]
    return [required(value, name) for value, name in zip(values, names, strict=True)]


def one_channel(read: Callable[[str], object]) -> Channel:
    """The channel of the one identifier a body gives (``read``: its field by name), else
    ``invalid_request``: a CIAM body names exactly one of ``phone_number`` and ``email``."""
    given = [channel for channel in CHANNELS if read(USER_FIELDS[channel]) is not None]
    if len(given) != 1:
        raise InvalidRequest(ONE_RECIPIENT)
    return given[0]
