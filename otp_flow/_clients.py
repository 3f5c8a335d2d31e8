"""API clients (tenants): who may send codes, how many messages they may send, and the CIAM auth
sources by which they pick a code's channel and shape. Each is its table of the configuration file
(``[[clients]]``, ``[[auth_sources]]``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, TypeVar

from msgspec import Meta

from otp_flow._tables import Count, Table, Text
from otp_flow.policy import CallerTTL, CodeLength
from otp_flow.types import Channel

__all__ = ["AuthSource", "Client", "ClientTable", "by_id"]

# Client ids end up inside Redis keys and hash tags; keep them to a safe alphabet.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")


class ClientTable(Table, frozen=True, kw_only=False):
    """API clients (tenants) of the JSON dialects; the pages use their own client id
    (`create_auth_app(client_id=)`)."""

    id: str
    "The client id: 1-128 of `A-Z a-z 0-9 _ . -`, unique."
    secret: Text
    "The client secret (CIAM Basic auth, Yunpian app key, OnlyID `clientSecret`)."
    sms_quota: Count | None = None
    "SMS this client may send in total; absent = unlimited."
    email_quota: Count | None = None
    "Emails this client may send in total; absent = unlimited."

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _CLIENT_ID.match(self.id):
            raise ValueError(f"id: client id {self.id!r} must be 1-128 of A-Z a-z 0-9 _ . -")
        super().__post_init__()

    def quota(self, channel: Channel) -> int | None:
        return self.sms_quota if channel == "sms" else self.email_quota


class Client(ClientTable, frozen=True):
    """One API client: a ``[[clients]]`` table, whose ``secret`` may be left out in Python (a
    client only the pages use has none). ``sms_quota`` / ``email_quota``: messages it may send;
    None = unlimited."""

    secret: str = ""


class AuthSource(Table, frozen=True, kw_only=False):
    """CIAM auth sources: the `auth_source_id` of `POST /otp/send` (usage `login` only) picks
    the channel and code shape."""

    id: Annotated[str, Meta(min_length=1, max_length=128)]
    "The auth source id, 1-128 characters, unique."
    channel: Channel
    "The channel its codes go by."
    code_length: CodeLength | None = None
    "Code length for this source; absent = `defaults.code_length`."
    ttl_seconds: CallerTTL | None = None
    """Code lifetime for this source, at most `defaults.token_ttl_seconds`; absent =
    `defaults.ttl_seconds`."""


_Identified = TypeVar("_Identified", Client, AuthSource)


def by_id(items: Iterable[_Identified], what: str) -> dict[str, _Identified]:
    """``items`` keyed by their ids; ``ValueError`` when an id comes twice (``what``: "client",
    "auth source"), as the last one winning would quietly drop the other's secret or shape."""
    found: dict[str, _Identified] = {}
    for item in items:
        if item.id in found:
            raise ValueError(f"{what} id {item.id!r} is configured twice")
        found[item.id] = item
    return found
