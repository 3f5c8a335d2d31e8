"""Which sender class each ``[senders.<channel>] type`` names, and how to construct one.

Shared by the reader (which constructs each sender once to validate its options) and the
builders (which construct the real ones), so both agree on the classes and their arguments.
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
from otp_flow.senders import ConsoleSender, HTTPSender, OutboxSender, SMTPSender, TencentSMSSender
from otp_flow.stores.base import OTPStore
from otp_flow.types import Channel, Clock

__all__ = [
    "BUILDER_ARGS",
    "SENDER_KINDS",
    "SENDER_OPTIONS",
    "SenderSettings",
    "make_sender",
    "sender_schema",
]


@dataclass(frozen=True, slots=True)
class SenderSettings:
    """``type`` picks the sender class; ``options`` are its keyword arguments, as written."""

    type: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


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
    "http.timeout": "Seconds for one request.",
    "tencent.secret_id": "Tencent Cloud API SecretId.",
    "tencent.secret_key": "Tencent Cloud API SecretKey.",
    "tencent.sdk_app_id": "The SMS application's SdkAppId.",
    "tencent.sign_name": "The approved SMS signature.",
    "tencent.template_ids": "Usage (`login`, `signup`, `update_userinfo`, `reset_password`, "
    "`notice_identifier_changed`) → approved template ID.",
    "tencent.region": "API region.",
    "tencent.endpoint": "API endpoint URL.",
    "tencent.timeout": "Seconds for one request.",
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
