"""What the CIAM endpoints share: the base of their three classes (the context they are built
from, client and bearer authentication, proving an ``otp_token`` + code for one usage and
recipient) and body reading."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from starlette.requests import Request

from otp_flow._clients import Client
from otp_flow.errors import InvalidRequest, InvalidToken, VerificationFailed
from otp_flow.tokens import AccessClaims, TokenRejected
from otp_flow.types import Recipient, Usage
from otp_flow.users import PasswordUserStore, User
from otp_flow.web._clientauth import ClientAuthError, parse_basic
from otp_flow.web.api._ciam_bodies import ClientCredentials
from otp_flow.web.api._ciam_errors import BAD_ACCESS_TOKEN, NO_PASSWORDS, CIAMError, invalid_token
from otp_flow.web.api._ciam_errors import CiamErrorCode as Code
from otp_flow.web.api._common import BadInput, decode, form_params, read_body, read_json_object
from otp_flow.web.api._context import ApiContext

__all__ = ["CIAMEndpoints", "read_params", "with_flags"]

_FORM = "application/x-www-form-urlencoded"


async def read_params(request: Request, limit: int) -> dict[str, object]:
    """A JSON object, or an urlencoded form (what OAuth 2.0 clients send to a token endpoint)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        return await read_json_object(request, limit)
    return dict(form_params(await read_body(request, limit)))


def with_flags(params: Mapping[str, object], *names: str) -> dict[str, object]:
    """``params`` with the booleans ``names`` as JSON's true/false: a form can only spell them
    "true" or "false" (in any case, which JSON bodies may use too)."""
    flags = {
        name: value.lower() == "true"
        for name in names
        if isinstance(value := params.get(name), str) and value.lower() in ("true", "false")
    }
    return {**params, **flags}


class CIAMEndpoints:
    """The base of CIAM's classes (one per group of endpoints, each a ``Dialect``): they share
    its name in the document and these helpers."""

    dialect: ClassVar[str] = "CIAM"
    note: ClassVar[str] = ""

    def __init__(self, context: ApiContext) -> None:
        self.context = context

    def password_users(self) -> PasswordUserStore:
        """The user store as a keeper of passwords; ``invalid_request`` when it keeps none."""
        if not isinstance(self.context.users, PasswordUserStore):
            raise CIAMError(Code.INVALID_REQUEST, NO_PASSWORDS)
        return self.context.users

    def issuer(self, request: Request) -> str:
        """The configured issuer, else this service's base URL (what discovery is served at)."""
        return self.context.tokens.issuer or str(request.base_url).rstrip("/")

    def basic_client(self, request: Request) -> Client:
        client_id, secret = parse_basic(request.headers.get("authorization"))
        return self.context.clients.authenticate(client_id, secret)

    def body_client(self, request: Request, params: Mapping[str, object]) -> Client:
        """``client_id`` + ``client_secret`` in the body (CIAM's way), else HTTP Basic."""
        credentials = decode(params, ClientCredentials)
        try:
            client_id, secret = credentials.client_id, credentials.client_secret
        except BadInput as exc:
            raise ClientAuthError("unknown_client") from exc
        if client_id is None and secret is None:
            return self.basic_client(request)
        if client_id is None or secret is None:
            raise ClientAuthError("unknown_client")
        return self.context.clients.authenticate(client_id, secret)

    async def bearer(self, request: Request) -> tuple[AccessClaims, User]:
        """The live access token of ``Authorization: Bearer`` and its user, else a 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise invalid_token("A bearer access token is required", presented=False)
        try:
            claims = await self.context.tokens.authenticate(
                token.strip(), issuer=self.issuer(request)
            )
        except TokenRejected as exc:
            raise invalid_token(BAD_ACCESS_TOKEN) from exc
        user = await self.context.users.get(claims.user_id)
        if user is None:
            raise invalid_token(BAD_ACCESS_TOKEN)
        return claims, user

    async def prove(
        self,
        *,
        otp_token: str,
        code: str,
        usage: Usage,
        recipient: Recipient,
        client_id: str,
        bad_token: Callable[[], Exception],
        bad_code: Callable[[], Exception],
    ) -> None:
        """Spend the code of ``otp_token`` after checking the token was issued to ``client_id``
        for ``usage`` and ``recipient``: a token for anything else is refused before its code
        is tried, so it costs the real challenge no attempt."""
        try:
            claims = self.context.engine.read_token(otp_token)
        except InvalidToken as exc:
            raise bad_token() from exc
        if (claims.client_id, claims.recipient, claims.usage) != (client_id, recipient, usage):
            raise bad_token()
        try:
            await self.context.engine.verify(claims, code, client_id=client_id)
        except (VerificationFailed, InvalidRequest) as exc:
            raise bad_code() from exc
