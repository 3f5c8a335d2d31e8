"""The running service built from a ``Settings``: store, users, senders, engine and tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from otp_flow.config import Settings
from otp_flow.engine import OTPEngine
from otp_flow.events import EventLog
from otp_flow.identifiers import IdentifierParser
from otp_flow.metrics import Metrics
from otp_flow.observers import Observer
from otp_flow.senders import ChannelRouter, OutboxSender
from otp_flow.senders._base import Sender
from otp_flow.senders._kinds import SENDER_KINDS, SenderSettings, make_sender
from otp_flow.stores.base import OTPStore, OutboxStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.tokens import SigningKeys, TokenService, token_store_beside
from otp_flow.types import Channel, Clock, system_clock
from otp_flow.users import MemoryUserStore, RedisUserStore, UserStore

if TYPE_CHECKING:
    from otp_flow.users.sql import SQLUserStore

__all__ = [
    "Runtime",
    "build_engine",
    "build_runtime",
    "build_senders",
    "build_store",
    "build_tokens",
    "build_users",
]


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything built from one ``Settings``: share it between the API and the pages."""

    settings: Settings
    engine: OTPEngine
    store: OTPStore
    users: UserStore
    #: The outbox in use when a channel's sender is ``outbox`` (what /dev/outbox shows).
    outbox: OutboxSender | None
    #: The engine's metrics when ``[metrics] enabled = true`` (what /metrics shows).
    metrics: Metrics | None = None

    async def open(self) -> None:
        """Start-up work: create the SQL users table unless it exists (``[users] url``)."""
        if self.settings.users.url is not None:
            await cast("SQLUserStore", self.users).create_table()

    async def aclose(self) -> None:
        await self.engine.aclose()
        if self.settings.users.url is not None:
            await cast("SQLUserStore", self.users).aclose()  # its engine, made by build_users


def build_store(settings: Settings) -> OTPStore:
    if settings.store == "memory":
        return MemoryStore()
    from otp_flow.stores.redis import RedisStore  # only deployments with Redis import redis code

    return RedisStore.from_url(settings.store)


def build_users(settings: Settings, store: OTPStore) -> UserStore:
    """Users in the SQL database of ``[users] url``, else beside the codes: in memory, or in
    the same Redis under the same prefix."""
    if settings.users.url is not None:
        from otp_flow.users.sql import SQLUserStore  # only SQL deployments import SQLAlchemy

        return SQLUserStore.from_url(settings.users.url)
    if settings.store == "memory":
        return MemoryUserStore()
    from otp_flow.stores.redis import RedisStore

    if not isinstance(store, RedisStore):
        raise ValueError("a Redis user store needs the RedisStore built from the same settings")
    # RedisStore.redis may also be a cluster client; RedisUserStore only uses what both offer.
    return RedisUserStore(store)


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
            if not isinstance(store, OutboxStore):
                raise ValueError("the outbox sender needs a store that implements OutboxStore")
            outbox = outbox or OutboxSender(store, clock=clock, **config.options)
            senders[channel] = outbox
        else:
            senders[channel] = make_sender(
                SENDER_KINDS[channel][config.type], config.options, store, clock
            )
    return ChannelRouter(sms=senders["sms"], email=senders["email"]), outbox


def build_engine(
    settings: Settings,
    *,
    store: OTPStore | None = None,
    sender: Sender | None = None,
    clock: Clock = system_clock,
    observers: Sequence[Observer] | None = None,
) -> OTPEngine:
    """``observers``: default the event log only (``build_runtime`` adds the metrics)."""
    store = store if store is not None else build_store(settings)
    if sender is None:
        sender, _outbox = build_senders(settings, store, clock=clock)
    return OTPEngine(
        secret_keys=settings.secret_keys,
        store=store,
        policy=settings.defaults,
        limits=settings.limits,
        requester_limits=settings.requesters.limits,
        identifiers=IdentifierParser(
            allowed_regions=settings.allowed_regions,
            blocked_email_domains=settings.blocked_email_domains,
        ),
        clients=settings.clients,
        sender=sender,
        renderer=settings.messages.renderer(),
        delivery_timeout=settings.delivery_timeout_seconds,
        clock=clock,
        observers=observers,
    )


def build_runtime(settings: Settings, *, clock: Clock = system_clock) -> Runtime:
    store = build_store(settings)
    sender, outbox = build_senders(settings, store, clock=clock)
    metrics = Metrics(prices=settings.metrics.prices) if settings.metrics.enabled else None
    observers: list[Observer] = [EventLog(), *([metrics] if metrics else [])]
    engine = build_engine(settings, store=store, sender=sender, clock=clock, observers=observers)
    return Runtime(settings, engine, store, build_users(settings, store), outbox, metrics)


def build_tokens(
    settings: Settings, store: OTPStore, *, clock: Clock = system_clock
) -> TokenService:
    """CIAM's tokens: the configured signing keys (else keys derived from ``secret_keys``: every
    worker and restart agrees without a key file, loudly logged), families beside the codes."""
    config = settings.tokens
    keys = (
        SigningKeys.from_files(config.signing_keys)
        if config.signing_keys
        else SigningKeys.derived(settings.secret_keys)
    )
    return TokenService(
        keys=keys,
        store=token_store_beside(store),
        issuer=config.issuer,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        id_token_ttl_seconds=config.id_token_ttl_seconds,
        refresh_token_ttl_seconds=config.refresh_token_ttl_seconds,
        clock=clock,
    )
