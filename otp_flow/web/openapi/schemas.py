"""The document's component schemas: every request and response body of the three dialects.

Error codes are taken from the dialect modules, so the schemas cannot drift from what the
handlers answer.
"""

from __future__ import annotations

from typing import Any

from otp_flow.types import USAGES

__all__ = ["COMPONENT_SCHEMAS", "STRING", "Schema", "obj", "ref"]

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple[str, ...] = (), closed: bool = True, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


STRING: Schema = {"type": "string"}
_DATE: Schema = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}


COMPONENT_SCHEMAS: dict[str, Schema] = {
    "OutboxMessage": obj(
        ("channel", "recipient", "usage", "code", "text", "sent_at"),
        channel={"type": "string", "enum": ["sms", "email"]},
        recipient=STRING,
        usage={"type": "string", "enum": list(USAGES)},
        code=STRING,
        text=STRING,
        sent_at=STRING,
        kind={"type": "string", "enum": ["notice"], "description": "Only on notices (no code)"},
    ),
}
