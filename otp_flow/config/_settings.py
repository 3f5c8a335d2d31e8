"""``Settings``, the whole file as one frozen msgspec Struct, and ``load_config`` to read it.

Every problem is a ``ConfigError`` naming the key (``limits.app_per_day must be an integer
>= 0``): msgspec's ``ValidationError`` names the path (``$.limits.app_per_day``)
and the file's JSON Schema says what the key takes. Top-level tables nobody here knows (the
demo's ``[pages]``) are kept, unchecked and read-only, in ``Settings.extra`` for their owners.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import msgspec

from otp_flow import defaults
from otp_flow._clients import AuthSource, Client, ClientTable
from otp_flow._requesters import RequesterSettings
from otp_flow._signing import normalise_keys
from otp_flow._tables import Table, expected, table_of, within
from otp_flow.challenges._settings import ChallengeSettings
from otp_flow.errors import ConfigError
from otp_flow.events import LoggingSettings
from otp_flow.identifiers import IdentifierParser
from otp_flow.messages._settings import MessageSettings
from otp_flow.metrics import MetricsSettings
from otp_flow.policy import (
    CALLER_EXPIRE_MINUTES,
    CodePolicy,
    CodeTable,
    Failures,
    Limits,
    LimitsTable,
)
from otp_flow.senders._kinds import SenderSettings, SendersTable, under_key
from otp_flow.stores._urls import check_store_url
from otp_flow.tokens._settings import TokenSettings
from otp_flow.users._settings import UserSettings

__all__ = ["ApiSettings", "ConfigError", "Settings", "load_config"]


class ApiSettings(Table, frozen=True):
    """Knobs of the JSON dialects; each key is `create_api_app`'s keyword of the same name."""

    max_body_bytes: Annotated[int, within(defaults.MAX_BODY_BYTES_BOUNDS)] = defaults.MAX_BODY_BYTES
    "Largest request body; a bigger one gets 413."
    signature_window_seconds: Annotated[int, within(defaults.SIGNATURE_WINDOW_BOUNDS)] = (
        defaults.SIGNATURE_WINDOW_SECONDS
    )
    "How far a signed Yunpian request's `x-timestamp` may be from the server's clock."
    onlyid_language: Literal["zh", "en"] = defaults.ONLYID_LANGUAGE
    "Language of OnlyID error messages."
    onlyid_expire_minutes: Annotated[int, within(CALLER_EXPIRE_MINUTES)] = (
        defaults.ONLYID_EXPIRE_MINUTES
    )
    "OnlyID code lifetime when a request gives no `expireMin`."
    onlyid_max_fail_count: Failures = defaults.ONLYID_MAX_FAIL_COUNT
    "OnlyID failure limit when a request gives no `maxFailCount`."


def _table(cls: type[Table], name: str) -> Any:
    """A sub-table field: named as in the file, absent = every default."""
    return msgspec.field(default_factory=cls, name=name)


class Settings(Table, frozen=True):
    """The configuration file of `otp-flow serve` and the demo."""

    secret_keys: tuple[str, ...]
    """Keys that sign tokens and cookies and key the code digests, oldest first, newest last;
    each at least 16 bytes. New tokens use the newest key, every listed key still verifies: add a
    key at the end to rotate, remove the oldest once its tokens have expired."""
    store: str = defaults.STORE
    """Where codes, limits and (unless `[users]` says otherwise) users live: `"memory"` (one
    process) or a Redis URL: `redis://`, `rediss://`, `unix://`, or `redis+cluster://` /
    `rediss+cluster://` for Redis Cluster. Checked to parse at start."""
    timezone: str = defaults.TIMEZONE
    """IANA time zone of the calendar-day windows (`limits.app_per_day`,
    `limits.recipient_per_day`). Must be a known zone."""
    dev: bool = False
    """Development mode: allows the `outbox` sender (it keeps codes in clear) and serves
    `GET /dev/outbox` and `/dev/outbox.json`. Never in production."""
    allowed_regions: tuple[str, ...] = defaults.ALLOWED_REGIONS
    """ISO 3166 region codes whose mobile numbers are accepted; the first is assumed for numbers
    written without `+` (so `13612345678` reads as Chinese). Each must be a region
    `phonenumbers` knows; at least one."""
    blocked_email_domains: tuple[str, ...] = ()
    "Email domains refused (`invalid_email`); a listed domain also blocks its subdomains."
    code_table: CodeTable = _table(CodeTable, "defaults")
    limits_table: LimitsTable = _table(LimitsTable, "limits")
    client_tables: tuple[ClientTable, ...] = msgspec.field(default=(), name="clients")
    auth_sources: tuple[AuthSource, ...] = ()
    senders: SendersTable = _table(SendersTable, "senders")
    api: ApiSettings = _table(ApiSettings, "api")
    messages: MessageSettings = _table(MessageSettings, "messages")
    requesters: RequesterSettings = _table(RequesterSettings, "requesters")
    challenge: ChallengeSettings | None = None
    metrics: MetricsSettings = _table(MetricsSettings, "metrics")
    logging: LoggingSettings = _table(LoggingSettings, "logging")
    tokens: TokenSettings = _table(TokenSettings, "tokens")
    users: UserSettings = _table(UserSettings, "users")
    #: Top-level tables owned by someone else (e.g. ``pages``); not a key of the file.
    extra: Mapping[str, Mapping[str, Any]] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            normalise_keys(self.secret_keys)
        except ValueError as exc:
            raise ValueError(f"secret_keys: {exc}") from exc
        check_store_url(self.store)
        IdentifierParser(
            allowed_regions=self.allowed_regions, blocked_email_domains=self.blocked_email_domains
        )
        self.limits  # noqa: B018  (checks the time zone)
        _unique("clients", [c.id for c in self.client_tables], "client")
        _unique("auth_sources", [s.id for s in self.auth_sources], "auth source")
        for i, source in enumerate(self.auth_sources):
            if (source.ttl_seconds or 0) > self.code_table.token_ttl_seconds:
                raise ValueError(
                    f"auth_sources[{i}].ttl_seconds must not exceed defaults.token_ttl_seconds"
                )
        self.senders.check(self.dev)

    # What the file says, as the engine and the builders take it.
    @property
    def defaults(self) -> CodePolicy:
        return self.code_table.to(CodePolicy)

    @property
    def limits(self) -> Limits:
        return self.limits_table.to(Limits, timezone=self.timezone)

    @property
    def clients(self) -> tuple[Client, ...]:
        return tuple(table.to(Client) for table in self.client_tables)

    @property
    def sms_sender(self) -> SenderSettings:
        return self.senders.sender("sms")

    @property
    def email_sender(self) -> SenderSettings:
        return self.senders.sender("email")

    @property
    def delivery_timeout_seconds(self) -> float:
        return self.senders.delivery_timeout_seconds

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        """Validate a parsed TOML document. Raises ``ConfigError``."""
        known = {f.encode_name for f in msgspec.structs.fields(cls)} - {"extra"}
        extra = {k: v for k, v in data.items() if k not in known and isinstance(v, dict)}
        mine = {k: v for k, v in data.items() if k not in extra}
        try:
            settings = msgspec.convert(mine, cls)
        except msgspec.ValidationError as exc:
            raise ConfigError(_message(str(exc))) from None
        frozen = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in extra.items()})
        # Set on the checked object: replace() would run every table's checks (and build every
        # sender, template renderer and key set) a second time for a key nobody checks.
        msgspec.structs.force_setattr(settings, "extra", frozen)
        return settings

    @classmethod
    def development(cls) -> Settings:
        """No file: memory store, outbox senders, dev pages and one random client."""
        return cls.from_mapping(
            {
                "secret_keys": [secrets.token_urlsafe(32)],
                "dev": True,
                "clients": [{"id": f"dev-{secrets.token_hex(8)}", "secret": secrets.token_hex(16)}],
            }
        )


def load_config(path: str | Path) -> Settings:
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        data = msgspec.toml.decode(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return Settings.from_mapping(data)


# ----------------------------------------------------------------- checks across the file


def _unique(table: str, ids: list[str], what: str) -> None:
    for i, value in enumerate(ids):
        if value in ids[:i]:
            raise ValueError(f"{table}[{i}].id {value!r} is used by another {what}")


# ------------------------------------------------------------- msgspec's errors, in TOML terms

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_FIELD = re.compile(r"^Object (?P<what>missing required|contains unknown) field `(?P<key>[^`]+)`")


def _message(error: str) -> str:
    """``Expected `int` >= 0 - at `$.limits.app_per_day``` → ``limits.app_per_day must be ...``"""
    found = _AT.match(error)
    assert found is not None  # the pattern matches any text
    message, path = found["message"], (found["path"] or "").lstrip(".")
    if field := _FIELD.match(message):
        key = f"{path}.{field['key']}" if path else field["key"]
        return f"{key} is required" if field["what"] == "missing required" else f"unknown key {key}"
    from otp_flow.config.schema import node_at

    node = table_of(node_at(path))
    if message.startswith(("Expected `", "Invalid enum value")):
        return f"{path} must be {expected(node, path)}"
    return under_key(path, message, set(node.get("properties", {})))  # a __post_init__ ValueError
