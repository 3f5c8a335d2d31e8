"""One structured log record per send, verify and refusal, on the logger ``otp_flow.events``.

``EventLog`` is the observer (see ``otp_flow.observers``) every ``OTPEngine`` has unless told
otherwise. Each record is logged at INFO with a ``key=value`` message and the same fields as a
dict in ``record.otp_event``; ``JsonFormatter`` writes them as one JSON object per line (what
``[logging] format = "json"`` selects for ``otp-flow serve``). Records never hold a code, and
recipients are masked: phones keep the country calling code and the last 2 digits
(``+86*********78``), email addresses the first character and the domain (``a***@example.com``).

    {"time": "2026-03-10T01:00:00.123Z", "level": "INFO", "logger": "otp_flow.events",
     "event": "send", "outcome": "sent", "channel": "sms", "country_code": "86",
     "usage": "login", "client_id": "default", "recipient": "+86*********78", "seconds": 0.0123}
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from otp_flow import defaults
from otp_flow._tables import Table
from otp_flow.observers import Event, SendEvent, calling_code
from otp_flow.types import Recipient

__all__ = [
    "EVENTS_LOGGER",
    "EventLog",
    "JsonFormatter",
    "LogFormat",
    "LoggingSettings",
    "logging_config",
    "mask",
]

EVENTS_LOGGER = "otp_flow.events"
LogFormat = Literal["text", "json"]


def mask(recipient: Recipient | None) -> str | None:
    """A recipient fit for a log: enough to group and follow up on, not to contact."""
    if recipient is None:
        return None
    if recipient.channel == "sms":
        code = calling_code(recipient)
        digits = recipient.value.lstrip("+")
        rest = digits[len(code) :] if code != "none" else digits
        return f"+{'' if code == 'none' else code}{'*' * max(len(rest) - 2, 0)}{rest[-2:]}"
    local, _, domain = recipient.value.rpartition("@")
    return f"{local[:1]}***@{domain}"


def event_fields(event: Event) -> dict[str, Any]:
    """The fields of a log record for ``event``: names and masked values, None left out."""
    if isinstance(event, SendEvent):
        name = "refusal" if event.outcome == "refused" else "send"
        fields: dict[str, Any] = {
            "event": name,
            "outcome": event.outcome,
            "channel": event.channel,
            "country_code": calling_code(event.recipient),
            "usage": event.usage,
            "client_id": event.client_id,
            "recipient": mask(event.recipient),
            "limit": event.limit,
            "retry_after": event.retry_after,
            "seconds": None if event.seconds is None else round(event.seconds, 4),
        }
    else:
        fields = {
            "event": "verify",
            "outcome": event.outcome,
            "channel": event.channel,
            "usage": event.usage,
            "client_id": event.client_id,
            "recipient": mask(event.recipient),
        }
    return {k: v for k, v in fields.items() if v is not None}


class EventLog:
    """The observer that logs each event (INFO, logger ``otp_flow.events``)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(EVENTS_LOGGER)

    def __call__(self, event: Event) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return  # nobody listens: not even the masking is paid for
        fields = event_fields(event)
        text = " ".join(f"{k}={v}" for k, v in fields.items() if k != "event")
        self.logger.info("%s %s", fields["event"], text, extra={"otp_event": fields})

    def __repr__(self) -> str:
        return f"EventLog({self.logger.name!r})"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, then the event's fields (an event
    record) or ``message`` (any other record)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        out: dict[str, Any] = {
            "time": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "otp_event", None)
        if isinstance(fields, dict):
            out.update(fields)
        else:
            out["message"] = record.getMessage()
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def logging_config(log_format: LogFormat, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` fragment sending the ``otp_flow`` loggers (events
    included) to stderr as text or JSON lines; merge it into a larger configuration."""
    if log_format not in ("text", "json"):
        raise ValueError('log format must be "text" or "json"')
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "formatters": {"otp_flow": formatter},
        "handlers": {
            "otp_flow": {
                "class": "logging.StreamHandler",
                "formatter": "otp_flow",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {"otp_flow": {"handlers": ["otp_flow"], "level": level, "propagate": False}},
    }


class LoggingSettings(Table, frozen=True):
    """The log output of `otp-flow serve`."""

    format: LogFormat = defaults.LOG_FORMAT
    "`json`: one JSON object per line."
    level: str = defaults.LOG_LEVEL
    "Level of the `otp_flow` loggers: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`, any case."

    def __post_init__(self) -> None:
        super().__post_init__()
        levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        if self.level.upper() not in levels:
            raise ValueError(f"level must be one of {' | '.join(levels)}")
        msgspec.structs.force_setattr(self, "level", self.level.upper())
