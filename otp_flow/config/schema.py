"""The JSON Schema of the configuration file, generated from ``Settings``.

``python -m otp_flow.config.schema [PATH]`` (or ``otp-flow config-schema``) writes it (default:
``otp-flow.schema.json``); the committed copy is checked against a fresh one by the tests. Editors
that read JSON Schema for TOML (Taplo, Even Better TOML) complete and check the file with it.
The same schema phrases the configuration errors (``expected``) and the documentation's reference.
"""

from __future__ import annotations

import functools
import json
import sys
import typing
from pathlib import Path
from typing import Any

import msgspec

from otp_flow._tables import Table, expected, table_of
from otp_flow.senders._kinds import sender_schema
from otp_flow.types import CHANNELS

__all__ = ["expected", "main", "node_at", "schema", "schema_text", "table_of"]

FILE_NAME = "otp-flow.schema.json"
Node = dict[str, Any]


@functools.cache
def schema() -> Node:
    """The schema, every table inlined (``$defs`` resolved), in the file's key order."""
    from otp_flow.config._settings import Settings  # imports every table

    raw = msgspec.json.schema(Settings)
    defs: dict[str, Node] = raw.pop("$defs", {})
    tables = _subclasses(Table)
    for cls in (tables[name] for name in defs):
        properties = defs[cls.__name__]["properties"]
        for name, text in cls.descriptions().items():
            properties[name]["description"] = text
        for field in msgspec.structs.fields(cls):
            if typing.get_origin(field.type) is typing.Literal:  # as written, not sorted
                properties[field.encode_name]["enum"] = list(typing.get_args(field.type))

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            if "$ref" in value:
                return inline(defs[value["$ref"].rsplit("/", 1)[1]])
            return {k: _one_line(inline(v), k) for k, v in value.items() if k != "title"}
        if isinstance(value, list):
            return [inline(v) for v in value]
        return value

    root: Node = inline(raw)
    senders = root["properties"]["senders"]["properties"]
    for channel in CHANNELS:  # what a [senders.<channel>] table takes depends on its type
        senders[channel] = {"description": senders[channel]["description"]} | sender_schema(channel)
    del root["properties"]["extra"]  # Settings.extra holds the tables below, it is no key
    root["additionalProperties"] = {
        "type": "object",
        "description": "A table of another component (the demo's `[pages]`), kept unchecked.",
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root}


def _subclasses(cls: type[Table]) -> dict[str, type[Table]]:
    found: dict[str, type[Table]] = {}
    for sub in cls.__subclasses__():
        found |= {sub.__name__: sub} | _subclasses(sub)
    return found


def _one_line(value: Any, key: str) -> Any:
    return " ".join(value.split()) if key == "description" else value


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def node_at(path: str) -> Node:
    """The schema of the key at ``path`` (``clients[0].sms_quota``); ``{}`` if none."""
    node = schema()
    for part in path.replace("[", ".[").split(".") if path else []:
        node = table_of(node)
        node = node.get("items", {}) if part.startswith("[") else node["properties"].get(part, {})
    return node


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else FILE_NAME)
    target.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
