"""API clients (tenants): who may send codes, and how many messages they may send."""

from __future__ import annotations

import re
from dataclasses import dataclass

from otp_flow.types import Channel

__all__ = ["Client"]

# Client ids end up inside Redis keys and hash tags; keep them to a safe alphabet.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")


@dataclass(frozen=True, slots=True)
class Client:
    """One API client. ``sms_quota`` / ``email_quota``: messages it may send; None = unlimited."""

    id: str
    secret: str = ""
    sms_quota: int | None = None
    email_quota: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _CLIENT_ID.match(self.id):
            raise ValueError(f"client id {self.id!r} must be 1-128 of A-Z a-z 0-9 _ . -")
        for name in ("sms_quota", "email_quota"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} of client {self.id!r} must be an integer or absent")
            if value is not None and value < 0:
                raise ValueError(f"{name} of client {self.id!r} must not be negative")

    def quota(self, channel: Channel) -> int | None:
        return self.sms_quota if channel == "sms" else self.email_quota
