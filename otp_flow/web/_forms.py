"""Reading and checking what the forms send. Field names are a contract: ``identifier``,
``code``, ``display_name``, ``password`` (plus ``csrf_token`` and ``next``)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from otp_flow.errors import OTPError

__all__ = ["FormError", "clean_display_name", "normalise_code", "read_form", "safe_next"]

#: No field of these forms is longer (the password rule allows up to 1024 characters).
MAX_FIELD_LENGTH = 2048
DISPLAY_NAME_MAX = 64


class FormError(OTPError):
    """A body no form of ours sends (files, too many or too big fields, broken multipart):
    answered with the translated 422 page, not Starlette's plain-text 400."""


async def read_form(request: Request) -> dict[str, str]:
    """The form's text fields (first value of each, stripped); files are refused outright."""
    try:
        form = await request.form(max_files=0, max_fields=32, max_part_size=MAX_FIELD_LENGTH * 4)
    except (HTTPException, MultiPartException) as exc:
        raise FormError() from exc
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


#: What people type between groups of a code ("123 456", "123-456", a full-width hyphen).
_CODE_SEPARATORS = str.maketrans("", "", "-\u2010\u2011\u2012\u2013\u2014\u2212")


def normalise_code(raw: str) -> str:
    """The code as the engine compares it: full-width digits (Chinese IMEs type ``１２３``)
    become ASCII (NFKC), and spaces and hyphens go, so a typing habit does not burn an attempt."""
    folded = unicodedata.normalize("NFKC", raw)
    return "".join(folded.split()).translate(_CODE_SEPARATORS)


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
