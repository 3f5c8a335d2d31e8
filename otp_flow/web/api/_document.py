"""``GET /openapi.json``: the OpenAPI 3.1 document of the three dialects (and the dev outbox).

Nothing here describes a body or an error: each dialect module gives its own fragment, with
schemas generated from the Structs its handlers decode and answer with and from its error
vocabulary. This module only puts them together; tests/test_openapi.py validates the document
and holds real answers to it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.types import Channel, Usage
from otp_flow.web.api import _ciam as ciam
from otp_flow.web.api import _ciam_account as ciam_account
from otp_flow.web.api import _ciam_token as ciam_token
from otp_flow.web.api import _onlyid as onlyid
from otp_flow.web.api import _yunpian as yunpian
from otp_flow.web.api._schema import Fragment, components, json_response, ref

__all__ = ["openapi_document", "openapi_routes"]

_DIALECTS = (ciam, ciam_token, ciam_account, yunpian, onlyid)
_SECURITY = {
    "clientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "base64(url_encode(client_id) + ':' + url_encode(secret))",
    },
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}


class OutboxMessage(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An entry of the dev outbox (``OutboxSender.messages``)."""

    channel: Channel
    recipient: str
    usage: Usage
    code: str
    text: str
    sent_at: str
    kind: (
        Annotated[Literal["notice"], msgspec.Meta(description="Only on notices (no code)")] | None
    ) = None


def _service_paths(*, dev: bool) -> Fragment:
    def get(tag: str, summary: str, responses: dict[str, Any]) -> dict[str, Any]:
        return {"get": {"tags": [tag], "summary": summary, "responses": responses}}

    paths = {
        "/openapi.json": get(
            "Service", "This document", {"200": json_response({"type": "object"}, "OpenAPI 3.1")}
        )
    }
    if not dev:
        return Fragment(paths)
    messages = {
        "type": "object",
        "required": ["messages"],
        "properties": {"messages": {"type": "array", "items": ref("OutboxMessage")}},
    }
    html = {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
    unavailable = json_response({"type": "object"}, "The store is unavailable")
    paths["/dev/outbox.json"] = get(
        "Development",
        "Messages in the dev outbox, newest first",
        {"200": json_response(messages, "The outbox"), "503": unavailable},
    )
    paths["/dev/outbox"] = get(
        "Development",
        "The dev outbox as a page",
        {"200": html, "503": {**html, "description": "Unavailable"}},
    )
    return Fragment(paths, components(OutboxMessage))


def openapi_document(*, dev: bool = False) -> dict[str, Any]:
    """The document; the dev outbox paths only when they are served (``dev``)."""
    fragments = [dialect.openapi() for dialect in _DIALECTS] + [_service_paths(dev=dev)]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "otp_flow",
            "version": "0.1.0",
            "description": "One-time passcodes by SMS and email in three dialects: CIAM "
            "(/otp/*, /oauth2/*, /signup, /reset_user_password, /userinfo), Yunpian "
            "(/api/sms/*) and OnlyID (/api/open/*). POST /otp/verify is otp_flow's extension.",
        },
        "paths": {path: item for f in fragments for path, item in f.paths.items()},
        "components": {
            "schemas": {name: s for f in fragments for name, s in f.schemas.items()},
            "securitySchemes": _SECURITY,
        },
    }


def openapi_routes(*, dev: bool = False) -> list[BaseRoute]:
    document = openapi_document(dev=dev)

    async def serve(request: Request) -> Response:
        return JSONResponse(document)

    return [Route("/openapi.json", serve, methods=["GET"], name="openapi")]
