"""Which sender class each ``[senders.<channel>] type`` names, and how to construct one.

Shared by the reader (which constructs each sender once to validate its options) and the
builders (which construct the real ones), so both agree on the classes and their arguments.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from otp_flow.senders import ConsoleSender, HTTPSender, OutboxSender, SMTPSender, TencentSMSSender
from otp_flow.stores.base import OTPStore
from otp_flow.types import Channel, Clock

__all__ = ["BUILDER_ARGS", "SENDER_KINDS", "SenderSettings", "make_sender"]


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
