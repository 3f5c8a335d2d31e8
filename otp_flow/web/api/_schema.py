"""OpenAPI fragments: each dialect describes its own endpoints, with schemas generated from its
body models (msgspec Structs) and its error vocabulary; ``otp_flow.web.api._document`` only puts
the fragments together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

__all__ = [
    "DONE",
    "RETRY_AFTER",
    "Fragment",
    "Schema",
    "components",
    "header",
    "json_response",
    "operation",
    "ref",
]

Schema = dict[str, Any]
_REF = "#/components/schemas/{name}"


@dataclass(frozen=True, slots=True)
class Fragment:
    """A dialect's part of the document: its paths and the component schemas they refer to."""

    paths: dict[str, Schema]
    schemas: dict[str, Schema] = field(default_factory=dict)


def ref(name: str) -> Schema:
    return {"$ref": _REF.format(name=name)}


def components(*models: Any) -> dict[str, Schema]:
    """The JSON Schemas of ``models`` (Structs) and of every Struct they refer to, by name."""
    _, schemas = msgspec.json.schema_components(models, ref_template=_REF)
    return schemas


def header(description: str, schema: Schema | None = None, *, required: bool = False) -> Schema:
    return {
        "description": description,
        "schema": schema or {"type": "string"},
        **({"required": True} if required else {}),
    }


RETRY_AFTER = header("Seconds until a send may succeed", {"type": "integer"})
#: The response of an operation that answers no body.
DONE: Schema = {"description": "Done (an empty body)"}


def json_response(schema: Schema | str, description: str, **headers: Schema) -> Schema:
    """A JSON response; ``schema`` may name a component."""
    body = ref(schema) if isinstance(schema, str) else schema
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": body}},
    }
    if headers:
        response["headers"] = headers
    return response


def operation(
    tag: str,
    summary: str,
    responses: dict[str, Schema],
    *,
    body: type | None = None,
    form: bool = False,
    security: str = "",
    **extra: Any,
) -> Schema:
    """One operation; ``body`` is the Struct of its JSON body (also urlencoded when ``form``)."""
    op: Schema = {"tags": [tag], "summary": summary, **extra}
    if security:
        op["security"] = [{security: []}]
    if body is not None:
        media = ["application/json"] + (["application/x-www-form-urlencoded"] if form else [])
        schema = ref(body.__name__)
        op["requestBody"] = {"required": True, "content": {m: {"schema": schema} for m in media}}
    op["responses"] = responses
    return op
