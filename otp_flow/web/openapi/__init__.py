"""``GET /openapi.json``: an OpenAPI 3.1 document of the three dialects (and the dev outbox).

Written by hand from the seeds and kept true by tests/test_openapi.py, which validates real
responses against it. Error codes and messages are taken from the dialect modules, so the
document cannot drift from what the handlers answer.

Modules: ``document`` (the assembled document and its route), ``paths`` (one operation per
endpoint), ``schemas`` (the component schemas and the helpers that build them).
"""

from otp_flow.web.openapi.document import openapi_document, openapi_routes

__all__ = ["openapi_document", "openapi_routes"]
