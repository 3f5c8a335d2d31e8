"""Which sender class each ``[senders.<channel>] type`` names, its options and how to build one.

Shared by the configuration's ``[senders]`` table (``SendersTable``: ``check_sender`` constructs
each sender once to validate its options; ``sender_schema`` describes them) and
``otp_flow.runtime`` (which constructs the real ones), so all agree on the classes and their
keyword arguments.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import msgspec

from otp_flow import defaults
from otp_flow._tables import Positive, Table
from otp_flow._usages import sent_by
from otp_flow.senders import ConsoleSender, HTTPSender, OutboxSender, SMTPSender, TencentSMSSender
from otp_flow.senders._base import NOTICE_IDENTIFIER_CHANGED
from otp_flow.stores.base import OTPStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.types import CHANNELS, Channel, Clock, system_clock

__all__ = [
    "BUILDER_ARGS",
    "SENDER_KINDS",
    "SENDER_OPTIONS",
    "SenderSettings",
    "SendersTable",
    "check_sender",
    "make_sender",
    "sender_schema",
    "under_key",
]


@dataclass(frozen=True, slots=True)
class SenderSettings:
    """``type`` picks the sender class; ``options`` are its keyword arguments, as written."""

    type: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


class SendersTable(Table, frozen=True):
    """How messages are delivered, one table per channel."""

    sms: dict[str, Any] | None = None
    "The SMS sender; required unless `dev = true` (then `outbox`)."
    email: dict[str, Any] | None = None
    "The email sender; required unless `dev = true` (then `outbox`)."
    delivery_timeout_seconds: Positive = defaults.DELIVERY_TIMEOUT_SECONDS
    """How long one delivery (an SMTP session, a gateway call) may take before the code is
    killed and the caller gets 503."""

    def check(self, dev: bool) -> None:
        """Each channel's table (``dev``, a key of the file's top level, allows ``outbox``)."""
        for channel in CHANNELS:
            check_sender(channel, getattr(self, channel), dev)

    def sender(self, channel: Channel) -> SenderSettings:
        """The channel's sender as written; absent = ``outbox`` (allowed in dev only)."""
        table: Mapping[str, Any] | None = getattr(self, channel)
        if table is None:
            return SenderSettings("outbox")
        options = {k: v for k, v in table.items() if k != "type"}
        return SenderSettings(table["type"], MappingProxyType(options))


SENDER_KINDS: dict[Channel, dict[str, type[Any]]] = {
    "sms": {
        "outbox": OutboxSender,
        "console": ConsoleSender,
        "http": HTTPSender,
        "tencent": TencentSMSSender,
    },
    "email": {"outbox": OutboxSender, "console": ConsoleSender, "smtp": SMTPSender},
}
# Constructor arguments the builders supply; everything else comes from the file, 1:1 by name.
BUILDER_ARGS = frozenset({"store", "clock"})


def make_sender(cls: type[Any], options: Mapping[str, Any], store: OTPStore, clock: Clock) -> Any:
    accepted = inspect.signature(cls).parameters
    supplied = {"store": store, "clock": clock}
    return cls(**{k: v for k, v in supplied.items() if k in accepted}, **options)


#: The ``timeout`` of a sender that calls an HTTP API (``http``, ``tencent``): one call each.
_REQUEST_TIMEOUT = "Seconds for one request."

#: Each sender option, by ``type.option``; the sender classes' docstrings say more.
SENDER_OPTIONS: dict[str, str] = {
    "outbox.max_messages": "Messages kept, newest first ({} to {}).".format(
        *defaults.OUTBOX_MAX_MESSAGES_BOUNDS
    ),
    "console.show_code": "Log the code itself: for a developer's own terminal only.",
    "http.url": "The gateway's `http://` or `https://` URL.",
    "http.method": "`POST`, `PUT` or `PATCH` (never GET: the code would be in the URL).",
    "http.headers": "Extra request headers (e.g. the gateway's API key).",
    "http.body_format": '`"json"` or `"form"`.',
    "http.body": "Field name → template; placeholders `{recipient}` `{code}` `{text}` "
    "`{ttl_minutes}` `{usage}` `{locale}`.",
    "http.success_field": "A JSON field of the answer (dots reach into objects) that must "
    "equal `success_value`; absent = any 2xx is success.",
    "http.success_value": "The value of `success_field` that means sent (compared as text).",
    "http.timeout": _REQUEST_TIMEOUT,
    "tencent.secret_id": "Tencent Cloud API SecretId.",
    "tencent.secret_key": "Tencent Cloud API SecretKey.",
    "tencent.sdk_app_id": "The SMS application's SdkAppId.",
    "tencent.sign_name": "The approved SMS signature.",
    "tencent.template_ids": "Usage ("
    + ", ".join(f"`{name}`" for name in (*sent_by("sms"), NOTICE_IDENTIFIER_CHANGED))
    + ") → approved template ID.",
    "tencent.region": "API region.",
    "tencent.endpoint": "API endpoint URL.",
    "tencent.timeout": _REQUEST_TIMEOUT,
    "smtp.host": "SMTP server host.",
    "smtp.port": "SMTP server port.",
    "smtp.from_address": "The `From` address.",
    "smtp.username": "Login name; with `password`.",
    "smtp.password": "Login password; with `username`.",
    "smtp.starttls": "Upgrade with STARTTLS and fail if the server cannot (port 587).",
    "smtp.use_tls": "Implicit TLS from the first byte (port 465). Not with `starttls`.",
    "smtp.timeout": "Seconds for one SMTP session.",
    "smtp.ca_file": "PEM bundle of CAs to trust instead of the system store; needs TLS.",
}


def sender_schema(channel: Channel) -> dict[str, Any]:
    """The JSON Schema of ``[senders.<channel>]``: one alternative per ``type``, its options
    typed and defaulted as the class's keyword arguments, described by ``SENDER_OPTIONS``."""
    alternatives = []
    for kind, cls in SENDER_KINDS[channel].items():
        hints = typing.get_type_hints(cls.__init__)
        properties: dict[str, Any] = {"type": {"const": kind}}
        required = ["type"]
        for name, p in inspect.signature(cls).parameters.items():
            if name in BUILDER_ARGS:
                continue
            option = {
                **msgspec.json.schema(hints[name]),
                "description": SENDER_OPTIONS[f"{kind}.{name}"],
            }
            if p.default is inspect.Parameter.empty:
                required.append(name)
            else:
                option["default"] = msgspec.to_builtins(
                    dict(p.default) if isinstance(p.default, Mapping) else p.default
                )
            properties[name] = option
        alternatives.append(
            {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            }
        )
    return {"oneOf": alternatives}


def check_sender(channel: Channel, table: Mapping[str, Any] | None, dev: bool) -> None:
    """``[senders.<channel>]``: its options are its class's keyword arguments, so construct it
    once to check them. A ``ValueError`` naming the key."""
    path = f"senders.{channel}"
    kinds = SENDER_KINDS[channel]
    if table is None:
        if dev:
            return
        raise ValueError(f"{path} is required when dev = false")
    kind = table.get("type")
    if kind not in kinds:
        raise ValueError(f"{path}.type must be one of {' | '.join(kinds)}")
    if kind == "outbox" and not dev:
        # The outbox keeps every message, code included, in plaintext in the store.
        raise ValueError(f'{path}.type = "outbox" needs dev = true (it keeps codes in clear)')
    params = {
        name: p
        for name, p in inspect.signature(kinds[kind]).parameters.items()
        if name not in BUILDER_ARGS
    }
    options = {k: v for k, v in table.items() if k != "type"}
    unknown = sorted(set(options) - set(params))
    if unknown:  # first: a misspelt key is the likelier reason for a "missing" one
        raise ValueError(f"unknown key {path}.{unknown[0]}")
    for name, p in params.items():
        if p.default is inspect.Parameter.empty and name not in options:
            raise ValueError(f"{path}.{name} is required for type = {kind!r}")
    try:  # Construct once now, so a bad value fails at start-up rather than at the first send.
        make_sender(kinds[kind], options, MemoryStore(), system_clock)
    except ValueError as exc:
        raise ValueError(under_key(path, str(exc), set(params))) from exc


def under_key(path: str, message: str, keys: set[str]) -> str:
    """A constructor's message (usually starting with the argument name) under ``path``."""
    if not path:
        return message
    first = message.split(" ", 1)[0].rstrip(":")
    return f"{path}.{message}" if first in keys else f"{path}: {message}"
