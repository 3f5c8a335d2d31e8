"""MkDocs hook: the JSON API reference, rendered from the OpenAPI document the service serves.

``otp_flow.web.openapi.openapi_document`` is the one description of every endpoint (the tests
check real responses against it). This hook publishes it as ``api/openapi.json`` (with the
development paths, marked as such) and renders it where a page says
``<!-- generated: openapi -->``: every path and method, its authentication, parameters, request
body and responses, then every component schema. Nothing here is written by hand, so the page
lists whatever endpoints the code has.
"""

from __future__ import annotations

import json
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from otp_flow.web.openapi import openapi_document

__all__ = ["openapi_reference"]

MARKER = "<!-- generated: openapi -->"
JSON_PATH = "api/openapi.json"
_REF = "#/components/schemas/"

Schema = dict[str, Any]


def _document() -> Schema:
    return openapi_document(dev=True)


def _anchor(name: str) -> str:
    return "schema-" + name.lower()


def _type(schema: Schema) -> str:
    """A one-line summary of a schema, with component names linked."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(_REF)
        return f"[`{name}`](#{_anchor(name)})"
    if "enum" in schema:
        return "one of " + ", ".join(
            f"`{json.dumps(v, ensure_ascii=False)}`" for v in schema["enum"]
        )
    if "const" in schema:
        return f"`{json.dumps(schema['const'], ensure_ascii=False)}`"
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return " or ".join(_type(s) for s in schema[combinator])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and schema.get("properties"):
        return "object (" + ", ".join(f"`{p}`" for p in schema["properties"]) + ")"
    if kind == "object" and "properties" in schema:
        return "empty object"
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"))
        if key in schema
    ]
    extra = [schema["format"]] if "format" in schema else []
    return kind + (f" ({', '.join(extra + bounds)})" if extra or bounds else "")


def _text(text: object) -> str:
    """Prose from the document, with the characters Markdown would read as markup escaped."""
    return "".join("\\" + c if c in "*_`[]<>" else c for c in str(text))


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _security(document: Schema, operation: Schema) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    names = [name for requirement in operation.get("security", []) for name in requirement]
    if not names:
        return ""
    described = [
        f"`{name}` ({schemes.get(name, {}).get('scheme', '')}: "
        f"{schemes.get(name, {}).get('description', '')})"
        for name in names
    ]
    return "**Authentication:** " + ", ".join(described)


def _operation(document: Schema, path: str, method: str, operation: Schema) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if operation.get("summary"):
        lines += [f"{_text(operation['summary'])}.", ""]
    if operation.get("description"):
        lines += [_text(operation["description"]), ""]
    security = _security(document, operation)
    if security:
        lines += [security, ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["**Parameters**", ""]
        lines += _table(
            ("name", "in", "required", "type"),
            [
                (
                    f"`{p['name']}`",
                    p["in"],
                    "yes" if p.get("required") else "no",
                    _type(p.get("schema", {})),
                )
                for p in parameters
            ],
        )
    body = operation.get("requestBody")
    if body:
        required = "required" if body.get("required") else "optional"
        for media, content in body.get("content", {}).items():
            lines += [f"**Request body** ({required}, `{media}`): {_type(content['schema'])}", ""]
    rows = []
    for status, response in operation.get("responses", {}).items():
        bodies = ", ".join(
            f"{_type(c.get('schema', {}))} (`{media}`)"
            for media, c in response.get("content", {}).items()
        )
        headers = ", ".join(f"`{h}`" for h in response.get("headers", {}))
        meaning = _text(response.get("description", ""))
        rows.append((f"`{status}`", meaning, bodies or "—", headers or "—"))
    lines += ["**Responses**", ""]
    lines += _table(("status", "meaning", "body", "headers"), rows)
    return lines


def _schema(name: str, schema: Schema) -> list[str]:
    lines = [f"### `{name}` {{ #{_anchor(name)} }}", ""]
    if schema.get("description"):
        lines += [_text(schema["description"]), ""]
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", ()))
        lines += _table(
            ("field", "type", "required", "meaning"),
            [
                (
                    f"`{field}`",
                    _type(sub),
                    "yes" if field in required else "no",
                    _text(sub.get("description", "")),
                )
                for field, sub in properties.items()
            ],
        )
    else:
        lines += [f"Type: {_type(schema)}", ""]
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    lines += ['??? note "JSON Schema"', "", "    ```json"]
    lines += [f"    {line}" for line in text.splitlines()]
    lines += ["    ```", ""]
    return lines


def openapi_reference() -> str:
    document = _document()
    groups: dict[str, list[tuple[str, str, Schema]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["Service"])[0]
            groups.setdefault(tag, []).append((path, method, operation))
    info = document["info"]
    lines = [
        f"OpenAPI {document['openapi']}, `{info['title']}` {info['version']}. "
        + _text(info.get("description", "")),
        "",
    ]
    lines += ["| endpoint | dialect | what |", "| --- | --- | --- |"]
    for tag, entries in groups.items():
        lines += [
            f"| `{m.upper()} {p}` | {tag} | {_cell(_text(op.get('summary', '')))} |"
            for p, m, op in entries
        ]
    lines.append("")
    for tag, entries in groups.items():
        lines += [f"## {tag}", ""]
        if tag == "Development":
            lines += ["Served only with `dev = true` and an outbox sender.", ""]
        for path, method, operation in entries:
            lines += _operation(document, path, method, operation)
    lines += ["## Schemas", ""]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        lines += _schema(name, schema)
    return "\n".join(lines)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    content = json.dumps(_document(), indent=2, ensure_ascii=False) + "\n"
    files.append(File.generated(config, JSON_PATH, content=content))
    return files


def on_page_markdown(markdown: str, **_: Any) -> str:
    return markdown.replace(MARKER, openapi_reference()) if MARKER in markdown else markdown
