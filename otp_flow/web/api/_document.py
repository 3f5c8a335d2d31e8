"""``GET /openapi.json``: the OpenAPI 3.1 document of the dialects (and the dev outbox).

Nothing here describes a body, an error or a dialect: each class of ``DIALECTS`` gives its own
fragment, with schemas generated from the Structs its handlers decode and answer with and from
its error vocabulary, and its line of the description. This module only puts them together;
tests/test_openapi.py validates the document and holds real answers to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.types import Channel, Usage
from otp_flow.web.api._context import Dialect
from otp_flow.web.api._dialects import DIALECTS
from otp_flow.web.api._schema import Fragment, components, json_response, ref

__all__ = ["describe", "openapi_document", "openapi_routes"]

_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
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
    fragments = [dialect.openapi() for dialect in DIALECTS] + [_service_paths(dev=dev)]
    return {
        "openapi": "3.1.0",
        "info": {"title": "otp_flow", "version": "0.1.0", "description": describe(DIALECTS)},
        "paths": {path: item for f in fragments for path, item in f.paths.items()},
        "components": {
            "schemas": {name: s for f in fragments for name, s in f.schemas.items()},
            "securitySchemes": _SECURITY,
        },
    }


def describe(dialects: Sequence[type[Dialect]]) -> str:
    """The document's description: "... in three dialects: CIAM (/otp/*, /oauth2/*, ...),
    Yunpian (/api/sms/*) and OnlyID (/api/open/*)." and the dialects' notes. The parts of one
    dialect (its classes sharing a ``dialect`` name) are listed together."""
    paths: dict[str, list[str]] = {}
    for dialect in dialects:
        paths.setdefault(dialect.dialect, []).append(dialect.paths)
    named = [f"{name} ({', '.join(group)})" for name, group in paths.items()]
    listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
    count = _COUNTS[len(named)] if len(named) < len(_COUNTS) else str(len(named))
    notes = "".join(f" {dialect.note}" for dialect in dialects if dialect.note)
    return f"One-time passcodes by SMS and email in {count} dialects: {listed}.{notes}"


def openapi_routes(*, dev: bool = False) -> list[BaseRoute]:
    document = openapi_document(dev=dev)

    async def serve(request: Request) -> Response:
        return JSONResponse(document)

    return [Route("/openapi.json", serve, methods=["GET"], name="openapi")]
