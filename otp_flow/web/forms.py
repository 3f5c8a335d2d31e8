"""Reading and checking what the forms send. Field names are a contract: ``identifier``,
``code``, ``display_name``, ``password`` (plus ``csrf_token`` and ``next``)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from starlette.requests import Request

__all__ = ["clean_display_name", "read_form", "safe_next"]

#: No field of these forms is longer (the password rule allows up to 1024 characters).
MAX_FIELD_LENGTH = 2048
DISPLAY_NAME_MAX = 64


async def read_form(request: Request) -> dict[str, str]:
    """The form's text fields (first value of each, stripped); files are refused outright."""
    form = await request.form(max_files=0, max_fields=32, max_part_size=MAX_FIELD_LENGTH * 4)
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, str) and name not in fields:
            fields[name] = value[: MAX_FIELD_LENGTH + 1]
    # Passwords keep their spaces; everything else is trimmed.
    return {k: v if k == "password" else v.strip() for k, v in fields.items()}


def safe_next(raw: object, default: str) -> str:
    """``raw`` when it is a path on this site, else ``default`` (no open redirects).

    Refused: anything with a scheme or host (``https://evil``, ``//evil``), backslashes (browsers
    read ``/\\evil`` as ``//evil``), control characters and whitespace (``/\\t/evil``).
    """
    if not isinstance(raw, str) or not raw.startswith("/") or len(raw) > MAX_FIELD_LENGTH:
        return default
    if raw.startswith("//") or "\\" in raw or any(c.isspace() or ord(c) < 0x20 for c in raw):
        return default
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return default
    return raw


def clean_display_name(raw: str) -> tuple[str, str | None]:
    """(normalised name, problem or None). Problems: ``required``, ``too_long``, ``invalid``."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        return name, "required"
    if len(name) > DISPLAY_NAME_MAX:
        return name, "too_long"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in name):
        return name, "invalid"
    return name, None
