"""The document's part for CIAM's token and account endpoints (paths and component schemas).

Error codes come from ``otp_flow.web.api.ciam_errors``, grant types from ``ciam_token`` and the
userinfo attributes from ``ciam_account``, so this cannot drift from what the handlers answer.
"""

from __future__ import annotations

from otp_flow.web.api.ciam import CiamErrorCode
from otp_flow.web.api.ciam_account import USERINFO_FIELDS
from otp_flow.web.api.ciam_errors import ACCOUNT_ERRORS, TOKEN_ERRORS
from otp_flow.web.api.ciam_token import GRANT_TYPES
from otp_flow.web.openapi.schemas import STRING, Schema, obj, ref

__all__ = ["CIAM_TOKEN_PATHS", "CIAM_TOKEN_SCHEMAS"]

_ERRORS = sorted({*CiamErrorCode, *TOKEN_ERRORS, *ACCOUNT_ERRORS})
_HEADER: Schema = {"schema": STRING, "required": True}


def _json(schema: Schema, description: str, **headers: Schema) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


def _errors(*, body: bool = True, challenge: str = "Basic") -> dict[str, Schema]:
    error = ref("CiamTokenError")
    answers = {
        "400": _json(error, "Refused; see error"),
        "401": _json(error, f"Bad credentials ({challenge})", **{"WWW-Authenticate": _HEADER}),
        "503": _json(error, "temporarily_unavailable"),
    }
    if body:
        answers["413"] = _json(error, "Body over 64 KiB")
    return answers


_EMPTY: Schema = {"description": "Done (an empty body)"}


def _post(
    tag: str, summary: str, body: Schema, ok: Schema, *, security: str, form: Schema | None = None
) -> Schema:
    content: Schema = {"application/json": {"schema": body}}
    if form is not None:
        content["application/x-www-form-urlencoded"] = {"schema": form}
    operation: Schema = {
        "tags": [tag],
        "summary": summary,
        "requestBody": {"required": True, "content": content},
        "responses": {"200": ok, **_errors()},
    }
    if security:
        operation["security"] = [{security: []}]
    return operation


_TOKEN_FIELDS: dict[str, Schema] = {
    "grant_type": {"type": "string", "enum": list(GRANT_TYPES)},
    "client_id": STRING,
    "client_secret": STRING,
    "auth_source_id": {**STRING, "description": "An SMS or email OTP auth source"},
    "phone_number": {**STRING, "description": "The otp/sms grant: the number the code went to"},
    "email": {**STRING, "description": "The otp/email grant: the address the code went to"},
    "otp_token": STRING,
    "otp": {**STRING, "description": "The code"},
    "refresh_token": {**STRING, "description": "The refresh_token grant"},
}
_OTP_TRIO: dict[str, Schema] = {
    "phone_number": STRING,
    "phone_number_otp_token": STRING,
    "phone_number_otp": STRING,
    "email": STRING,
    "email_otp_token": STRING,
    "email_otp": STRING,
}

CIAM_TOKEN_SCHEMAS: dict[str, Schema] = {
    "CiamTokenError": obj(
        ("error",), error={"type": "string", "enum": _ERRORS}, error_description=STRING
    ),
    "CiamTokenRequest": obj(
        ("grant_type",),
        closed=False,
        **_TOKEN_FIELDS,
        auto_signup={"type": "boolean", "default": False},
    ),
    "CiamTokenForm": obj(
        ("grant_type",),
        closed=False,
        **_TOKEN_FIELDS,
        auto_signup={"type": "string", "enum": ["true", "false"]},
    ),
    "CiamTokenResponse": obj(
        ("access_token", "refresh_token", "scope", "id_token", "token_type", "expires_in"),
        access_token={**STRING, "description": "A JWT (typ at+jwt), verifiable with the JWKS"},
        refresh_token=STRING,
        scope={"const": "openid"},
        id_token={**STRING, "description": "An OpenID Connect id token (JWT)"},
        token_type={"const": "Bearer"},
        expires_in={"type": "integer", "minimum": 1},
    ),
    "CiamRevokeRequest": obj(
        ("token",), closed=False, token=STRING, client_id=STRING, client_secret=STRING
    ),
    "CiamSignupRequest": obj(
        (), closed=False, **_OTP_TRIO, password=STRING, nickname=STRING, name=STRING
    ),
    "CiamResetPasswordRequest": obj(("password",), closed=False, **_OTP_TRIO, password=STRING),
    "CiamUserinfoUpdate": {
        "type": "object",
        "properties": {name: STRING for name in USERINFO_FIELDS},
        "additionalProperties": False,
    },
    "CiamUserinfo": obj(
        ("sub",),
        sub=STRING,
        name=STRING,
        nickname=STRING,
        phone_number=STRING,
        phone_number_verified={"type": "boolean"},
        email=STRING,
        email_verified={"type": "boolean"},
    ),
    "Jwks": obj(
        ("keys",), keys={"type": "array", "items": {"type": "object", "required": ["kty", "kid"]}}
    ),
    "OpenIdConfiguration": obj(
        ("issuer", "jwks_uri", "token_endpoint"),
        closed=False,
        issuer=STRING,
        jwks_uri=STRING,
        token_endpoint=STRING,
    ),
}

_USERINFO_OK = _json(ref("CiamUserinfo"), "The user's claims (OpenID Connect)")
_BEARER_401 = _json(
    ref("CiamTokenError"),
    "invalid_token: a missing, bad, expired or revoked access token",
    **{"WWW-Authenticate": _HEADER},
)

CIAM_TOKEN_PATHS: dict[str, Schema] = {
    "/oauth2/token": {
        "post": {
            **_post(
                "CIAM",
                "Sign in by an SMS or email code, or renew tokens (refresh_token)",
                ref("CiamTokenRequest"),
                _json(ref("CiamTokenResponse"), "Tokens", **{"Cache-Control": _HEADER}),
                security="",
                form=ref("CiamTokenForm"),
            ),
            "description": "Client credentials: client_id and client_secret in the body "
            "(or HTTP Basic).",
        }
    },
    "/oauth2/revoke": {
        "post": {
            **_post(
                "CIAM",
                "Sign out (RFC 7009; otp_flow's extension): end a token's sign-in",
                ref("CiamRevokeRequest"),
                _EMPTY,
                security="",
                form=ref("CiamRevokeRequest"),
            ),
        }
    },
    "/signup": {
        "post": _post(
            "CIAM",
            "Sign up by code",
            ref("CiamSignupRequest"),
            _USERINFO_OK,
            security="clientBasic",
        )
    },
    "/reset_user_password": {
        "post": _post(
            "CIAM",
            "Set a new password by code",
            ref("CiamResetPasswordRequest"),
            _EMPTY,
            security="clientBasic",
        )
    },
    "/userinfo": {
        "get": {
            "tags": ["CIAM"],
            "summary": "The signed-in user's claims",
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": _USERINFO_OK,
                "401": _BEARER_401,
                "503": _json(ref("CiamTokenError"), "temporarily_unavailable"),
            },
        },
        "patch": {
            "tags": ["CIAM"],
            "summary": "Change the name, or a phone number or email proven by its code",
            "security": [{"bearerAuth": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("CiamUserinfoUpdate")}},
            },
            "responses": {"200": _USERINFO_OK, **_errors(), "401": _BEARER_401},
        },
    },
    "/.well-known/jwks.json": {
        "get": {
            "tags": ["CIAM"],
            "summary": "The public keys that verify access and id tokens",
            "responses": {
                "200": _json(ref("Jwks"), "A JWK Set, newest key first"),
                "503": _json(ref("CiamTokenError"), "temporarily_unavailable"),
            },
        }
    },
    "/.well-known/openid-configuration": {
        "get": {
            "tags": ["CIAM"],
            "summary": "OpenID Connect discovery",
            "responses": {
                "200": _json(ref("OpenIdConfiguration"), "The discovery document"),
                "503": _json(ref("CiamTokenError"), "temporarily_unavailable"),
            },
        }
    },
}
