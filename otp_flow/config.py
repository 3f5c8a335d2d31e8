"""The configuration file: TOML in, validated frozen ``Settings`` out, and builders from them.

Every problem is reported at start-up as a ``ConfigError`` naming the key, e.g.
``limits.app_per_day must be an integer >= 0``. Top-level tables this module does not know (for
example ``[pages]`` of the demo app) are kept in ``Settings.extra`` for their owners to read;
unknown keys anywhere else are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import functools
import inspect
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from otp_flow.clients import Client
from otp_flow.engine import OTPEngine
from otp_flow.identifiers import IdentifierParser
from otp_flow.messages import TemplateRenderer
from otp_flow.policy import CALLER_MAX_FAILURES, CALLER_TTL_SECONDS, CODE_LENGTH, CodePolicy, Limits
from otp_flow.senders import (
    ChannelRouter,
    ConsoleSender,
    HTTPSender,
    OutboxSender,
    SMTPSender,
    TencentSMSSender,
)
from otp_flow.senders.base import Sender
from otp_flow.signing import normalise_keys
from otp_flow.stores.base import OTPStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.types import CHANNELS, Channel, Clock, system_clock
from otp_flow.users import MemoryUserStore, RedisUserStore, UserStore

if TYPE_CHECKING:
    from otp_flow.users import RedisKeyspace

__all__ = [
    "ApiSettings",
    "AuthSource",
    "ConfigError",
    "MessageSettings",
    "Runtime",
    "SenderSettings",
    "Settings",
    "build_engine",
    "build_runtime",
    "build_senders",
    "build_store",
    "build_users",
    "load_config",
]

_SENDERS: dict[Channel, dict[str, type[Any]]] = {
    "sms": {
        "outbox": OutboxSender,
        "console": ConsoleSender,
        "http": HTTPSender,
        "tencent": TencentSMSSender,
    },
    "email": {"outbox": OutboxSender, "console": ConsoleSender, "smtp": SMTPSender},
}
# Constructor arguments the builders supply; everything else comes from the file, 1:1 by name.
_BUILDER_ARGS = frozenset({"store", "clock"})


class ConfigError(ValueError):
    """The configuration is invalid; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class AuthSource:
    """A CIAM auth source: the channel it sends by and the code it sends (None = defaults)."""

    id: str
    channel: Channel
    code_length: int | None = None
    ttl_seconds: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not 1 <= len(self.id) <= 128:
            raise ValueError("id must be a string of 1 to 128 characters")
        if self.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        for name, (low, high) in (
            ("code_length", CODE_LENGTH),
            ("ttl_seconds", CALLER_TTL_SECONDS),
        ):
            value = getattr(self, name)
            ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
            if not ok or (value is not None and not low <= value <= high):
                raise ValueError(f"{name} must be an integer between {low} and {high}")


@dataclass(frozen=True, slots=True)
class SenderSettings:
    """``type`` picks the sender class; ``options`` are its keyword arguments, as written."""

    type: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """The ``[api]`` table: knobs of the JSON dialects."""

    max_body_bytes: int = 64 * 1024
    signature_window_seconds: int = 300
    onlyid_language: str = "zh"
    #: The OnlyID seed's example answers with a 10-minute code and 10 allowed failures.
    onlyid_expire_minutes: int = 10
    onlyid_max_fail_count: int = 10


@dataclass(frozen=True, slots=True)
class MessageSettings:
    """The ``[messages]`` table: arguments of ``otp_flow.messages.TemplateRenderer``."""

    template_dirs: tuple[str, ...] = ()
    default_locale: str = "en"
    #: e.g. "example.com": SMS end with "@example.com #123456" for WebOTP autofill.
    origin_domain: str | None = None

    def renderer(self) -> TemplateRenderer:
        return _renderer(self)


@functools.lru_cache(maxsize=16)
def _renderer(settings: MessageSettings) -> TemplateRenderer:
    # Building one renders every template to check it (~0.1 s); equal settings share one.
    return TemplateRenderer(
        override_dirs=settings.template_dirs,
        default_locale=settings.default_locale,
        origin_domain=settings.origin_domain,
    )


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
    api: ApiSettings = field(default_factory=ApiSettings)
    messages: MessageSettings = field(default_factory=MessageSettings)
    #: Top-level tables owned by someone else (e.g. ``pages``), read-only and unvalidated here.
    extra: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        """Validate a parsed TOML document. Raises ``ConfigError``."""
        return _parse(_Table(dict(data), ""))

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


# ------------------------------------------------------------------------------------ parsing

_MISSING: Any = object()
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+cluster://", "rediss+cluster://", "unix://")


class _Table:
    """One TOML table being read; remembers the keys used so the rest can be reported."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must be a table")
        self.data: dict[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise ConfigError(f"{self.name(key)} is required")
        return default

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{self.name(key)} must be a non-empty string")
        return value

    def integer(self, key: str, default: Any = _MISSING, *, low: int = 0, high: int = 0) -> Any:
        value = self.get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{self.name(key)} must be an integer >= {low}")
        if high and value > high:
            raise ConfigError(f"{self.name(key)} must be an integer between {low} and {high}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.name(key)} must be true or false")
        return value

    def texts(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.get(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.name(key)} must be a list of strings")
        return tuple(value)

    def table(self, key: str) -> _Table:
        return _Table(self.get(key, {}), self.name(key))

    def tables(self, key: str) -> list[_Table]:
        value = self.get(key, [])
        if not isinstance(value, list):
            raise ConfigError(f"{self.name(key)} must be an array of tables ([[{key}]])")
        return [_Table(item, f"{self.name(key)}[{i}]") for i, item in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"unknown key {self.name(unknown[0])}")

    def wrap(self, exc: ValueError) -> ConfigError:
        """A constructor's message (usually starting with the argument name) under our path."""
        message = str(exc)
        first = message.split(" ", 1)[0]
        return ConfigError(
            f"{self.path}.{message}" if first in self.data else f"{self.path}: {message}"
        )


def _parse(top: _Table) -> Settings:
    keys = top.texts("secret_keys")
    try:
        normalise_keys(keys)
    except ValueError as exc:
        raise ConfigError(f"secret_keys: {exc}") from exc
    store = top.text("store", "memory")
    if store != "memory" and not store.startswith(_REDIS_SCHEMES):
        schemes = ", ".join(_REDIS_SCHEMES)
        raise ConfigError(f'store must be "memory" or a Redis URL ({schemes})')
    timezone = top.text("timezone", "Asia/Shanghai")
    dev = top.flag("dev", False)
    regions = top.texts("allowed_regions", ("CN",))
    blocked = top.texts("blocked_email_domains", ())
    try:
        IdentifierParser(allowed_regions=regions, blocked_email_domains=blocked)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    defaults = _policy(top.table("defaults"))
    parts: dict[str, Any] = {
        "limits": _limits(top.table("limits"), timezone),
        "clients": _clients(top.tables("clients")),
        "auth_sources": _auth_sources(top.tables("auth_sources"), defaults),
        "api": _api(top.table("api")),
        "messages": _messages(top.table("messages")),
        **_senders(top.table("senders"), dev),
    }
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


def _policy(t: _Table) -> CodePolicy:
    base = CodePolicy()
    values = {
        name: t.integer(name, getattr(base, name), low=1)
        for name in ("code_length", "ttl_seconds", "max_failures", "token_ttl_seconds")
    }
    t.done()
    try:
        return CodePolicy(**values)
    except ValueError as exc:
        raise t.wrap(exc) from exc


def _limits(t: _Table, timezone: str) -> Limits:
    base = Limits()
    names = (
        "app_per_day",
        "recipient_per_minute",
        "recipient_per_hour",
        "recipient_per_day",
        "resend_interval_seconds",
    )
    values = {name: t.integer(name, getattr(base, name)) for name in names}
    t.done()
    try:
        return Limits(**values, timezone=timezone)
    except ValueError as exc:
        if str(exc).startswith("timezone"):
            raise ConfigError(str(exc)) from exc
        raise t.wrap(exc) from exc


def _clients(tables: list[_Table]) -> tuple[Client, ...]:
    clients: dict[str, Client] = {}
    for t in tables:
        client_id, secret = t.text("id"), t.text("secret")
        quotas = {name: t.integer(name, None) for name in ("sms_quota", "email_quota")}
        t.done()
        try:
            client = Client(client_id, secret, **quotas)
        except ValueError as exc:
            raise ConfigError(f"{t.path}.id: {exc}") from exc
        if client.id in clients:
            raise ConfigError(f"{t.path}.id {client.id!r} is used by another client")
        clients[client.id] = client
    return tuple(clients.values())


def _auth_sources(tables: list[_Table], defaults: CodePolicy) -> tuple[AuthSource, ...]:
    sources: dict[str, AuthSource] = {}
    for t in tables:
        values = {
            "id": t.text("id"),
            "channel": t.text("channel"),
            "code_length": t.get("code_length", None),
            "ttl_seconds": t.get("ttl_seconds", None),
        }
        t.done()
        try:
            source = AuthSource(**values)
        except ValueError as exc:
            raise t.wrap(exc) from exc
        if source.id in sources:
            raise ConfigError(f"{t.path}.id {source.id!r} is used by another auth source")
        if (source.ttl_seconds or 0) > defaults.token_ttl_seconds:
            raise ConfigError(f"{t.path}.ttl_seconds must not exceed defaults.token_ttl_seconds")
        sources[source.id] = source
    return tuple(sources.values())


def _api(t: _Table) -> ApiSettings:
    base = ApiSettings()
    fails_low, fails_high = CALLER_MAX_FAILURES
    settings = ApiSettings(
        max_body_bytes=t.integer("max_body_bytes", base.max_body_bytes, low=1024, high=2**24),
        signature_window_seconds=t.integer(
            "signature_window_seconds", base.signature_window_seconds, low=1, high=3600
        ),
        onlyid_language=t.text("onlyid_language", base.onlyid_language),
        onlyid_expire_minutes=t.integer(
            "onlyid_expire_minutes", base.onlyid_expire_minutes, low=1, high=20
        ),
        onlyid_max_fail_count=t.integer(
            "onlyid_max_fail_count", base.onlyid_max_fail_count, low=fails_low, high=fails_high
        ),
    )
    t.done()
    if settings.onlyid_language not in ("zh", "en"):
        raise ConfigError('api.onlyid_language must be "zh" or "en"')
    return settings


def _messages(t: _Table) -> MessageSettings:
    settings = MessageSettings(
        template_dirs=t.texts("template_dirs", ()),
        default_locale=t.text("default_locale", "en"),
        origin_domain=t.text("origin_domain", None),
    )
    t.done()
    try:  # Renders every template once: a broken override fails here, not at the first send.
        settings.renderer()
    except ValueError as exc:
        raise t.wrap(exc) from exc
    return settings


def _senders(t: _Table, dev: bool) -> dict[str, SenderSettings]:
    found = {f"{channel}_sender": _sender(t, channel, dev) for channel in CHANNELS}
    t.done()
    return found


def _sender(parent: _Table, channel: Channel, dev: bool) -> SenderSettings:
    kinds = _SENDERS[channel]
    if channel not in parent.data:
        if dev:
            return SenderSettings("outbox")
        raise ConfigError(f"{parent.name(channel)} is required when dev = false")
    t = parent.table(channel)
    kind = t.text("type")
    if kind not in kinds:
        raise ConfigError(f"{t.name('type')} must be one of {' | '.join(kinds)}")
    params = {
        name: p
        for name, p in inspect.signature(kinds[kind]).parameters.items()
        if name not in _BUILDER_ARGS
    }
    options = {name: t.get(name, None) for name in params if name in t.data}
    t.done()  # first: a misspelt key is the likelier reason for a "missing" one
    for name, p in params.items():
        if p.default is inspect.Parameter.empty and name not in options:
            raise ConfigError(f"{t.name(name)} is required for type = {kind!r}")
    try:  # Construct once now, so a bad value fails at start-up rather than at the first send.
        _make_sender(kinds[kind], options, MemoryStore(), system_clock)
    except ValueError as exc:
        raise t.wrap(exc) from exc
    return SenderSettings(kind, MappingProxyType(options))


def _make_sender(cls: type[Any], options: Mapping[str, Any], store: OTPStore, clock: Clock) -> Any:
    accepted = inspect.signature(cls).parameters
    supplied = {"store": store, "clock": clock}
    return cls(**{k: v for k, v in supplied.items() if k in accepted}, **options)


# ----------------------------------------------------------------------------------- builders


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything built from one ``Settings``: share it between the API and the pages."""

    settings: Settings
    engine: OTPEngine
    store: OTPStore
    users: UserStore
    #: The outbox in use when a channel's sender is ``outbox`` (what /dev/outbox shows).
    outbox: OutboxSender | None

    async def aclose(self) -> None:
        await self.engine.aclose()


def build_store(settings: Settings) -> OTPStore:
    if settings.store == "memory":
        return MemoryStore()
    from otp_flow.stores.redis import RedisStore  # only deployments with Redis import redis code

    return RedisStore.from_url(settings.store)


def build_users(settings: Settings, store: OTPStore) -> UserStore:
    """Users live beside the codes: in memory, or in the same Redis under the same prefix."""
    if settings.store == "memory":
        return MemoryUserStore()
    from otp_flow.stores.redis import RedisStore

    if not isinstance(store, RedisStore):
        raise ValueError("a Redis user store needs the RedisStore built from the same settings")
    # RedisStore.redis may also be a cluster client; RedisUserStore only uses what both offer.
    return RedisUserStore(cast("RedisKeyspace", store))


def build_senders(
    settings: Settings, store: OTPStore, *, clock: Clock = system_clock
) -> tuple[ChannelRouter, OutboxSender | None]:
    """One router over both channels; both ``outbox`` channels share one outbox."""
    outbox: OutboxSender | None = None
    senders: dict[str, Sender] = {}
    configured: tuple[tuple[Channel, SenderSettings], ...] = (
        ("sms", settings.sms_sender),
        ("email", settings.email_sender),
    )
    for channel, config in configured:
        if config.type == "outbox":
            outbox = outbox or OutboxSender(store, clock=clock, **config.options)
            senders[channel] = outbox
        else:
            senders[channel] = _make_sender(
                _SENDERS[channel][config.type], config.options, store, clock
            )
    return ChannelRouter(sms=senders["sms"], email=senders["email"]), outbox


def build_engine(
    settings: Settings,
    *,
    store: OTPStore | None = None,
    sender: Sender | None = None,
    clock: Clock = system_clock,
) -> OTPEngine:
    store = store if store is not None else build_store(settings)
    if sender is None:
        sender, _outbox = build_senders(settings, store, clock=clock)
    return OTPEngine(
        secret_keys=settings.secret_keys,
        store=store,
        policy=settings.defaults,
        limits=settings.limits,
        identifiers=IdentifierParser(
            allowed_regions=settings.allowed_regions,
            blocked_email_domains=settings.blocked_email_domains,
        ),
        clients=settings.clients,
        sender=sender,
        renderer=settings.messages.renderer(),
        clock=clock,
    )


def build_runtime(settings: Settings, *, clock: Clock = system_clock) -> Runtime:
    store = build_store(settings)
    sender, outbox = build_senders(settings, store, clock=clock)
    engine = build_engine(settings, store=store, sender=sender, clock=clock)
    return Runtime(settings, engine, store, build_users(settings, store), outbox)
