"""The development outbox over HTTP: ``GET /dev/outbox`` (a page) and ``/dev/outbox.json``.

Only mounted when ``dev = true`` (the service) or ``create_auth_app(..., dev_outbox=True)`` (the
pages, under their mount): it shows plaintext codes. Newest message first.
"""

from __future__ import annotations

import html
import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from otp_flow.engine import OTPEngine
from otp_flow.errors import ServiceUnavailable
from otp_flow.senders._outbox import OutboxEntry, OutboxSender

__all__ = ["dev_outbox_of", "outbox_routes"]

log = logging.getLogger("otp_flow.web")

_LIMIT = 50
_COLUMNS = ("sent_at", "kind", "channel", "recipient", "usage", "code", "text")
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev outbox</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}}
.code{{font-family:monospace;font-size:1.2em}}</style></head>
<body><h1>Dev outbox</h1>
<p>Messages otp_flow would have sent, newest first ({count}). <a href="outbox.json">JSON</a></p>
{body}
</body></html>
"""


def dev_outbox_of(engine: OTPEngine) -> OutboxSender:
    """The engine's sender, which ``dev_outbox=True`` serves; refused unless an ``OutboxSender``
    (a real sender keeps nothing to show, and an outbox the engine does not send to is empty)."""
    sender = engine.sender
    if not isinstance(sender, OutboxSender):
        raise ValueError(
            "dev_outbox=True serves the engine's OutboxSender, but the engine's sender is"
            f" {'None' if sender is None else type(sender).__name__}: pass"
            " sender=OutboxSender(store) to OTPEngine"
            " (development only), or leave dev_outbox off"
        )
    return sender


def outbox_routes(outbox: OutboxSender) -> list[BaseRoute]:
    async def as_json(request: Request) -> Response:
        messages = await _read(outbox)
        if messages is None:
            return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
        return JSONResponse({"messages": messages}, headers={"Cache-Control": "no-store"})

    async def as_page(request: Request) -> Response:
        messages = await _read(outbox)
        if messages is None:
            return HTMLResponse("<h1>The outbox is temporarily unavailable</h1>", 503)
        return HTMLResponse(
            _PAGE.format(count=len(messages), body=_table(messages)),
            headers={"Cache-Control": "no-store"},
        )

    return [
        Route("/dev/outbox.json", as_json, methods=["GET"], name="dev_outbox_json"),
        Route("/dev/outbox", as_page, methods=["GET"], name="dev_outbox"),
    ]


async def _read(outbox: OutboxSender) -> list[OutboxEntry] | None:
    try:
        return await outbox.messages(limit=_LIMIT)
    except ServiceUnavailable:
        log.warning("the dev outbox could not be read: the store is unavailable")
        return None


def _table(messages: list[OutboxEntry]) -> str:
    if not messages:
        return "<p>No messages yet.</p>"
    head = "".join(f"<th>{name}</th>" for name in _COLUMNS)
    rows = []
    for message in messages:
        cells = "".join(
            # Notices carry "kind"; code messages keep the six keys of the JSON contract.
            f'<td class="{name}">{html.escape(str(message.get(name, "code")))}</td>'
            for name in _COLUMNS
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
