"""The document's paths: one operation per endpoint of each dialect (and the dev outbox)."""

from __future__ import annotations

from otp_flow.web.openapi.schemas import STRING, Schema, obj, ref

__all__ = ["api_paths"]


def _json_response(schema: Schema, description: str, **headers: Schema) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


_RETRY: Schema = {"description": "Seconds until a send may succeed", "schema": {"type": "integer"}}


def _dev_paths() -> Schema:
    messages = obj(("messages",), messages={"type": "array", "items": ref("OutboxMessage")})
    unavailable = _json_response({"type": "object"}, "The store is unavailable")
    html = {"description": "HTML page", "content": {"text/html": {"schema": STRING}}}
    return {
        "/dev/outbox.json": {
            "get": {
                "tags": ["Development"],
                "summary": "Messages in the dev outbox, newest first",
                "responses": {"200": _json_response(messages, "The outbox"), "503": unavailable},
            }
        },
        "/dev/outbox": {
            "get": {
                "tags": ["Development"],
                "summary": "The dev outbox as a page",
                "responses": {"200": html, "503": {**html, "description": "Unavailable"}},
            }
        },
    }


def api_paths(*, dev: bool) -> Schema:
    """Every path of the document; the dev outbox paths only when they are served (``dev``)."""
    paths: Schema = {
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json_response({"type": "object"}, "OpenAPI 3.1")},
            }
        },
    }
    if dev:
        paths.update(_dev_paths())
    return paths
