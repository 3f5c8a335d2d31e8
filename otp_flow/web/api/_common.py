"""What the dialects share: bounded body reading, typed decoding, and the error guard.

Handlers raise; they never build error responses themselves. ``guarded`` turns whatever a
handler raises into the dialect's answer, and anything no dialect knows about into a logged 503
in the dialect's shape — never a 500 or a traceback page.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Annotated, Literal, TypeVar, cast, get_args
from urllib.parse import parse_qsl

import msgspec
from msgspec import inspect
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from otp_flow import defaults
from otp_flow.errors import InvalidRequest, OTPError, RateLimited, ServiceUnavailable
from otp_flow.web._clientauth import is_text

__all__ = [
    "MAX_BODY_BYTES",
    "BadInput",
    "Endpoint",
    "PayloadTooLarge",
    "RequiredText",
    "decode",
    "form_params",
    "guarded",
    "read_form_params",
    "read_json_object",
    "required",
    "retry_after_headers",
]

log = logging.getLogger("otp_flow.web.api")

#: Request bodies larger than this are refused with 413 before they are parsed.
MAX_BODY_BYTES = defaults.MAX_BODY_BYTES

Endpoint = Callable[[Request], Awaitable[Response]]
Problem = Literal["json", "missing", "type", "range", "content_type", "text", "unknown"]
Model = TypeVar("Model", bound=msgspec.Struct)

#: A string parameter that must be given: absent, null or blank all read as "missing".
RequiredText = Annotated[str, msgspec.Meta(pattern=r"\S")]


class PayloadTooLarge(OTPError):
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
            "unknown": f"unknown attribute {field}",
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
    """The body as a JSON object (its fields are then typed by ``decode``).

    Parsed by the standard library rather than ``msgspec.json``: that refuses lone-surrogate
    escapes and NaN as malformed JSON, where every dialect has always answered them as one bad
    field (a body that is not JSON at all gets a different answer).
    """
    body = await read_body(request, limit)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadInput("json") from exc
    if not isinstance(data, dict):
        raise BadInput("json")
    return data


async def read_form_params(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, str]:
    """Parameters from the query string and an urlencoded body (the Yunpian way)."""
    body = await read_body(request, limit)
    if body.strip():
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("", "application/x-www-form-urlencoded"):
            raise BadInput("content_type")
    return form_params(body if body.strip() else b"", request.query_params.multi_items())


def form_params(body: bytes, query: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """The parameters of ``query`` and of an urlencoded ``body``, each name once: one given
    twice with different values is refused rather than guessed at."""
    try:
        text = body.decode("utf-8")
        pairs = [*query, *parse_qsl(text, keep_blank_values=True, max_num_fields=100)]
    except ValueError as exc:
        raise BadInput("content_type") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if params.setdefault(name, value) != value:
            raise BadInput("type", name)
    return params


def decode(data: Mapping[str, object], model: type[Model]) -> Model:
    """``data`` (a parsed JSON object, form or query) as ``model``.

    JSON null counts as absent. A body msgspec accepts is returned as the Struct. Otherwise
    the result stands in for the Struct and checks each field when the handler first reads
    it, raising ``BadInput`` naming the field: problems surface in the order the handler
    meets them, between its own checks, and a field it never reads (the other channel's
    code, say) is never a problem — which is how every dialect has always answered (msgspec
    alone reports problems in the body's order, missing fields last). A model that forbids
    unknown fields names the first stranger in sorted order, before anything else.
    """
    fields = _fields(model)
    if model.__struct_config__.forbid_unknown_fields:
        unknown = sorted(set(data) - {field.encode_name for field in fields})
        if unknown:
            raise BadInput("unknown", unknown[0])
    present = {
        field.encode_name: value
        for field in fields
        if (value := data.get(field.encode_name)) is not None or field.required
    }
    # Lone surrogates (which JSON can spell) are text no hasher or signer downstream accepts.
    if all(is_text(value) for value in present.values() if isinstance(value, str)):
        try:
            return msgspec.convert(present, model)
        except msgspec.ValidationError:
            pass
    return cast(Model, _CheckedOnRead(data, fields))


@functools.cache
def _fields(model: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    """``msgspec.structs.fields``, once per model: msgspec resolves the class's annotations
    anew on every call (~50 µs of a send's ~0.4 ms of CPU). Bounded by the request models
    defined in this package."""
    return msgspec.structs.fields(model)


class _CheckedOnRead:
    """A model's fields read from ``data`` one at a time, each checked as it is read."""

    def __init__(
        self, data: Mapping[str, object], fields: tuple[msgspec.structs.FieldInfo, ...]
    ) -> None:
        self._data = data
        self._fields = {field.name: field for field in fields}

    def __getattr__(self, name: str) -> object:
        field = self._fields.get(name)
        if field is None:
            raise AttributeError(name)
        value = self._data.get(field.encode_name)
        if value is None and not field.required:
            return field.default
        if isinstance(value, str) and not is_text(value):  # msgspec would fail to encode it
            raise _problem(field, value)
        try:
            return msgspec.convert(value, field.type)
        except msgspec.ValidationError as exc:
            raise _problem(field, value) from exc


def required(value: str | None, name: str) -> str:
    """A field the model must leave optional (it is required only with another one), now
    required: absent, null and blank all read as missing."""
    if value is None or not value.strip():
        raise BadInput("missing", name)
    return value


def _problem(field: msgspec.structs.FieldInfo, value: object) -> BadInput:
    """What is wrong with ``value``, in the words ``BadInput`` has for it."""
    name = field.encode_name
    expected = inspect.type_info(field.type)
    if isinstance(expected, inspect.UnionType):  # T | None: null was handled as absent
        expected = next(t for t in expected.types if not isinstance(t, inspect.NoneType))
    if isinstance(expected, inspect.Metadata):  # documentation only (extra_json_schema)
        expected = expected.type
    if value is None:
        return BadInput("missing", name)
    if isinstance(expected, inspect.StrType | inspect.LiteralType):
        if not isinstance(value, str):
            return BadInput("type", name)
        if not is_text(value):
            return BadInput("text", name)
        if field.required and not value.strip():
            return BadInput("missing", name)
    if isinstance(expected, inspect.LiteralType):  # msgspec sorts the values; keep their order
        arms = get_args(field.type) or (field.type,)
        choices = [v for arm in arms for v in get_args(arm) or (arm,) if v is not type(None)]
        return BadInput("range", name, f"must be one of {', '.join(map(str, choices))}")
    return BadInput("range", name, _expectation(expected))


def _expectation(expected: inspect.Type) -> str:
    match expected:
        case inspect.IntType(ge=low, le=high):
            return f"must be an integer between {low} and {high}"
        case inspect.BoolType():
            return "must be true or false"
        case inspect.NoneType():
            return "is not stored by this server"
        case inspect.StrType(pattern=pattern):
            return f"must match {pattern}"
    return "is out of range"


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
