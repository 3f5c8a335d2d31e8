"""One reader per table below the top level: ``Table`` in, a validated section value out.

Each reader calls ``Table.done()`` so an unknown key is an error rather than a silent default,
and rewraps the ``ValueError`` of the constructor it feeds as a ``ConfigError`` under the
table's path.
"""

from __future__ import annotations

import inspect
from ipaddress import ip_network
from types import MappingProxyType
from typing import Any

from otp_flow.clients import Client
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
from otp_flow.config.sender_kinds import BUILDER_ARGS, SENDER_KINDS, make_sender
from otp_flow.config.table import Table
from otp_flow.policy import CALLER_MAX_FAILURES, CodePolicy, Limits, RequesterLimits
from otp_flow.stores.memory import MemoryStore
from otp_flow.types import CHANNELS, Channel, system_clock

__all__ = [
    "read_api",
    "read_auth_sources",
    "read_clients",
    "read_limits",
    "read_messages",
    "read_policy",
    "read_requesters",
    "read_senders",
    "read_tokens",
]


def read_policy(t: Table) -> CodePolicy:
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


def read_limits(t: Table, timezone: str) -> Limits:
    base = Limits()
    names = (
        "app_per_day",
        "recipient_per_minute",
        "recipient_per_hour",
        "recipient_per_day",
        "resend_interval_seconds",
        "resend_backoff_max_seconds",
    )
    values = {name: t.integer(name, getattr(base, name)) for name in names}
    t.done()
    try:
        return Limits(**values, timezone=timezone)
    except ValueError as exc:
        if str(exc).startswith("timezone"):
            raise ConfigError(str(exc)) from exc
        raise t.wrap(exc) from exc


def read_requesters(t: Table) -> RequesterSettings:
    base = RequesterLimits()
    proxies = t.texts("trusted_proxies", ())
    names = (
        "sends_per_window",
        "signup_sends_per_window",
        "window_seconds",
        "sends_per_day",
        "recipient_per_day",
        "checks_per_window",
    )
    values = {name: t.integer(name, getattr(base, name)) for name in names}
    t.done()
    try:
        for proxy in proxies:  # as otp_flow.web.requester.ClientAddress reads them
            ip_network(proxy.strip(), strict=False)
        return RequesterSettings(trusted_proxies=proxies, limits=RequesterLimits(**values))
    except ValueError as exc:
        raise t.wrap(exc) from exc


def read_clients(tables: list[Table]) -> tuple[Client, ...]:
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


def read_auth_sources(tables: list[Table], defaults: CodePolicy) -> tuple[AuthSource, ...]:
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


def read_api(t: Table) -> ApiSettings:
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


def read_tokens(t: Table) -> TokenSettings:
    base = TokenSettings()
    settings = TokenSettings(
        signing_keys=t.texts("signing_keys", ()),
        issuer=t.text("issuer", None),
        **{
            name: t.integer(name, getattr(base, name), low=60)
            for name in (
                "access_token_ttl_seconds",
                "id_token_ttl_seconds",
                "refresh_token_ttl_seconds",
            )
        },
    )
    t.done()
    from otp_flow.tokens import SigningKeys, check_lifetimes

    try:
        check_lifetimes(
            access_token_ttl_seconds=settings.access_token_ttl_seconds,
            id_token_ttl_seconds=settings.id_token_ttl_seconds,
            refresh_token_ttl_seconds=settings.refresh_token_ttl_seconds,
        )
    except ValueError as exc:
        raise t.wrap(exc) from exc
    if settings.signing_keys:
        try:  # Loaded now: a missing or wrong key file fails at start-up, not at a sign-in.
            SigningKeys.from_files(settings.signing_keys)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{t.name('signing_keys')}: {exc}") from exc
    return settings


def read_messages(t: Table) -> MessageSettings:
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


def read_senders(t: Table, dev: bool) -> dict[str, Any]:
    """``{"sms_sender": ..., "email_sender": ..., "delivery_timeout_seconds": ...}``, keyed
    like the ``Settings`` fields."""
    found: dict[str, Any] = {f"{channel}_sender": _sender(t, channel, dev) for channel in CHANNELS}
    found["delivery_timeout_seconds"] = t.positive_number(
        "delivery_timeout_seconds", DELIVERY_TIMEOUT_SECONDS
    )
    t.done()
    return found


def _sender(parent: Table, channel: Channel, dev: bool) -> SenderSettings:
    kinds = SENDER_KINDS[channel]
    if channel not in parent.data:
        if dev:
            return SenderSettings("outbox")
        raise ConfigError(f"{parent.name(channel)} is required when dev = false")
    t = parent.table(channel)
    kind = t.text("type")
    if kind not in kinds:
        raise ConfigError(f"{t.name('type')} must be one of {' | '.join(kinds)}")
    if kind == "outbox" and not dev:
        # The outbox keeps every message, code included, in plaintext in the store.
        raise ConfigError(f'{t.name("type")} = "outbox" needs dev = true (it keeps codes in clear)')
    params = {
        name: p
        for name, p in inspect.signature(kinds[kind]).parameters.items()
        if name not in BUILDER_ARGS
    }
    options = {name: t.get(name, None) for name in params if name in t.data}
    t.done()  # first: a misspelt key is the likelier reason for a "missing" one
    for name, p in params.items():
        if p.default is inspect.Parameter.empty and name not in options:
            raise ConfigError(f"{t.name(name)} is required for type = {kind!r}")
    try:  # Construct once now, so a bad value fails at start-up rather than at the first send.
        make_sender(kinds[kind], options, MemoryStore(), system_clock)
    except ValueError as exc:
        raise t.wrap(exc) from exc
    return SenderSettings(kind, MappingProxyType(options))
