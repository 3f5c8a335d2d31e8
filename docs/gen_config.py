"""MkDocs hook: the configuration reference and the limits table, generated from the code.

The reference is the JSON Schema of the file (``otp_flow.config.schema``, itself generated from
the msgspec models of ``otp_flow.config``): every key with its type and bounds, its default and
its description (the string below the field in the model). A key without a description fails
the build, so a new key cannot ship undocumented. A sender's options are its class's keyword
arguments, described in ``otp_flow.senders._kinds.SENDER_OPTIONS``.
The pages put ``<!-- generated: configuration -->`` and ``<!-- generated: limits -->`` where the
tables go.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

import msgspec
from mkdocs.exceptions import PluginError

from otp_flow.config import ApiSettings
from otp_flow.config.schema import expected, schema, table_of
from otp_flow.engine import OTPEngine
from otp_flow.policy import CodePolicy, Limits, RequesterLimits
from otp_flow.senders._kinds import BUILDER_ARGS, SENDER_KINDS, SENDER_OPTIONS
from otp_flow.web import create_auth_app

__all__ = [
    "MAP_KEYS",
    "Key",
    "accepted_keys",
    "configuration_reference",
    "generic_path",
    "limits_table",
]

CONFIG_MARKER = "<!-- generated: configuration -->"
LIMITS_MARKER = "<!-- generated: limits -->"

#: A smallest valid file.
PROBE: dict[str, Any] = {"secret_keys": ["probe-secret-key-0123456789abcdef"], "dev": True}

#: Tables whose keys the operator chooses (a map): how the reference names any one key. A map
#: table missing here fails the build.
MAP_KEYS: dict[str, str] = {"metrics.sms_price_by_country_code": "<calling code>"}


@dataclass(frozen=True, slots=True)
class Key:
    """One accepted key: ``path`` as written in the file (``clients[].id``), what it takes, its
    default and its description."""

    path: str
    check: str
    default: str
    description: str = ""

    @property
    def table(self) -> str:
        return self.path.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]


def _toml(value: Any) -> str:
    """A default as it would be written in the file."""
    if value is inspect.Parameter.empty:
        return "required"
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list | tuple):
        return "`[" + ", ".join(_toml(v).strip("`") for v in value) + "]`"
    if isinstance(value, dict) or hasattr(value, "items"):
        items = ", ".join(f"{k} = {_toml(v).strip('`')}" for k, v in dict(value).items())
        return "`{" + items + "}`" if items else "`{}`"
    return f"`{value}`"


def generic_path(path: str) -> str:
    """A key path as the reference names it: ``clients[0].id`` → ``clients[].id``, a key of a
    map table → its placeholder (``metrics.sms_price_by_country_code.<calling code>``)."""
    path = re.sub(r"\[\d*\]", "[]", path)
    table, _, _name = path.rpartition(".")
    return f"{table}.{MAP_KEYS[table]}" if table in MAP_KEYS else path


def _missing(key: str, where: str = "its model in otp_flow/config") -> PluginError:
    return PluginError(
        f"gen_config: the configuration key {key!r} has no description; add it to {where}"
    )


def _walk(node: dict[str, Any], prefix: str = "") -> list[Key]:
    """Every key below ``node`` in the file's order; a table is a key too (check ``table``)."""
    keys: list[Key] = []
    required = set(node.get("required", []))
    for name, outer in node["properties"].items():
        path = f"{prefix}.{name}" if prefix else name
        child = table_of(outer)
        items = table_of(child.get("items", {}))
        if child.get("type") == "object" or "oneOf" in child or items.get("type") == "object":
            table = items if items.get("type") == "object" else child
            kind = "table" if table is child else "array of tables"
            keys.append(
                Key(path, kind, "—", outer.get("description") or table.get("description", ""))
            )
            keys += _table_keys(path if table is child else f"{path}[]", table)
        else:
            default = inspect.Parameter.empty if name in required else outer.get("default")
            keys.append(
                Key(path, expected(child, path), _toml(default), outer.get("description", ""))
            )
    return keys


def _table_keys(path: str, table: dict[str, Any]) -> list[Key]:
    if "properties" in table:
        return _walk(table, path)
    if path.removeprefix("senders.") in SENDER_KINDS:  # a sender: type, then its options
        kinds = " | ".join(SENDER_KINDS[path.removeprefix("senders.")])  # type: ignore[index]
        text = f"`{kinds}`; the other keys are that sender's options (below). `outbox` needs "
        text += "`dev = true`."
        return [Key(f"{path}.type", "string", "required", text)]
    if path not in MAP_KEYS:
        raise PluginError(
            f"gen_config: {path!r} takes keys the operator chooses; name them in MAP_KEYS in "
            "docs/gen_config.py"
        )
    value = table.get("additionalProperties", {})
    return [Key(f"{path}.{MAP_KEYS[path]}", expected(value), "—", value.get("description", ""))]


def _annotation(annotation: Any) -> str:
    """A sender argument's annotation (a string: the modules postpone them) as a value kind."""
    text = str(annotation)
    if text.startswith("Mapping["):
        return "table"
    if text.startswith("Literal["):
        return "one of " + text.removeprefix("Literal[").removesuffix("]").replace("'", '"')
    text = text.removesuffix(" | None")
    return {"str": "string", "int": "integer", "float": "number", "bool": "true or false"}.get(
        text, text
    )


def sender_keys() -> list[tuple[str, str, Key]]:
    """(channel, type, key) for every option of every sender type, as the reader takes them."""
    out = []
    for channel, kinds in SENDER_KINDS.items():
        for kind, cls in kinds.items():
            for name, param in inspect.signature(cls).parameters.items():
                if name not in BUILDER_ARGS:
                    check = _annotation(param.annotation)
                    key = Key(f"senders.{channel}.{name}", check, _toml(param.default))
                    out.append((channel, kind, key))
    return out


def accepted_keys() -> list[str]:
    """Every key path the configuration file accepts (sender options by channel)."""
    return sorted({k.path for k in _walk(schema())} | {k.path for _, _, k in sender_keys()})


def _row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _heading(table: str) -> str:
    if not table:
        return "Top level"
    return f"`[[{table[:-2]}]]`" if table.endswith("[]") else f"`[{table}]`"


def configuration_reference() -> str:
    keys = _walk(schema())
    for k in keys:
        if not k.description:
            raise _missing(k.path)
    tables = {k.path: k for k in keys if k.check in ("table", "array of tables")}
    order = [""] + [f"{p}[]" if k.check == "array of tables" else p for p, k in tables.items()]
    lines: list[str] = []
    for table in order:
        rows = [k for k in keys if k.table == table and k.path not in tables]
        lines += ["", f"### {_heading(table)}", ""]
        if table:
            lines += [tables[table.removesuffix("[]")].description, ""]
        lines += [_row("key", "value", "default", "meaning"), _row("---", "---", "---", "---")]
        lines += [_row(f"`{k.name}`", k.check, k.default, k.description) for k in rows]
    lines += _sender_sections()
    return "\n".join(lines) + "\n"


def _sender_sections() -> list[str]:
    by_type: dict[str, list[tuple[str, Key]]] = {}
    for channel, kind, key in sender_keys():
        by_type.setdefault(kind, []).append((channel, key))
    lines = ["", "### Sender options", ""]
    lines.append(
        "The keys of `[senders.sms]` or `[senders.email]` beside `type`, by type; each is the "
        "sender class's keyword argument of the same name."
    )
    for kind, entries in by_type.items():
        channels = sorted({c for c, _ in entries})
        cls = SENDER_KINDS[channels[0]][kind]  # type: ignore[index]
        lines += ["", f'#### `type = "{kind}"`', ""]
        lines.append(f"Channels: {', '.join(channels)}. Class: `otp_flow.senders.{cls.__name__}`.")
        lines += ["", _row("key", "value", "default", "meaning"), _row("---", "---", "---", "---")]
        seen: set[str] = set()
        for _channel, key in entries:
            if key.name in seen:
                continue
            seen.add(key.name)
            description = SENDER_OPTIONS.get(f"{kind}.{key.name}")
            if description is None:
                raise _missing(f"{kind}.{key.name}", "SENDER_OPTIONS in otp_flow/senders/_kinds.py")
            lines.append(_row(f"`{key.name}`", key.check, key.default, description))
        if not seen:
            lines += [_row("(none)", "", "", "")]
    return lines


# ----------------------------------------------------------------------------- limits


#: Each limit with a default in code: (what, where in Python, config key or "", the default).
def _limit_rows() -> list[tuple[str, str, str, Any]]:
    policy, limits, api = CodePolicy(), Limits(), ApiSettings()
    auth = inspect.signature(create_auth_app).parameters
    engine = inspect.signature(OTPEngine).parameters
    rows: list[tuple[str, str, str, Any]] = []
    described = {
        "code_length": "characters in a code",
        "ttl_seconds": "seconds a code lives",
        "max_failures": "wrong codes before a code is dead",
        "token_ttl_seconds": "seconds an `otp_token` is valid",
        "app_per_day": "sends per client per calendar day",
        "recipient_per_minute": "sends per client to one recipient per minute",
        "recipient_per_hour": "sends per client to one recipient per hour",
        "recipient_per_day": "sends per client to one recipient per calendar day",
        "resend_interval_seconds": "seconds between two sends to one recipient",
        "resend_backoff_max_seconds": "cap of the doubling resend interval (0: no doubling)",
        "sends_per_window": "login, reset and contact-change codes per requester per window",
        "signup_sends_per_window": "signup codes per requester per window",
        "window_seconds": "seconds of a requester's window",
        "sends_per_day": "codes per requester per calendar day",
        "checks_per_window": "code checks per requester per window",
    }
    per_requester = {"recipient_per_day": "codes per requester to one recipient per calendar day"}
    owners = (
        ("CodePolicy", policy, "defaults"),
        ("Limits", limits, "limits"),
        ("RequesterLimits", RequesterLimits(), "requesters"),
    )
    for owner, value, table in owners:
        for f in msgspec.structs.fields(value):
            if f.name in ("alphabet", "timezone"):
                continue  # not limits: the code's characters, the windows' time zone
            if f.name not in described:
                raise PluginError(f"gen_config: describe the limit {owner}.{f.name}")
            what = per_requester.get(f.name) if owner == "RequesterLimits" else None
            rows.append(
                (
                    what or described[f.name],
                    f"`{owner}({f.name}=)`",
                    f"`{table}.{f.name}`",
                    getattr(value, f.name),
                )
            )
    rows += [
        (
            "password sign-ins per requester at one identifier per window (pages)",
            "`create_auth_app(password_attempts=)`",
            "",
            auth["password_attempts"].default,
        ),
        (
            "seconds of that password window",
            "`create_auth_app(password_window_seconds=)`",
            "",
            auth["password_window_seconds"].default,
        ),
        (
            "password sign-ins per requester per window, any identifier (pages)",
            "`create_auth_app(password_requester_attempts=)`",
            "",
            auth["password_requester_attempts"].default,
        ),
        (
            "seconds a page session lives",
            "`create_auth_app(session_ttl_seconds=)`",
            "",
            auth["session_ttl_seconds"].default,
        ),
        (
            "seconds one delivery may take",
            "`OTPEngine(delivery_timeout=)`",
            "`senders.delivery_timeout_seconds`",
            engine["delivery_timeout"].default,
        ),
        (
            "bytes of a JSON API request body",
            "`create_api_app(max_body_bytes=)`",
            "`api.max_body_bytes`",
            api.max_body_bytes,
        ),
        (
            "seconds a signed Yunpian timestamp may be off",
            "`create_api_app(signature_window_seconds=)`",
            "`api.signature_window_seconds`",
            api.signature_window_seconds,
        ),
        (
            "messages a client may send per channel",
            "`Client(sms_quota=, email_quota=)`",
            "`clients[].sms_quota`, `clients[].email_quota`",
            None,
        ),
    ]
    return rows


def limits_table() -> str:
    lines = [
        _row("limit", "default", "Python", "configuration file"),
        _row("---", "---:", "---", "---"),
    ]
    for what, python, key, default in _limit_rows():
        shown = (
            "unlimited"
            if default is None
            else f"{default:g}"
            if isinstance(default, float)
            else str(default)
        )
        lines.append(_row(what, shown, python, key or "—"))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------- the hook


def on_page_markdown(markdown: str, **_: Any) -> str:
    if CONFIG_MARKER in markdown:
        markdown = markdown.replace(CONFIG_MARKER, configuration_reference())
    if LIMITS_MARKER in markdown:
        markdown = markdown.replace(LIMITS_MARKER, limits_table())
    return markdown
