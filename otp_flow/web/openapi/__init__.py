"""The OpenAPI document of the JSON dialects, as ``GET /openapi.json`` serves it.

Assembled in ``otp_flow.web.api._document`` from each dialect's own fragment (schemas generated
from its body Structs and error vocabulary); kept here as the name the docs and users import.
"""

from otp_flow.web.api._document import openapi_document, openapi_routes

__all__ = ["openapi_document", "openapi_routes"]
