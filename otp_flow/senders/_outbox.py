"""The development outbox: messages are kept in the store instead of being delivered.

The store holds them (newest first, bounded), so every worker of an application that shares one
Redis sees the same outbox; the demo shows it as a page and as JSON. The outbox holds plaintext
codes: it is for development and tests only, never for production.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal, NotRequired, TypedDict

from otp_flow import defaults
from otp_flow.errors import DeliveryFailed, ServiceUnavailable
from otp_flow.senders._base import Message
from otp_flow.stores.base import OutboxStore
from otp_flow.types import CHANNELS, USAGES, Channel, Clock, Usage, system_clock

__all__ = ["OutboxEntry", "OutboxSender"]

log = logging.getLogger("otp_flow.senders")


class OutboxEntry(TypedDict):
    channel: Channel
    recipient: str
    usage: Usage
    #: ``""`` for a notice.
    code: str
    text: str
    #: ISO-8601 in UTC, e.g. ``2026-03-10T01:00:00Z``.
    sent_at: str
    #: Only on notices (messages without a code); a code's entry keeps the shape it always had.
    kind: NotRequired[Literal["notice"]]


# Spelled out: with postponed annotations, Python 3.11 cannot tell NotRequired keys apart.
_REQUIRED_KEYS = ("channel", "recipient", "usage", "code", "text", "sent_at")


class OutboxSender:
    """Keeps the latest ``max_messages`` messages in ``store`` (development only)."""

    def __init__(
        self,
        store: OutboxStore,
        *,
        max_messages: int = defaults.OUTBOX_MAX_MESSAGES,
        clock: Clock = system_clock,
    ) -> None:
        if isinstance(max_messages, bool) or not isinstance(max_messages, int):
            raise ValueError("max_messages must be an integer")
        low, high = defaults.OUTBOX_MAX_MESSAGES_BOUNDS
        if not low <= max_messages <= high:
            raise ValueError(f"max_messages must be between {low} and {high}")
        self.store = store
        self.max_messages = max_messages
        self.clock = clock

    async def send(self, message: Message) -> None:
        sent_at = datetime.fromtimestamp(self.clock(), UTC)
        entry: OutboxEntry = {
            "channel": message.channel,
            "recipient": message.recipient,
            "usage": message.usage,
            "code": message.code,
            "text": message.text,
            "sent_at": sent_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        if message.kind == "notice":
            entry["kind"] = "notice"
        try:
            await self.store.outbox_push(
                json.dumps(entry, ensure_ascii=False), max_len=self.max_messages
            )
        except ServiceUnavailable as exc:
            raise DeliveryFailed("the outbox store is unavailable") from exc

    async def messages(self, limit: int = 50) -> list[OutboxEntry]:
        """The newest ``limit`` messages, newest first. Raises ``StoreUnavailable``."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError("limit must be a non-negative integer")
        raw = await self.store.outbox_list(min(limit, self.max_messages))
        entries: list[OutboxEntry] = []
        for payload in raw:
            entry = _parse(payload)
            if entry is None:
                # Another process (or a different version) wrote something we cannot show;
                # one bad entry must not hide the others.
                log.warning("skipping an unreadable outbox entry")
                continue
            entries.append(entry)
        return entries


def _parse(payload: str | bytes) -> OutboxEntry | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), str) for key in _REQUIRED_KEYS
    ):
        return None
    if data["channel"] not in CHANNELS or data["usage"] not in USAGES:
        return None
    entry = OutboxEntry(
        channel=data["channel"],
        recipient=data["recipient"],
        usage=data["usage"],
        code=data["code"],
        text=data["text"],
        sent_at=data["sent_at"],
    )
    if data.get("kind") == "notice":
        entry["kind"] = "notice"
    return entry
