"""``Table``: a table of the configuration file, and the value a component is configured with.

Each component keeps its table beside it (``CodeTable`` in ``otp_flow.policy``, ``SendersTable``
in ``otp_flow.senders._kinds`` ...); ``otp_flow.config.Settings`` gathers them. A table is a
frozen msgspec Struct: each key's type, bounds (``Annotated`` ``msgspec.Meta``), default (from
``otp_flow.defaults``) and description (the string below it, as pydantic's
``use_attribute_docstrings``) are written once, in it. msgspec checks them when the file is
decoded, ``otp_flow.config.schema`` makes the file's JSON Schema of them, and ``Table`` checks
them again when one is built in Python (``CodePolicy(code_length=3)``), with the same words.
What a bound cannot say (a rule across keys, a file that must exist) a table checks in its
``__post_init__`` (after ``super().__post_init__()``), raising a ``ValueError`` whose message
starts with the key it is about. Validation happens once, when built: reading is a plain slot.

This module imports nothing of otp_flow, so every component can import it.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import math
import textwrap
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from otp_flow import defaults

__all__ = [
    "Count",
    "Fraction",
    "Limit",
    "Positive",
    "Price",
    "Table",
    "Text",
    "Texts",
    "expected",
    "table_of",
    "within",
]

T = TypeVar("T", bound="Table")


def within(bounds: tuple[int, int]) -> Meta:
    """Inclusive bounds, as ``otp_flow.defaults`` and ``otp_flow.policy`` write them."""
    return Meta(ge=bounds[0], le=bounds[1])


Count = Annotated[int, Meta(ge=0)]
#: A limit of ``Limits`` / ``RequesterLimits``: a count, 0 switching it off, at most a billion.
Limit = Annotated[int, within(defaults.LIMIT_BOUNDS)]
Text = Annotated[str, Meta(min_length=1)]
Texts = tuple[str, ...]
Positive = Annotated[float, Meta(gt=0)]
Fraction = Annotated[float, Meta(gt=0, le=1)]
Price = Annotated[float, Meta(ge=0, lt=1e9)]


class Table(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A table of the file: frozen, keyword-only, an unknown key is an error, and every field
    is checked against its type and bounds when built."""

    def __post_init__(self) -> None:
        for name, kind, node in _checks(type(self)):
            value = getattr(self, name)
            try:
                msgspec.convert(value, kind)
                finite = not isinstance(value, float) or math.isfinite(value)
            except msgspec.ValidationError:
                finite = False
            if not finite:
                raise ValueError(f"{name} must be {expected(node, name)}, got {value!r}")

    @classmethod
    def descriptions(cls) -> dict[str, str]:
        """The string below each field, by key name, inherited ones included (what the file's
        JSON Schema and the documentation's reference say of the key)."""
        found: dict[str, str] = {}
        for owner in reversed(cls.__mro__[: cls.__mro__.index(Table)]):
            names = {f.name: f.encode_name for f in msgspec.structs.fields(owner)}
            body = ast.parse(textwrap.dedent(inspect.getsource(owner))).body[0].body  # type: ignore[attr-defined]
            for field, text in itertools.pairwise(body):
                named = isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                if named and isinstance(text, ast.Expr) and isinstance(text.value, ast.Constant):
                    found[names[field.target.id]] = str(text.value.value)
        return found

    def to(self, cls: type[T], **more: Any) -> T:
        """This table's values as ``cls`` (the engine's object it extends or is extended by),
        with ``more`` for the fields this table does not have."""
        names = {f.name for f in msgspec.structs.fields(cls)}
        mine = {k: v for k, v in msgspec.structs.asdict(self).items() if k in names}
        return cls(**mine, **more)


@functools.cache
def _checks(cls: type[Table]) -> list[tuple[str, Any, dict[str, Any]]]:
    """Each field with a type to check (tables nested in a table checked themselves)."""
    found = []
    for field in msgspec.structs.fields(cls):
        node = msgspec.json.schema(field.type)
        if "$defs" not in node:
            found.append((field.name, field.type, node))
    return found


def expected(node: dict[str, Any], path: str = "") -> str:
    """What a key takes (its JSON Schema ``node``), as an error message says it: ``an integer
    between 0 and 10``."""
    node = table_of(node)
    if "enum" in node:
        values = [str(v) for v in node["enum"]]
        if len(values) == 2:
            return f'"{values[0]}" or "{values[1]}"'
        return f"one of {' | '.join(values)}"
    kind = node.get("type")
    low, high = node.get("minimum"), node.get("maximum")
    if kind == "integer":
        if low is not None and high is not None:
            return f"an integer between {low} and {high}"
        return f"an integer >= {low}" if low is not None else "an integer"
    if kind == "number":
        above = node.get("exclusiveMinimum")
        if above is not None:
            return f"a number above {above} and at most {high}" if high else f"a number > {above}"
        return f"a number >= {low}" if low is not None else "a number"
    if kind == "string":
        shortest = node.get("minLength", 0)
        if shortest > 1:
            return f"at least {shortest} characters"
        return "a non-empty string" if shortest else "a string"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        if table_of(node.get("items", {})).get("type") == "object":
            name = path.rpartition(".")[2]
            return f"an array of tables ([[{name}]])"
        return "a list of strings"
    return "a table"


def table_of(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` without its ``null`` alternative (an optional key)."""
    options = [n for n in node.get("anyOf", [node]) if n.get("type") != "null"]
    return options[0] if len(options) == 1 else node
