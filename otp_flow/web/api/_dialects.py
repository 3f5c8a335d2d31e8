"""The dialects ``create_api_app`` serves and ``/openapi.json`` describes: this one tuple.

Each entry is a ``Dialect`` (``_context``): built from the one ``ApiContext``, its ``routes()``
served in this order and its ``openapi()`` fragment and summary (``dialect``, ``paths``,
``note``) put in the document. A new dialect is its module plus one entry here.
"""

from __future__ import annotations

from otp_flow.web.api._ciam import CIAMApi
from otp_flow.web.api._ciam_account import CIAMAccountApi
from otp_flow.web.api._ciam_token import CIAMTokenApi
from otp_flow.web.api._context import Dialect
from otp_flow.web.api._onlyid import OnlyIDApi
from otp_flow.web.api._yunpian import YunpianApi

__all__ = ["DIALECTS"]

DIALECTS: tuple[type[Dialect], ...] = (
    CIAMApi,
    CIAMTokenApi,
    CIAMAccountApi,
    YunpianApi,
    OnlyIDApi,
)
