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
    "OnlyIdSendRequest": obj(
        ("recipient", "clientId", "clientSecret"),
        closed=False,
        recipient={**STRING, "description": "Mobile number or email address"},
        clientId=STRING,
        clientSecret=STRING,
        code={"type": "string", "pattern": "^[0-9]{4,8}$"},
        expireMin={"type": "integer", "minimum": 1, "maximum": 20},
        maxFailCount={"type": "integer", "minimum": 1, "maximum": 20},
    ),
    "OnlyIdSendResponse": obj(
        ("recipient", "code", "createDate", "expireDate", "maxFailCount"),
        recipient=STRING,
        code=STRING,
        createDate=_DATE,
        expireDate=_DATE,
        maxFailCount={"type": "integer", "minimum": 1, "maximum": 20},
    ),
    "OnlyIdVerifyRequest": obj(
        ("recipient", "code", "clientId", "clientSecret"),
        closed=False,
        recipient=STRING,
        code=STRING,
        clientId=STRING,
        clientSecret=STRING,
    ),
    "OnlyIdVerifyResponse": obj(("result",), result={"const": "success"}),
    "OnlyIdError": obj(("error",), error=STRING),
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
