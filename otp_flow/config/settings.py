"""``Settings``, the whole file as one frozen value, and ``load_config`` to read it from disk."""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from otp_flow.clients import Client
from otp_flow.config.operations import (
    ChallengeSettings,
    LoggingSettings,
    MetricsSettings,
    read_challenge,
    read_logging,
    read_metrics,
)
from otp_flow.config.reading import (
    read_api,
    read_auth_sources,
    read_clients,
    read_limits,
    read_messages,
    read_policy,
    read_requesters,
    read_senders,
    read_tokens,
)
from otp_flow.config.sections import (
    DELIVERY_TIMEOUT_SECONDS,
    ApiSettings,
    AuthSource,
    ConfigError,
    MessageSettings,
    RequesterSettings,
    SenderSettings,
    TokenSettings,
)
from otp_flow.config.table import Table
from otp_flow.identifiers import IdentifierParser
from otp_flow.policy import CodePolicy, Limits
from otp_flow.signing import normalise_keys

__all__ = ["Settings", "load_config"]

_REDIS_SCHEMES = ("redis://", "rediss://", "redis+cluster://", "rediss+cluster://", "unix://")


@dataclass(frozen=True, slots=True)
class Settings:
    secret_keys: tuple[str, ...]
    store: str = "memory"
    timezone: str = "Asia/Shanghai"
    dev: bool = False
    allowed_regions: tuple[str, ...] = ("CN",)
    blocked_email_domains: tuple[str, ...] = ()
    defaults: CodePolicy = field(default_factory=CodePolicy)
    limits: Limits = field(default_factory=Limits)
    clients: tuple[Client, ...] = ()
    auth_sources: tuple[AuthSource, ...] = ()
    sms_sender: SenderSettings = field(default_factory=lambda: SenderSettings("outbox"))
    email_sender: SenderSettings = field(default_factory=lambda: SenderSettings("outbox"))
    #: How long one delivery (an SMTP session, a gateway call) may take before the code is
    #: killed and the caller gets a 503; the ``OTPEngine`` default.
    delivery_timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS
    api: ApiSettings = field(default_factory=ApiSettings)
    messages: MessageSettings = field(default_factory=MessageSettings)
    #: ``[requesters]``: who is asking on the pages (trusted proxies) and per-requester limits.
    requesters: RequesterSettings = field(default_factory=RequesterSettings)
    #: ``[challenge]``, ``[metrics]``, ``[logging]``: see ``otp_flow.config.operations``.
    challenge: ChallengeSettings | None = None
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    #: Top-level tables owned by someone else (e.g. ``pages``), read-only and unvalidated here.
    extra: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        """Validate a parsed TOML document. Raises ``ConfigError``."""
        return _parse(Table(dict(data), ""))

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
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return Settings.from_mapping(data)


def _store(url: str) -> str:
    """``store``, checked now: a Redis URL that does not parse would fail at the first request."""
    if url == "memory":
        return url
    if not url.startswith(_REDIS_SCHEMES):
        schemes = ", ".join(_REDIS_SCHEMES)
        raise ConfigError(f'store must be "memory" or a Redis URL ({schemes})')
    from redis.asyncio.connection import parse_url  # only Redis deployments import redis code

    scheme, sep, rest = url.partition("://")
    try:  # A cluster URL is a plain one to the parser (as in RedisStore.from_url).
        parse_url(scheme.removesuffix("+cluster") + sep + rest)
    except ValueError as exc:
        raise ConfigError(f"store is not a valid Redis URL: {exc}") from exc
    return url


def _parse(top: Table) -> Settings:
    keys = top.texts("secret_keys")
    try:
        normalise_keys(keys)
    except ValueError as exc:
        raise ConfigError(f"secret_keys: {exc}") from exc
    store = _store(top.text("store", "memory"))
    timezone = top.text("timezone", "Asia/Shanghai")
    dev = top.flag("dev", False)
    regions = top.texts("allowed_regions", ("CN",))
    blocked = top.texts("blocked_email_domains", ())
    try:
        IdentifierParser(allowed_regions=regions, blocked_email_domains=blocked)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    defaults = read_policy(top.table("defaults"))
    parts: dict[str, Any] = {
        "limits": read_limits(top.table("limits"), timezone),
        "clients": read_clients(top.tables("clients")),
        "auth_sources": read_auth_sources(top.tables("auth_sources"), defaults),
        "api": read_api(top.table("api")),
        "messages": read_messages(top.table("messages")),
        "requesters": read_requesters(top.table("requesters")),
        "challenge": read_challenge(top.table("challenge")),
        "metrics": read_metrics(top.table("metrics")),
        "logging": read_logging(top.table("logging")),
        "tokens": read_tokens(top.table("tokens")),
        **read_senders(top.table("senders"), dev),
    }
    # Tables nobody here knows (e.g. ``[pages]``) belong to their owners: keep them, unchecked.
    extra = {k: v for k, v in top.data.items() if k not in top.used and isinstance(v, dict)}
    top.used.update(extra)
    top.done()
    return Settings(
        secret_keys=keys,
        store=store,
        timezone=timezone,
        dev=dev,
        allowed_regions=regions,
        blocked_email_domains=blocked,
        defaults=defaults,
        extra=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in extra.items()}),
        **parts,
    )
