"""CIAM sign-in by code: ``POST /oauth2/token`` (the SMS and email OTP grants and the standard
``refresh_token`` grant), ``POST /oauth2/revoke`` (sign-out, RFC 7009; otp_flow's extension),
``GET /.well-known/jwks.json`` and ``GET /.well-known/openid-configuration``.

Bodies are JSON (as CIAM documents) or ``application/x-www-form-urlencoded`` (what OAuth 2.0
clients send); client credentials are ``client_id`` + ``client_secret`` in the body, or Basic.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.errors import InvalidToken
from otp_flow.tokens import RefreshRejected, TokenRejected, TokenService
from otp_flow.types import Channel, Recipient
from otp_flow.users import BeforeEvent, IdentifierTaken, User, UserEvent, find_user
from otp_flow.web._i18n import negotiate
from otp_flow.web.api import _ciam_errors as errors
from otp_flow.web.api._ciam_base import CIAMEndpoints, read_params, with_flags
from otp_flow.web.api._ciam_bodies import (
    GRANT_TYPES,
    OTP_GRANTS,
    REFRESH_GRANT,
    CiamRevokeRequest,
    CiamTokenRequest,
    CiamTokenResponse,
    Jwks,
    OpenIdConfiguration,
    required_channel_fields,
)
from otp_flow.web.api._ciam_errors import CIAMError, error_responses
from otp_flow.web.api._ciam_errors import CiamErrorCode as Code
from otp_flow.web.api._common import decode, guarded, required
from otp_flow.web.api._schema import DONE, Fragment, components, header, json_response
from otp_flow.web.api._schema import operation as _operation

__all__ = ["CIAMTokenApi", "discovery_document"]

#: RFC 6749 5.1: token responses must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def discovery_document(issuer: str, tokens: TokenService) -> dict[str, Any]:
    """OpenID Connect discovery for ``issuer``. There is no authorization endpoint: tokens come
    from the OTP grants, so no browser redirect response types are offered."""
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth2/token",
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": list(GRANT_TYPES),
        "response_types_supported": [],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": tokens.keys.algorithms,
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": [
            "sub", "iss", "aud", "iat", "exp", "auth_time", "sid", "name", "nickname",
            "phone_number", "phone_number_verified", "email", "email_verified",
        ],
    }  # fmt: skip


class CIAMTokenApi(CIAMEndpoints):
    paths: ClassVar[str] = "/oauth2/*"

    def routes(self) -> list[BaseRoute]:
        guard = guarded(errors.to_response, errors.unavailable)
        return [
            Route("/oauth2/token", guard(self.token), methods=["POST"], name="ciam_token"),
            Route("/oauth2/revoke", guard(self.revoke), methods=["POST"], name="ciam_revoke"),
            Route("/.well-known/jwks.json", guard(self.jwks), methods=["GET"], name="jwks"),
            Route(
                "/.well-known/openid-configuration",
                guard(self.discovery),
                methods=["GET"],
                name="openid_configuration",
            ),
        ]

    async def token(self, request: Request) -> Response:
        ctx = self.context
        params = await read_params(request, ctx.max_body_bytes)
        client_id = self.body_client(request, params).id
        body = decode(with_flags(params, "auto_signup"), CiamTokenRequest)
        if body.grant_type == REFRESH_GRANT:
            return await self._refresh(request, body, client_id)
        channel = OTP_GRANTS.get(body.grant_type)
        if channel is None:
            raise CIAMError(Code.UNSUPPORTED_GRANT_TYPE, errors.UNSUPPORTED_GRANT)
        self._check_auth_source(body.auth_source_id, channel)
        (raw,) = required_channel_fields(body, channel, "")
        otp_token = required(body.otp_token, "otp_token")
        code = required(body.otp, "otp")
        auto_signup = body.auto_signup
        recipient = ctx.engine.identifiers.parse(raw, channel)
        try:
            token_client, token_recipient, usage, _ = ctx.engine.read_token(otp_token)
        except InvalidToken as exc:
            raise CIAMError(Code.INVALID_GRANT, errors.UNKNOWN_OTP_TOKEN) from exc
        if token_client != client_id:
            raise CIAMError(Code.INVALID_GRANT, errors.UNKNOWN_OTP_TOKEN)
        if token_recipient != recipient or usage != "login":
            raise CIAMError(Code.INVALID_REQUEST, errors.MISMATCHED)
        await self.prove(
            otp_token=otp_token,
            code=code,
            usage="login",
            recipient=recipient,
            client_id=client_id,
            bad_token=lambda: CIAMError(Code.INVALID_GRANT, errors.UNKNOWN_OTP_TOKEN),
            bad_code=lambda: CIAMError(Code.INVALID_GRANT, errors.UNKNOWN_OTP),
        )
        user = await find_user(ctx.users, recipient)
        if user is None:
            if not auto_signup:
                raise CIAMError(Code.INVALID_GRANT, errors.USER_NOT_FOUND)
            # The application's signup guards hold here too, as before a signup code is sent.
            locale = negotiate(request.headers.get("accept-language"))
            await ctx.hooks.check(BeforeEvent("signup", recipient, "signup", None, locale))
            user = await self._sign_up(recipient)
        issued = await ctx.tokens.issue(user, client_id=client_id, issuer=self.issuer(request))
        await ctx.hooks.fire(UserEvent("login", user))
        return JSONResponse(issued.body(), headers=_NO_STORE)

    async def _refresh(self, request: Request, body: CiamTokenRequest, client_id: str) -> Response:
        ctx = self.context
        refresh_token = required(body.refresh_token, "refresh_token")
        try:
            grant = await ctx.tokens.rotate(refresh_token, client_id=client_id)
        except RefreshRejected as exc:
            raise CIAMError(Code.INVALID_GRANT, errors.BAD_REFRESH_TOKEN) from exc
        user = await ctx.users.get(grant.user_id)
        if user is None:
            await ctx.tokens.end_family(grant.user_id, grant.family_id)
            raise CIAMError(Code.INVALID_GRANT, errors.USER_NOT_FOUND)
        issued = ctx.tokens.mint(
            user, client_id=client_id, grant=grant, issuer=self.issuer(request)
        )
        return JSONResponse(issued.body(), headers=_NO_STORE)

    async def _sign_up(self, recipient: Recipient) -> User:
        """``auto_signup``: the account the code just proved, created now."""
        ctx = self.context
        field = recipient.user_field
        try:
            user = await ctx.users.create(display_name="", **{field: recipient.value})
        except IdentifierTaken:  # created meanwhile by a concurrent request
            found = await find_user(ctx.users, recipient)
            if found is None:
                raise
            return found
        await ctx.hooks.fire(UserEvent("signup", user))
        return user

    def _check_auth_source(self, source_id: str | None, channel: Channel) -> None:
        """Optional here (a service without configured sources can still sign in); when given
        it must name a configured source of the grant's channel."""
        if source_id is None:
            return
        source = self.context.auth_sources.get(source_id)
        if source is None or source.channel != channel:
            raise CIAMError(Code.INVALID_AUTH_SOURCE, errors.AUTH_SOURCE)

    async def revoke(self, request: Request) -> Response:
        """RFC 7009: ends the sign-in a refresh or access token belongs to. 200 whatever the
        token was (an unknown one included), so the answer tells nothing."""
        ctx = self.context
        params = await read_params(request, ctx.max_body_bytes)
        client_id = self.body_client(request, params).id
        token = decode(params, CiamRevokeRequest).token
        try:  # an access token? (a refresh token is not a JWT, so it fails here)
            claims = await ctx.tokens.authenticate(token, issuer=self.issuer(request))
        except TokenRejected:
            await ctx.tokens.end_refresh_token(token, client_id=client_id)
        else:
            if claims.client_id == client_id:
                await ctx.tokens.end_family(claims.user_id, claims.family_id)
        return Response(status_code=200)

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(
            self.context.tokens.keys.jwks(), headers={"Cache-Control": "max-age=300"}
        )

    async def discovery(self, request: Request) -> Response:
        ctx = self.context
        return JSONResponse(discovery_document(self.issuer(request), ctx.tokens))

    @staticmethod
    def openapi() -> Fragment:
        errors_ = error_responses("CiamError")
        unavailable = {"503": errors_["503"]}

        def post(summary: str, body: type, ok: dict[str, Any], **extra: Any) -> dict[str, Any]:
            responses = {"200": ok, **errors_}
            return {
                "post": _operation(
                    CIAMEndpoints.dialect, summary, responses, body=body, form=True, **extra
                )
            }

        def get(summary: str, ok: type, description: str) -> dict[str, Any]:
            responses = {"200": json_response(ok.__name__, description), **unavailable}
            return {"get": _operation(CIAMEndpoints.dialect, summary, responses)}

        tokens = json_response(
            "CiamTokenResponse", "Tokens", **{"Cache-Control": header("no-store", required=True)}
        )
        return Fragment(
            paths={
                "/oauth2/token": post(
                    "Sign in by an SMS or email code, or renew tokens (refresh_token)",
                    CiamTokenRequest,
                    tokens,
                    description="Client credentials: client_id and client_secret in the body "
                    "(or HTTP Basic).",
                ),
                "/oauth2/revoke": post(
                    "Sign out (RFC 7009; otp_flow's extension): end a token's sign-in",
                    CiamRevokeRequest,
                    DONE,
                ),
                "/.well-known/jwks.json": get(
                    "The public keys that verify access and id tokens", Jwks, "A JWK Set"
                ),
                "/.well-known/openid-configuration": get(
                    "OpenID Connect discovery", OpenIdConfiguration, "The discovery document"
                ),
            },
            schemas=components(
                CiamTokenRequest, CiamRevokeRequest, CiamTokenResponse, Jwks, OpenIdConfiguration
            ),
        )
