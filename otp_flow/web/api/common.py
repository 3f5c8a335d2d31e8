"""What the three dialects share: bounded body reading, parameter checks, and the error guard.

Handlers raise; they never build error responses themselves. ``guarded`` turns whatever a
handler raises into the dialect's answer, and anything no dialect knows about into a logged 503
in the dialect's shape — never a 500 or a traceback page.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from otp_flow import defaults
from otp_flow.errors import InvalidRequest, RateLimited, ServiceUnavailable
from otp_flow.web.clientauth import is_text

__all__ = [
    "MAX_BODY_BYTES",
    "BadInput",
    "Endpoint",
    "PayloadTooLarge",
    "get_int",
    "get_str",
    "guarded",
    "read_form_params",
    "read_json_object",
    "retry_after_headers",
]

log = logging.getLogger("otp_flow.web.api")

#: Request bodies larger than this are refused with 413 before they are parsed.
MAX_BODY_BYTES = defaults.MAX_BODY_BYTES

Endpoint = Callable[[Request], Awaitable[Response]]
Problem = Literal["json", "missing", "type", "range", "content_type", "text"]


class PayloadTooLarge(Exception):
    """The request body is over the limit."""


class BadInput(InvalidRequest):
    """A malformed request. ``problem`` and ``field`` let a dialect phrase it in its language."""

    def __init__(self, problem: Problem, field: str = "", detail: str = "") -> None:
        english = {
            "json": "the request body must be a JSON object",
            "missing": f"{field} is required",
            "type": f"{field} must be a string",
            "range": f"{field} {detail}",
            "content_type": "the body must be application/x-www-form-urlencoded",
            "text": f"{field} must be valid Unicode text",
        }[problem]
        super().__init__(english)
        self.problem: Problem = problem
        self.field = field
        self.detail = detail


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, or ``PayloadTooLarge`` as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    chunks: list[bytes] = []
    size = 0
    try:
        # Counted while streaming: a chunked body has no Content-Length to trust.
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge()
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise BadInput("json") from exc
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, object]:
    body = await read_body(request, limit)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadInput("json") from exc
    if not isinstance(data, dict):
        raise BadInput("json")
    return data


async def read_form_params(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, str]:
    """Parameters from the query string and an urlencoded body (the Yunpian way).

    A name given twice with different values is refused rather than guessed at.
    """
    body = await read_body(request, limit)
    pairs = list(request.query_params.multi_items())
    if body.strip():
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("", "application/x-www-form-urlencoded"):
            raise BadInput("content_type")
        try:
            text = body.decode("utf-8")
            pairs += parse_qsl(text, keep_blank_values=True, max_num_fields=100)
        except ValueError as exc:
            raise BadInput("content_type") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if params.setdefault(name, value) != value:
            raise BadInput("type", name)
    return params


def get_str(data: Mapping[str, object], name: str, *, required: bool = False) -> str | None:
    """A string parameter; absent (or JSON null) is None unless ``required``."""
    value = data.get(name)
    if value is None:
        if required:
            raise BadInput("missing", name)
        return None
    if not isinstance(value, str):
        raise BadInput("type", name)
    if not is_text(value):
        raise BadInput("text", name)
    if required and not value.strip():
        raise BadInput("missing", name)
    return value


def get_int(data: Mapping[str, object], name: str, low: int, high: int) -> int | None:
    """An integer parameter within [low, high]; absent or null is None."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput("range", name, f"must be an integer between {low} and {high}")
    return value


def retry_after_headers(exc: Exception) -> dict[str, str]:
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(max(exc.retry_after, 1))}
    return {}


def guarded(
    to_response: Callable[[Exception], Response | None],
    unavailable: Callable[[], Response],
) -> Callable[[Endpoint], Endpoint]:
    """Wrap a handler so every exception becomes the dialect's answer.

    ``to_response`` maps what the dialect knows (None: not one of its errors); ``unavailable``
    builds the dialect's 503, used for outages and — after logging — for anything unexpected.
    """

    def decorate(handler: Endpoint) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                if isinstance(exc, ServiceUnavailable):
                    log.warning("%s: %s", request.url.path, exc.__class__.__name__)
                    return unavailable()
                response = to_response(exc)
                if response is not None:
                    return response
                log.exception("unexpected error in %s", request.url.path)
                return unavailable()

        return endpoint

    return decorate
