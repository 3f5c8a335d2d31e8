"""Prometheus metrics of sends, refusals, verifies, delivery time and estimated spend.

    metrics = Metrics(prices=MessagePrices(sms=0.05, currency="USD"))
    engine = OTPEngine(secret_keys=[...], observers=[EventLog(), metrics])
    app.mount("/metrics", MetricsEndpoint(metrics, bearer_token="..."))  # otp_flow.web._metrics

Each ``Metrics`` has its own ``CollectorRegistry`` (never the global one), so several apps or
tests in one process do not collide. Needs the ``metrics`` extra (``prometheus-client``).

=========================================  ===================================================
``otp_flow_sends_total``                   channel, country_code, usage, outcome (sent, silent,
                                           issued, refused, failed, unavailable)
``otp_flow_refusals_total``                channel, limit (the refusing limit, or ``quota``)
``otp_flow_verifies_total``                channel, usage, outcome (verified, wrong, expired,
                                           exceeded, no_challenge, invalid_token,
                                           too_many_checks, unavailable, other)
``otp_flow_delivery_seconds``              histogram; channel, outcome (sent, failed): the whole
                                           send, one store call plus the sender
``otp_flow_estimated_spend_total``         channel, country_code, currency: the configured price
                                           of each ``sent`` message (not failed or silent ones)
=========================================  ===================================================

``country_code`` is the phone's country calling code ("86"), ``none`` for email.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated

import msgspec
from msgspec import Meta

from otp_flow import defaults
from otp_flow._checks import check_text
from otp_flow._tables import Price, Table, Text
from otp_flow.observers import Event, SendEvent, calling_code
from otp_flow.types import Channel

try:
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST
except ImportError:  # the metrics extra is not installed; MessagePrices still works
    HAVE_PROMETHEUS = False
else:
    HAVE_PROMETHEUS = True

__all__ = ["HAVE_PROMETHEUS", "MessagePrices", "Metrics", "MetricsSettings"]

#: Seconds; an SMS gateway or SMTP session usually answers in 0.1-2 s, the engine gives up at
#: its delivery timeout (10 s by default).
_DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0)


def _price(name: str, value: object) -> float:
    match value:
        case bool():  # an int to Python, never a price
            pass
        case int() | float() if 0 <= value < math.inf:  # NaN fails every comparison
            return float(value)
    raise ValueError(f"{name} must be a number >= 0")


@dataclass(frozen=True, slots=True)
class MessagePrices:
    """What one delivered message costs, for the spend estimate.

    ``sms_by_country_code``: calling code ("86") → price, for the destinations priced apart
    from ``sms``. One message is one price: a long SMS billed as several parts is undercounted.
    """

    sms: float = 0.0
    email: float = 0.0
    sms_by_country_code: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    currency: str = defaults.CURRENCY

    def __post_init__(self) -> None:
        _price("sms", self.sms)
        _price("email", self.email)
        for code, value in self.sms_by_country_code.items():
            if not isinstance(code, str) or not code.isdigit() or not 1 <= len(code) <= 3:
                raise ValueError(f"sms_by_country_code key {code!r} must be 1 to 3 digits")
            _price(f"sms_by_country_code.{code}", value)
        check_text("currency", self.currency)

    def of(self, channel: Channel, country_code: str) -> float:
        if channel == "email":
            return self.email
        return self.sms_by_country_code.get(country_code, self.sms)


_ONE_PRICE = 'The price of one SMS delivered to a number with that calling code (`"86"`).'


class MetricsSettings(Table, frozen=True):
    """Prometheus metrics (`otp_flow.metrics`); see [Operations](operations.md#metrics)."""

    enabled: bool = False
    """`otp-flow serve` mounts `GET /metrics`; needs the `metrics` extra
    (`pip install 'otp-flow[metrics]'`), else the file is refused."""
    bearer_token: Annotated[str, Meta(min_length=16)] | None = None
    "Scrapes must send `Authorization: Bearer <token>` (else 401); absent = no token asked."
    currency: Text = defaults.CURRENCY
    "The `currency` label of the spend estimate."
    sms_price: Price = 0.0
    "Price of one delivered SMS, for `otp_flow_estimated_spend_total`."
    email_price: Price = 0.0
    "Price of one delivered email."
    sms_price_by_country_code: dict[str, Annotated[Price, Meta(description=_ONE_PRICE)]] = (
        msgspec.field(default_factory=dict)
    )
    """SMS prices by destination: one key per country calling code (1 to 3 digits), written as a
    quoted string (`"86" = 0.006`); other destinations cost `sms_price`."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.prices  # noqa: B018  (checks the calling codes)
        if self.enabled and not HAVE_PROMETHEUS:
            raise ValueError("enabled needs prometheus-client: pip install 'otp-flow[metrics]'")

    @property
    def prices(self) -> MessagePrices:
        return MessagePrices(
            sms=self.sms_price,
            email=self.email_price,
            sms_by_country_code=self.sms_price_by_country_code,
            currency=self.currency,
        )


class Metrics:
    """The observer that counts events (see the module docstring for the figures)."""

    def __init__(
        self,
        *,
        prices: MessagePrices | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        if not HAVE_PROMETHEUS:
            raise ImportError("Metrics needs prometheus-client: pip install 'otp-flow[metrics]'")
        self.prices = prices or MessagePrices()
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.sends = Counter(
            "otp_flow_sends",
            "Code sends by channel, country calling code, usage and outcome.",
            ["channel", "country_code", "usage", "outcome"],
            registry=r,
        )
        self.refusals = Counter(
            "otp_flow_refusals",
            "Sends refused, by the limit that refused them.",
            ["channel", "limit"],
            registry=r,
        )
        self.verifies = Counter(
            "otp_flow_verifies",
            "Code checks by channel, usage and outcome.",
            ["channel", "usage", "outcome"],
            registry=r,
        )
        self.delivery = Histogram(
            "otp_flow_delivery_seconds",
            "Time of a send that delivered (or failed to deliver) a message.",
            ["channel", "outcome"],
            buckets=_DELIVERY_BUCKETS,
            registry=r,
        )
        self.spend = Counter(
            "otp_flow_estimated_spend",
            "Estimated cost of the messages delivered, from the configured prices.",
            ["channel", "country_code", "currency"],
            registry=r,
        )

    def __call__(self, event: Event) -> None:
        if isinstance(event, SendEvent):
            self._send(event)
            return
        self.verifies.labels(event.channel or "none", event.usage or "none", event.outcome).inc()

    def _send(self, event: SendEvent) -> None:
        country = calling_code(event.recipient)
        self.sends.labels(event.channel, country, event.usage, event.outcome).inc()
        if event.outcome == "refused":
            self.refusals.labels(event.channel, event.limit or "unknown").inc()
        if event.seconds is not None:
            self.delivery.labels(event.channel, event.outcome).observe(event.seconds)
        if event.outcome == "sent":
            price = self.prices.of(event.channel, country)
            self.spend.labels(event.channel, country, self.prices.currency).inc(price)

    def exposition(self) -> tuple[bytes, str]:
        """The registry in the Prometheus text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def __repr__(self) -> str:
        return f"Metrics(prices={self.prices!r})"
