"""The tables for running in the open: ``[challenge]``, ``[metrics]`` and ``[logging]``.

[challenge]                       # absent: no challenge; the limits refuse with 429
provider = "turnstile"            # turnstile | hcaptcha | recaptcha | recaptcha_v3
site_key = "0x4AAAAAAA..."
secret_key = "0x4AAAAAAA..."
verify_url = "https://..."        # default: the provider's siteverify
hostnames = ["example.com"]       # default: any hostname the provider reports
timeout_seconds = 5
min_score = 0.5                   # recaptcha_v3 only
after_sends_per_requester = 3     # ask one requester after this many sends
site_budget_threshold = 0.8       # ask everyone once this share of app_per_day is spent

[metrics]
enabled = true                    # otp-flow serve mounts /metrics (needs prometheus-client)
bearer_token = "..."              # at least 16 characters; default: no token asked
currency = "USD"
sms_price = 0.05                  # per delivered SMS
email_price = 0.0
[metrics.sms_price_by_country_code]
"86" = 0.006

[logging]
format = "json"                   # text (default) | json: one JSON object per line
level = "INFO"                    # of the otp_flow loggers (events are INFO)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otp_flow.challenges import (
    ASK_AFTER_SENDS,
    ASK_SITE_SHARE,
    Challenge,
    HCaptchaChallenge,
    RecaptchaChallenge,
    TurnstileChallenge,
)
from otp_flow.config.sections import ConfigError
from otp_flow.config.table import Table
from otp_flow.events import LogFormat
from otp_flow.metrics import HAVE_PROMETHEUS, MessagePrices

__all__ = [
    "CHALLENGE_PROVIDERS",
    "ChallengeSettings",
    "LoggingSettings",
    "MetricsSettings",
    "read_challenge",
    "read_logging",
    "read_metrics",
]

CHALLENGE_PROVIDERS = ("turnstile", "hcaptcha", "recaptcha", "recaptcha_v3")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class ChallengeSettings:
    """The ``[challenge]`` table; ``build()`` makes the configured ``Challenge``."""

    provider: str
    site_key: str
    secret_key: str = field(repr=False)
    verify_url: str | None = None
    hostnames: tuple[str, ...] = ()
    timeout_seconds: float = 5.0
    min_score: float = 0.5
    #: The pages ask a requester for a challenge after this many code sends.
    after_sends_per_requester: int = ASK_AFTER_SENDS
    #: ... and everyone, once this share of the site's day budget (``app_per_day``) is spent.
    site_budget_threshold: float = ASK_SITE_SHARE

    def build(self) -> Challenge:
        common: dict[str, Any] = {
            "site_key": self.site_key,
            "secret_key": self.secret_key,
            "verify_url": self.verify_url,
            "hostnames": self.hostnames,
            "timeout": self.timeout_seconds,
        }
        if self.provider == "turnstile":
            return TurnstileChallenge(**common)
        if self.provider == "hcaptcha":
            return HCaptchaChallenge(**common)
        if self.provider == "recaptcha_v3":
            return RecaptchaChallenge(**common, version=3, min_score=self.min_score)
        return RecaptchaChallenge(**common, version=2)


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    enabled: bool = False
    bearer_token: str | None = field(default=None, repr=False)
    prices: MessagePrices = field(default_factory=MessagePrices)


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    format: LogFormat = "text"
    level: str = "INFO"


def _fraction(t: Table, key: str, default: float) -> float:
    value = t.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(f"{t.name(key)} must be a number above 0 and at most 1")
    return float(value)


def _price(t: Table, key: str, default: float) -> float:
    value = t.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        raise ConfigError(f"{t.name(key)} must be a number >= 0")
    return float(value)


def read_challenge(t: Table) -> ChallengeSettings | None:
    if not t.data:
        return None
    provider = t.text("provider")
    if provider not in CHALLENGE_PROVIDERS:
        raise ConfigError(f"{t.name('provider')} must be one of {' | '.join(CHALLENGE_PROVIDERS)}")
    base = ChallengeSettings(provider, "-", "-")
    settings = ChallengeSettings(
        provider=provider,
        site_key=t.text("site_key"),
        secret_key=t.text("secret_key"),
        verify_url=t.text("verify_url", None),
        hostnames=t.texts("hostnames", ()),
        timeout_seconds=t.positive_number("timeout_seconds", base.timeout_seconds),
        min_score=_fraction(t, "min_score", base.min_score),
        after_sends_per_requester=t.integer(
            "after_sends_per_requester", base.after_sends_per_requester
        ),
        site_budget_threshold=_fraction(t, "site_budget_threshold", base.site_budget_threshold),
    )
    t.done()
    try:  # Built once now, so a bad value fails at start-up rather than at the first post.
        settings.build()
    except ValueError as exc:
        raise t.wrap(exc) from exc
    return settings


def read_metrics(t: Table) -> MetricsSettings:
    enabled = t.flag("enabled", False)
    token = t.text("bearer_token", None)
    if token is not None and len(token) < 16:
        raise ConfigError(f"{t.name('bearer_token')} must be at least 16 characters")
    base = MessagePrices()
    by_country = t.table("sms_price_by_country_code")
    by_country.used.update(by_country.data)
    sms, email = _price(t, "sms_price", base.sms), _price(t, "email_price", base.email)
    try:
        prices = MessagePrices(
            sms=sms,
            email=email,
            sms_by_country_code=dict(by_country.data),
            currency=t.text("currency", base.currency),
        )
    except ValueError as exc:
        raise ConfigError(f"{by_country.path}: {exc}") from exc
    t.done()
    if enabled and not HAVE_PROMETHEUS:
        raise ConfigError(
            f"{t.name('enabled')} needs prometheus-client: pip install 'otp-flow[metrics]'"
        )
    return MetricsSettings(enabled=enabled, bearer_token=token, prices=prices)


def read_logging(t: Table) -> LoggingSettings:
    log_format = t.text("format", "text")
    if log_format not in ("text", "json"):
        raise ConfigError(f'{t.name("format")} must be "text" or "json"')
    level = t.text("level", "INFO").upper()
    if level not in _LEVELS:
        raise ConfigError(f"{t.name('level')} must be one of {' | '.join(_LEVELS)}")
    t.done()
    return LoggingSettings(format=log_format, level=level)
