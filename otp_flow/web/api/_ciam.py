"""Dialect 1, the CIAM seed: ``POST /otp/send`` and ``POST /otp/verify`` with HTTP Basic clients.

Errors are ``{"error": ..., "error_description"?: ...}`` with the seed's strings: 401
``invalid_client``, 400 for every refusal, 503 ``temporarily_unavailable`` for outages (the
vocabulary and its answers in ``_ciam_errors``; the bodies in ``_ciam_bodies``).
"""

from __future__ import annotations

from typing import ClassVar, cast

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.config import AuthSource
from otp_flow.errors import InvalidRequest
from otp_flow.types import Channel, Recipient, Usage
from otp_flow.users import find_user
from otp_flow.web._i18n import negotiate
from otp_flow.web.api._ciam_base import CIAMEndpoints
from otp_flow.web.api._ciam_bodies import (
    CiamSendRequest,
    CiamSendResponse,
    CiamVerifyRequest,
    CiamVerifyResponse,
    channel_field,
    one_channel,
)
from otp_flow.web.api._ciam_errors import (
    CiamError,
    IdentifierUsed,
    error_responses,
    otp_unavailable,
    to_response,
)
from otp_flow.web.api._common import decode, guarded, read_json_object
from otp_flow.web.api._schema import Fragment, components, json_response
from otp_flow.web.api._schema import operation as _operation

__all__ = ["CIAMApi"]


class CIAMApi(CIAMEndpoints):
    """The two CIAM OTP endpoints; ``auth_sources`` only apply to ``login``; ``hooks`` (the
    pages' when shared) guard every send, a refusal answered ``access_denied``."""

    paths: ClassVar[str] = "/otp/*"
    note: ClassVar[str] = "POST /otp/verify is otp_flow's extension."

    def routes(self) -> list[BaseRoute]:
        guard = guarded(to_response, otp_unavailable)
        return [
            Route("/otp/send", guard(self.send), methods=["POST"], name="ciam_send"),
            Route("/otp/verify", guard(self.verify), methods=["POST"], name="ciam_verify"),
        ]

    async def send(self, request: Request) -> Response:
        ctx = self.context
        client = self.basic_client(request)
        body = decode(await read_json_object(request, ctx.max_body_bytes), CiamSendRequest)
        usage = body.usage
        channel = one_channel(lambda name: getattr(body, name))
        source = self._auth_source(body.auth_source_id, usage, channel)
        raw = cast(str, channel_field(body, channel))  # one_channel saw it given
        recipient = ctx.engine.identifiers.parse(raw, channel)
        if ctx.hooks.guards_send(usage):  # as before a page's send
            locale = negotiate(request.headers.get("accept-language"))
            await ctx.hooks.check_send(recipient, usage, None, locale)
        used = usage == "signup" and await self._is_used(recipient)
        # A taken identifier still goes through the engine's limits (issued and counted, never
        # delivered) before the answer says so: otherwise *_is_used would be a free, uncounted
        # oracle for which phone numbers and addresses have accounts.
        result = await ctx.engine.send(
            recipient,
            usage=usage,
            client_id=client.id,
            code_length=source.code_length if source else None,
            ttl_seconds=source.ttl_seconds if source else None,
            deliver=not used,
        )
        if used:
            raise IdentifierUsed(recipient)
        return JSONResponse(msgspec.to_builtins(CiamSendResponse(result.otp_token)))

    async def verify(self, request: Request) -> Response:
        ctx = self.context
        client = self.basic_client(request)
        body = decode(await read_json_object(request, ctx.max_body_bytes), CiamVerifyRequest)
        result = await ctx.engine.verify(body.otp_token, body.code, client_id=client.id)
        proved = result.recipient
        answer = CiamVerifyResponse(True, result.usage, **{proved.user_field: proved.value})
        return JSONResponse(msgspec.to_builtins(answer))

    def _auth_source(
        self, source_id: str | None, usage: Usage, channel: Channel
    ) -> AuthSource | None:
        if source_id is None:
            return None
        if usage != "login":
            raise InvalidRequest("auth_source_id applies to usage login only")
        source = self.context.auth_sources.get(source_id)
        if source is None:
            raise InvalidRequest("auth_source_id names no configured auth source")
        if source.channel != channel:
            raise InvalidRequest(f"auth source {source_id} sends by {source.channel}")
        return source

    async def _is_used(self, recipient: Recipient) -> bool:
        return await find_user(self.context.users, recipient) is not None

    @staticmethod
    def openapi() -> Fragment:
        def post(summary: str, body: type, ok: type) -> dict[str, object]:
            responses = {
                "200": json_response(ok.__name__, "Success"),
                **error_responses("CiamError"),
            }
            return {
                "post": _operation(
                    CIAMEndpoints.dialect, summary, responses, body=body, security="clientBasic"
                )
            }

        return Fragment(
            paths={
                "/otp/send": post("Send an OTP by SMS or email", CiamSendRequest, CiamSendResponse),
                "/otp/verify": post(
                    "Verify an OTP (otp_flow's extension, not a CIAM endpoint)",
                    CiamVerifyRequest,
                    CiamVerifyResponse,
                ),
            },
            schemas=components(
                CiamError, CiamSendRequest, CiamSendResponse, CiamVerifyRequest, CiamVerifyResponse
            ),
        )
