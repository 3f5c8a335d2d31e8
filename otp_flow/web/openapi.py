"""``GET /openapi.json``: an OpenAPI 3.1 document of the three dialects (and the dev outbox).

Written by hand from the seeds and kept true by tests/test_openapi.py, which validates real
responses against it. Error codes and messages are taken from the dialect modules, so the
document cannot drift from what the handlers answer.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.types import USAGES
from otp_flow.web.api.yunpian import MESSAGES as YUNPIAN_MESSAGES

__all__ = ["CIAM_ERRORS", "openapi_document", "openapi_routes"]

CIAM_ERRORS = (
    "invalid_request",
    "invalid_client",
    "malformed_phone_number",
    "malformed_email",
    "insufficient_sms_quota",
    "insufficient_email_quota",
    "invalid_email",
    "email_is_used",
    "phone_number_is_used",
    "sms_rate_limit_exceeded",
    "email_rate_limit_exceeded",
    "invalid_otp",
    "otp_expired",
    "otp_attempts_exceeded",
    "invalid_otp_token",
    "temporarily_unavailable",
)

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: tuple[str, ...] = (), closed: bool = True, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def _json(schema: Schema, description: str, **headers: Schema) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


_STR: Schema = {"type": "string"}
_COUNT: Schema = {"type": "integer", "minimum": 0}
_DATE: Schema = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}
_RETRY: Schema = {"description": "Seconds until a send may succeed", "schema": {"type": "integer"}}
_WINDOW = _obj(
    ("count", "limit", "enabled"), count=_COUNT, limit=_COUNT, enabled={"type": "boolean"}
)
_STATS = _obj(
    ("appNaturalDay", "appToPhonePerMinute", "appToPhonePerHour", "appToPhonePerDay"),
    appNaturalDay=_ref("RateLimitWindow"),
    appToPhonePerMinute=_ref("RateLimitWindow"),
    appToPhonePerHour=_ref("RateLimitWindow"),
    appToPhonePerDay=_ref("RateLimitWindow"),
)
_YP_META_VERIFY = _obj(
    ("verifySuccessCount", "verifyFailLimit", "verifyFailCount"),
    verifySuccessCount=_COUNT,
    verifyFailLimit=_COUNT,
    verifyFailCount=_COUNT,
)


def _yp_envelope(code: Schema, meta: Schema) -> Schema:
    return _obj(
        ("code", "msg", "meta", "data"),
        code=code,
        msg=_STR,
        meta=meta,
        data={"type": "object", "maxProperties": 0},
    )


_SCHEMAS: dict[str, Schema] = {
    "CiamError": _obj(
        ("error",),
        error={"type": "string", "enum": list(CIAM_ERRORS)},
        error_description=_STR,
        attempts_remaining=_COUNT,
    ),
    "CiamSendRequest": _obj(
        closed=False,
        usage={"type": "string", "enum": list(USAGES), "default": "login"},
        phone_number={**_STR, "description": "Mainland-China 11-digit mobile (or E.164)"},
        email={**_STR, "format": "email"},
        auth_source_id={**_STR, "description": "login only: an SMS or email OTP auth source"},
    ),
    "CiamSendResponse": _obj(("otp_token",), otp_token=_STR),
    "CiamVerifyRequest": _obj(("otp_token", "code"), closed=False, otp_token=_STR, code=_STR),
    "CiamVerifyResponse": _obj(
        ("verified", "usage"),
        verified={"const": True},
        usage={"type": "string", "enum": list(USAGES)},
        phone_number=_STR,
        email=_STR,
    ),
    "RateLimitWindow": _WINDOW,
    "YunpianSendOk": _yp_envelope({"const": 0}, _obj(("rateLimitStats",), rateLimitStats=_STATS)),
    "YunpianVerifyOk": _yp_envelope({"const": 0}, _YP_META_VERIFY),
    "YunpianError": _yp_envelope(
        {"type": "integer", "enum": [code for code in YUNPIAN_MESSAGES if code]},
        {
            "anyOf": [
                _obj(),
                _obj(("rateLimitStats",), rateLimitStats=_STATS),
                _YP_META_VERIFY,
            ]
        },
    ),
    "YunpianParams": _obj(closed=False, phone=_STR, code=_STR),
    "OnlyIdSendRequest": _obj(
        ("recipient", "clientId", "clientSecret"),
        closed=False,
        recipient={**_STR, "description": "Mobile number or email address"},
        clientId=_STR,
        clientSecret=_STR,
        code={"type": "string", "pattern": "^[0-9]{4,8}$"},
        expireMin={"type": "integer", "minimum": 1, "maximum": 20},
        maxFailCount={"type": "integer", "minimum": 1, "maximum": 20},
    ),
    "OnlyIdSendResponse": _obj(
        ("recipient", "code", "createDate", "expireDate", "maxFailCount"),
        recipient=_STR,
        code=_STR,
        createDate=_DATE,
        expireDate=_DATE,
        maxFailCount={"type": "integer", "minimum": 1, "maximum": 20},
    ),
    "OnlyIdVerifyRequest": _obj(
        ("recipient", "code", "clientId", "clientSecret"),
        closed=False,
        recipient=_STR,
        code=_STR,
        clientId=_STR,
        clientSecret=_STR,
    ),
    "OnlyIdVerifyResponse": _obj(
        ("recipient", "verified"), recipient=_STR, verified={"const": True}
    ),
    "OnlyIdError": _obj(("error",), error=_STR),
    "OutboxMessage": _obj(
        ("channel", "recipient", "usage", "code", "text", "sent_at"),
        channel={"type": "string", "enum": ["sms", "email"]},
        recipient=_STR,
        usage={"type": "string", "enum": list(USAGES)},
        code=_STR,
        text=_STR,
        sent_at=_STR,
        kind={"type": "string", "enum": ["notice"], "description": "Only on notices (no code)"},
    ),
}


def _ciam(summary: str, request: str, ok: str) -> Schema:
    error = _ref("CiamError")
    return {
        "post": {
            "tags": ["CIAM"],
            "summary": summary,
            "security": [{"clientBasic": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(request)}},
            },
            "responses": {
                "200": _json(_ref(ok), "Success"),
                "400": _json(error, "Refused; see error", **{"Retry-After": _RETRY}),
                "401": _json(
                    error,
                    "invalid_client",
                    **{"WWW-Authenticate": {"schema": _STR, "required": True}},
                ),
                "413": _json(error, "Body over 64 KiB"),
                "503": _json(error, "temporarily_unavailable"),
            },
        }
    }


def _yunpian(summary: str, names: tuple[str, ...], ok: str) -> Schema:
    headers = ("x-app-id", "x-app-key", "x-signature", "x-timestamp", "x-nonce")
    params = [{"name": n, "in": "query", "required": False, "schema": _STR} for n in names]
    params += [{"name": h, "in": "header", "required": False, "schema": _STR} for h in headers]
    error = _ref("YunpianError")
    return {
        "post": {
            "tags": ["Yunpian"],
            "summary": summary,
            "description": "Auth: x-app-id with x-app-key, or with x-signature = hex "
            "HMAC-SHA256(appKey, app_id + x-timestamp + x-nonce).",
            "parameters": params,
            "requestBody": {
                "required": False,
                "content": {"application/x-www-form-urlencoded": {"schema": _ref("YunpianParams")}},
            },
            "responses": {
                "200": _json(_ref(ok), "code 0"),
                "400": _json(error, "Any other code", **{"Retry-After": _RETRY}),
                "413": _json(error, "Body over 64 KiB (41300)"),
                "503": _json(error, "Outage (50300)"),
            },
        }
    }


def _onlyid(summary: str, request: str, ok: str) -> Schema:
    error = _ref("OnlyIdError")
    return {
        "post": {
            "tags": ["OnlyID"],
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(request)}},
            },
            "responses": {
                "200": _json(_ref(ok), "Success"),
                "400": _json(error, "A human-readable reason", **{"Retry-After": _RETRY}),
                "413": _json(error, "Body over 64 KiB"),
                "503": _json(error, "Outage"),
            },
        }
    }


def _dev_paths() -> Schema:
    messages = _obj(("messages",), messages={"type": "array", "items": _ref("OutboxMessage")})
    unavailable = _json({"type": "object"}, "The store is unavailable")
    html = {"description": "HTML page", "content": {"text/html": {"schema": _STR}}}
    return {
        "/dev/outbox.json": {
            "get": {
                "tags": ["Development"],
                "summary": "Messages in the dev outbox, newest first",
                "responses": {"200": _json(messages, "The outbox"), "503": unavailable},
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


def openapi_document(*, dev: bool = False) -> dict[str, Any]:
    """The document; the dev outbox paths only when they are served (``dev``)."""
    paths: Schema = {
        "/otp/send": _ciam("Send an OTP by SMS or email", "CiamSendRequest", "CiamSendResponse"),
        "/otp/verify": _ciam("Verify an OTP", "CiamVerifyRequest", "CiamVerifyResponse"),
        "/api/sms/sendCode": _yunpian("Send an SMS code", ("phone",), "YunpianSendOk"),
        "/api/sms/verifyCode": _yunpian("Verify an SMS code", ("phone", "code"), "YunpianVerifyOk"),
        "/api/open/send-otp": _onlyid("Send an OTP", "OnlyIdSendRequest", "OnlyIdSendResponse"),
        "/api/open/verify-otp": _onlyid(
            "Verify an OTP", "OnlyIdVerifyRequest", "OnlyIdVerifyResponse"
        ),
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
            }
        },
    }
    if dev:
        paths.update(_dev_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "otp_flow",
            "version": "0.1.0",
            "description": "One-time passcodes by SMS and email in three dialects: CIAM "
            "(/otp/*), Yunpian (/api/sms/*) and OnlyID (/api/open/*).",
        },
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "clientBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "base64(url_encode(client_id) + ':' + url_encode(secret))",
                }
            },
        },
    }


def openapi_routes(*, dev: bool = False) -> list[BaseRoute]:
    document = openapi_document(dev=dev)

    async def serve(request: Request) -> Response:
        return JSONResponse(document)

    return [Route("/openapi.json", serve, methods=["GET"], name="openapi")]
