"""The whole document, assembled from its paths and component schemas, and the route serving it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.web.api import ciam, onlyid, yunpian
from otp_flow.web.openapi.ciam_tokens import CIAM_TOKEN_PATHS, CIAM_TOKEN_SCHEMAS
from otp_flow.web.openapi.paths import api_paths
from otp_flow.web.openapi.schemas import COMPONENT_SCHEMAS

__all__ = ["openapi_document", "openapi_routes"]


def openapi_document(*, dev: bool = False) -> dict[str, Any]:
    """The document; the dev outbox paths only when they are served (``dev``)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "otp_flow",
            "version": "0.1.0",
            "description": "One-time passcodes by SMS and email in three dialects: CIAM "
            "(/otp/*, /oauth2/*, /signup, /reset_user_password, /userinfo), Yunpian "
            "(/api/sms/*) and OnlyID (/api/open/*). POST /otp/verify is otp_flow's extension.",
        },
        "paths": {
            **ciam.openapi().paths,
            **yunpian.openapi().paths,
            **onlyid.openapi().paths,
            **api_paths(dev=dev),
            **CIAM_TOKEN_PATHS,
        },
        "components": {
            "schemas": {
                **ciam.openapi().schemas,
                **yunpian.openapi().schemas,
                **onlyid.openapi().schemas,
                **COMPONENT_SCHEMAS,
                **CIAM_TOKEN_SCHEMAS,
            },
            "securitySchemes": {
                "clientBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "base64(url_encode(client_id) + ':' + url_encode(secret))",
                },
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


def openapi_routes(*, dev: bool = False) -> list[BaseRoute]:
    document = openapi_document(dev=dev)

    async def serve(request: Request) -> Response:
        return JSONResponse(document)

    return [Route("/openapi.json", serve, methods=["GET"], name="openapi")]
