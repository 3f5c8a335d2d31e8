"""CIAM accounts: ``POST /signup`` and ``POST /reset_user_password`` (Basic client auth), and
``GET`` / ``PATCH /userinfo`` (a bearer access token).

The same user store, hooks and engine as the pages: an account made here signs in there and
the other way round; a reset here ends the user's page sessions and every token, and clears the
pages' password throttle; a new phone or email here sends the old one the pages' notice.
Every code is proven with the ``otp_token`` it came with (see ``CIAMEndpoints.prove``).
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow._clients import Client
from otp_flow._delivery import notify_address_change
from otp_flow.tokens import user_claims
from otp_flow.types import CHANNELS, Channel, Recipient, Usage
from otp_flow.users import IdentifierTaken, UserEvent, find_user
from otp_flow.web._forms import clean_display_name
from otp_flow.web.api import _ciam_errors as errors
from otp_flow.web.api._ciam_base import CIAMEndpoints
from otp_flow.web.api._ciam_bodies import (
    CiamResetPasswordRequest,
    CiamSignupRequest,
    CiamUserinfo,
    CiamUserinfoUpdate,
    Proof,
    channel_field,
    one_channel,
    required_channel_fields,
)
from otp_flow.web.api._ciam_errors import CIAMError, error_responses
from otp_flow.web.api._ciam_errors import CiamErrorCode as Code
from otp_flow.web.api._common import decode, guarded, read_json_object
from otp_flow.web.api._schema import DONE, Fragment, components, header, json_response
from otp_flow.web.api._schema import operation as _operation

__all__ = ["CIAMAccountApi"]

P = TypeVar("P", bound=Proof)


class CIAMAccountApi(CIAMEndpoints):
    paths: ClassVar[str] = "/signup, /reset_user_password, /userinfo"

    def routes(self) -> list[BaseRoute]:
        guard = guarded(errors.to_response, errors.unavailable)
        return [
            Route("/signup", guard(self.signup), methods=["POST"], name="ciam_signup"),
            Route(
                "/reset_user_password",
                guard(self.reset_password),
                methods=["POST"],
                name="ciam_reset_user_password",
            ),
            Route(
                "/userinfo",
                guard(self.userinfo),
                methods=["GET", "PATCH"],
                name="ciam_userinfo",
            ),
        ]

    # ----------------------------------------------------------------- signup

    async def signup(self, request: Request) -> Response:
        ctx = self.context
        client, channel, body = await self._read(request, CiamSignupRequest)
        nickname = body.nickname
        name = _display_name(nickname if nickname is not None else body.name)
        password = body.password
        if password is not None:
            # Refused before the code is checked, so a retry without a password can reuse it.
            password_users = self.password_users()
            self._check_new_password(password)
        recipient = await self._prove(body, channel, "signup", client.id)
        field = recipient.user_field
        try:
            if password is not None:
                user = await password_users.create(
                    display_name=name, password=password, **{field: recipient.value}
                )
            else:
                user = await ctx.users.create(display_name=name, **{field: recipient.value})
        except IdentifierTaken as exc:
            raise CIAMError(Code(f"{field}_is_used")) from exc
        await ctx.hooks.fire(UserEvent("signup", user))
        return JSONResponse(user_claims(user))

    # ----------------------------------------------------------------- reset

    async def reset_password(self, request: Request) -> Response:
        ctx = self.context
        client, channel, body = await self._read(request, CiamResetPasswordRequest)
        password = body.password
        users = self.password_users()
        self._check_new_password(password)
        recipient = await self._prove(body, channel, "reset_password", client.id)
        user = await find_user(ctx.users, recipient)
        if user is None:
            raise CIAMError(Code.USER_NOT_FOUND)
        if user.has_password and await users.check_password(user.id, password):
            raise CIAMError(Code.RECURRENT_PASSWORD)
        await users.set_password(user.id, password)
        # Whoever holds a session or a token of this account is out, as after a page reset.
        if ctx.sessions is not None:
            await ctx.sessions.delete_user(user.id)
        await ctx.tokens.end_user(user.id)
        user = await ctx.users.get(user.id) or user
        await ctx.hooks.fire(UserEvent("reset_password", user))
        return Response(status_code=200)

    # --------------------------------------------------------------- userinfo

    async def userinfo(self, request: Request) -> Response:
        ctx = self.context
        claims, user = await self.bearer(request)
        if request.method == "GET":
            return JSONResponse(user_claims(user))
        body = decode(await read_json_object(request, ctx.max_body_bytes), CiamUserinfoUpdate)
        _ = (body.zoneinfo, body.locale)  # read to be checked: only null is taken
        nickname = body.nickname
        raw_name = nickname if nickname is not None else body.name
        name = _display_name(raw_name) if raw_name is not None else None
        # Every field is checked before any code is spent; then every code before any change.
        wanted: list[tuple[Recipient, str, str]] = []
        for channel in CHANNELS:
            raw = channel_field(body, channel)
            if raw is None:
                continue
            recipient = ctx.engine.identifiers.parse(raw, channel)
            token, code = _token_and_code(body, channel)
            wanted.append((recipient, token, code))
        for recipient, token, code in wanted:
            await self._spend(recipient, token, code, "update_userinfo", claims.client_id)
        changes = {recipient.user_field: recipient.value for recipient, _t, _c in wanted}
        if name is None and not changes:
            return JSONResponse(user_claims(user))
        try:
            updated = await ctx.users.update(user.id, display_name=name, **changes)
        except IdentifierTaken as exc:
            raise CIAMError(Code(f"duplicate_{exc.field}")) from exc
        for recipient, _token, _code in wanted:
            old = getattr(user, recipient.user_field)
            if old and old != recipient.value:
                await notify_address_change(
                    ctx.engine,
                    Recipient(recipient.channel, old),
                    recipient,
                    client_id=claims.client_id,
                    locale=None,  # the dialect carries no language: the default locale's notice
                )
        await ctx.hooks.fire(UserEvent("update_userinfo", updated, previous=user))
        return JSONResponse(user_claims(updated))

    # ---------------------------------------------------------------- helpers

    async def _read(self, request: Request, model: type[P]) -> tuple[Client, Channel, P]:
        """A Basic-authenticated body naming one phone number or email (``signup``, ``reset``):
        the client, the channel and the body."""
        client = self.basic_client(request)
        data = await read_json_object(request, self.context.max_body_bytes)
        return client, one_channel(data.get), decode(data, model)

    def _check_new_password(self, password: str) -> None:
        problem = self.context.passwords.problem(password)
        if problem is not None:
            minimum = self.context.passwords.min_length
            raise CIAMError(
                "invalid_new_password",
                f"the password must be {minimum} to {self.context.passwords.max_length} "
                "characters long",
            )

    async def _prove(
        self, body: Proof, channel: Channel, usage: Usage, client_id: str
    ) -> Recipient:
        (raw,) = required_channel_fields(body, channel, "")
        recipient = self.context.engine.identifiers.parse(raw, channel)
        token, code = _token_and_code(body, channel)
        await self._spend(recipient, token, code, usage, client_id)
        return recipient

    async def _spend(
        self, recipient: Recipient, token: str, code: str, usage: Usage, client_id: str
    ) -> None:
        """The code of ``token``, proving ``recipient`` (``bad_<field>_otp*`` when it does not)."""
        channel = recipient.channel
        await self.prove(
            otp_token=token,
            code=code,
            usage=usage,
            recipient=recipient,
            client_id=client_id,
            bad_token=functools.partial(errors.bad_otp_token, channel),
            bad_code=functools.partial(errors.bad_otp, channel),
        )

    @staticmethod
    def openapi() -> Fragment:
        errors_ = error_responses("CiamError")
        claims = json_response("CiamUserinfo", "The user's claims (OpenID Connect)")
        bearer = {
            "401": json_response(
                "CiamError",
                "invalid_token: a missing, bad, expired or revoked access token",
                **{"WWW-Authenticate": header("", required=True)},
            )
        }

        def op(summary: str, body: type | None, ok: dict[str, Any], auth: str) -> dict[str, Any]:
            responses = {"200": ok, **errors_, **(bearer if auth == "bearerAuth" else {})}
            if body is None:
                responses = {"200": ok, **bearer, "503": errors_["503"]}
            return _operation(CIAMEndpoints.dialect, summary, responses, body=body, security=auth)

        return Fragment(
            paths={
                "/signup": {
                    "post": op("Sign up by code", CiamSignupRequest, claims, "clientBasic")
                },
                "/reset_user_password": {
                    "post": op(
                        "Set a new password by code",
                        CiamResetPasswordRequest,
                        DONE,
                        "clientBasic",
                    )
                },
                "/userinfo": {
                    "get": op("The signed-in user's claims", None, claims, "bearerAuth"),
                    "patch": op(
                        "Change the name, or a phone number or email proven by its code",
                        CiamUserinfoUpdate,
                        claims,
                        "bearerAuth",
                    ),
                },
            },
            schemas=components(
                CiamSignupRequest, CiamResetPasswordRequest, CiamUserinfoUpdate, CiamUserinfo
            ),
        )


def _token_and_code(body: Proof, channel: Channel) -> tuple[str, str]:
    """The ``*_otp_token`` and ``*_otp`` of ``channel``, both required."""
    token, code = required_channel_fields(body, channel, "_otp_token", "_otp")
    return token, code


def _display_name(raw: str | None) -> str:
    if raw is None:
        return ""
    name, problem = clean_display_name(raw)
    if problem is not None and problem != "required":
        raise CIAMError(Code.INVALID_REQUEST, f"nickname is {problem.replace('_', ' ')}")
    return name
