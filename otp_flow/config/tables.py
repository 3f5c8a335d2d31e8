"""The tables below the top level of the configuration file, as msgspec Structs.

Each key's type, bounds, default (from ``otp_flow.defaults``) and description (the string below
it, as pydantic's ``use_attribute_docstrings``) are written once, here: msgspec checks them when
the file is decoded, ``otp_flow.config.schema`` makes the file's JSON Schema of them, and the
documentation's reference is generated from that. What a bound cannot say (a rule across keys, a
file that must exist, a constructor's own checks) is checked in ``__post_init__``, raising a
``ValueError`` whose message starts with the key it is about.
"""

from __future__ import annotations

import functools
import math
from ipaddress import ip_network
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from otp_flow import defaults
from otp_flow.challenges import Challenge, HCaptchaChallenge, RecaptchaChallenge, TurnstileChallenge
from otp_flow.clients import Client
from otp_flow.messages import TemplateRenderer
from otp_flow.metrics import HAVE_PROMETHEUS, MessagePrices
from otp_flow.policy import (
    CALLER_EXPIRE_MINUTES,
    CALLER_MAX_FAILURES,
    CALLER_TTL_SECONDS,
    CODE_LENGTH,
    REQUESTER_WINDOW_SECONDS,
    TOKEN_TTL_SECONDS,
    TTL_SECONDS,
    CodePolicy,
    Limits,
    RequesterLimits,
)
from otp_flow.types import Channel

__all__ = [
    "ApiSettings",
    "AuthSource",
    "ChallengeSettings",
    "ClientTable",
    "CodeTable",
    "LimitsTable",
    "LoggingSettings",
    "MessageSettings",
    "MetricsSettings",
    "RequesterSettings",
    "SendersTable",
    "Table",
    "TokenSettings",
    "UserSettings",
]


def _within(bounds: tuple[int, int]) -> Meta:
    return Meta(ge=bounds[0], le=bounds[1])


Count = Annotated[int, Meta(ge=0)]
Text = Annotated[str, Meta(min_length=1)]
Texts = tuple[str, ...]
Positive = Annotated[float, Meta(gt=0)]
Fraction = Annotated[float, Meta(gt=0, le=1)]
Price = Annotated[float, Meta(ge=0, lt=1e9)]
CodeLength = Annotated[int, _within(CODE_LENGTH)]
CallerTTL = Annotated[int, _within(CALLER_TTL_SECONDS)]
Failures = Annotated[int, _within(CALLER_MAX_FAILURES)]
TokenTTL = Annotated[int, _within(defaults.TOKEN_TTL_BOUNDS)]


class Table(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A table of the file: frozen, keyword-only, and an unknown key is an error."""


def _finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a number > 0")


class CodeTable(Table, frozen=True):
    """The code policy when no auth source applies (`otp_flow.CodePolicy`)."""

    code_length: CodeLength = defaults.CODE_LENGTH
    "Characters in a generated code."
    ttl_seconds: Annotated[int, _within(TTL_SECONDS)] = defaults.CODE_TTL_SECONDS
    "How long a code lives."
    max_failures: Failures = defaults.MAX_FAILURES
    "Wrong codes before the code is dead."
    token_ttl_seconds: Annotated[int, _within(TOKEN_TTL_SECONDS)] = defaults.TOKEN_TTL_SECONDS
    """How long an `otp_token` (and the pages' pending-challenge cookie) is valid; at least
    `ttl_seconds`."""

    def __post_init__(self) -> None:
        self.policy()

    def policy(self) -> CodePolicy:
        return CodePolicy(**msgspec.structs.asdict(self))


class LimitsTable(Table, frozen=True):
    """How often codes may be sent (`otp_flow.Limits`); `0` switches a limit off. See
    [Limits](limits.md)."""

    app_per_day: Count = defaults.APP_PER_DAY
    "Codes one client may send per calendar day (in `timezone`)."
    recipient_per_minute: Count = defaults.RECIPIENT_PER_MINUTE
    "Codes one client may send to one recipient per minute."
    recipient_per_hour: Count = defaults.RECIPIENT_PER_HOUR
    "Codes one client may send to one recipient per hour."
    recipient_per_day: Count = defaults.RECIPIENT_PER_DAY
    "Codes one client may send to one recipient per calendar day."
    resend_interval_seconds: Count = defaults.RESEND_INTERVAL_SECONDS
    "Minimum gap between two sends to one recipient."
    resend_backoff_max_seconds: Count = defaults.RESEND_BACKOFF_MAX_SECONDS
    """`0` keeps `resend_interval_seconds` fixed. Above `0` (and at least
    `resend_interval_seconds`), the gap doubles with each send to the recipient on the same
    calendar day (30 s, 60 s, 120 s ...) up to this many seconds."""

    def __post_init__(self) -> None:
        self.limits(defaults.TIMEZONE)

    def limits(self, timezone: str) -> Limits:
        return Limits(**msgspec.structs.asdict(self), timezone=timezone)


class ClientTable(Table, frozen=True):
    """API clients (tenants) of the three JSON dialects; the pages use their own client id
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
        try:
            self.client()
        except ValueError as exc:
            raise ValueError(f"id: {exc}") from exc

    def client(self) -> Client:
        return Client(self.id, self.secret, self.sms_quota, self.email_quota)


class AuthSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
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

    def __post_init__(self) -> None:  # a value built in Python is checked too (Meta is not)
        msgspec.convert(msgspec.structs.asdict(self), _AuthSourceCheck)


class _AuthSourceCheck(AuthSource, frozen=True):
    def __post_init__(self) -> None:
        pass


class ApiSettings(Table, frozen=True):
    """Knobs of the JSON dialects; each key is `create_api_app`'s keyword of the same name."""

    max_body_bytes: Annotated[int, _within(defaults.MAX_BODY_BYTES_BOUNDS)] = (
        defaults.MAX_BODY_BYTES
    )
    "Largest request body; a bigger one gets 413."
    signature_window_seconds: Annotated[int, _within(defaults.SIGNATURE_WINDOW_BOUNDS)] = (
        defaults.SIGNATURE_WINDOW_SECONDS
    )
    "How far a signed Yunpian request's `x-timestamp` may be from the server's clock."
    onlyid_language: Literal["zh", "en"] = defaults.ONLYID_LANGUAGE
    "Language of OnlyID error messages."
    onlyid_expire_minutes: Annotated[int, _within(CALLER_EXPIRE_MINUTES)] = (
        defaults.ONLYID_EXPIRE_MINUTES
    )
    "OnlyID code lifetime when a request gives no `expireMin`."
    onlyid_max_fail_count: Failures = defaults.ONLYID_MAX_FAIL_COUNT
    "OnlyID failure limit when a request gives no `maxFailCount`."


class MessageSettings(Table, frozen=True):
    """The SMS and email templates (`otp_flow.messages.TemplateRenderer`); every template is
    rendered once at start, so a broken override fails there."""

    template_dirs: Texts = ()
    """Folders searched before the packaged message templates (`messages/sms/...`,
    `messages/email/...`); each must exist."""
    default_locale: str = defaults.MESSAGE_LOCALE
    'Language of a message when the caller names none: `"en"` or `"zh-CN"`.'
    origin_domain: str | None = None
    """A bare host name such as `example.com`: every SMS then ends with `@example.com #123456`,
    so browsers can offer the code for autofill (WebOTP)."""

    def __post_init__(self) -> None:
        self.renderer()

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


class RequesterSettings(Table, frozen=True):
    """Who is asking on the pages and how much one requester may do (`otp_flow.RequesterLimits`);
    `0` switches a limit off. The JSON APIs, whose callers are authenticated clients, name no
    requester. See [Limits](limits.md#per-requester-limits)."""

    trusted_proxies: Texts = ()
    """Addresses or CIDR networks of the reverse proxies whose `X-Forwarded-For` / `Forwarded`
    headers are believed; from anyone else they are ignored. The demo passes it to
    `create_auth_app(trusted_proxies=)` (`otp-flow serve` has no pages)."""
    sends_per_window: Count = defaults.REQUESTER_SENDS_PER_WINDOW
    "Login, password-reset and contact-change codes one requester may have sent per window."
    signup_sends_per_window: Count = defaults.REQUESTER_SIGNUP_SENDS_PER_WINDOW
    "Signup codes one requester may have sent per window, a budget apart from `sends_per_window`."
    window_seconds: Annotated[int, _within(REQUESTER_WINDOW_SECONDS)] = (
        defaults.REQUESTER_WINDOW_SECONDS
    )
    """Length of a requester's window (at most a week); it starts at the requester's first send
    after the previous window ended."""
    sends_per_day: Count = defaults.REQUESTER_SENDS_PER_DAY
    "All codes one requester may have sent per calendar day (in `timezone`)."
    recipient_per_day: Count = defaults.REQUESTER_RECIPIENT_PER_DAY
    """Codes one requester may have sent to one recipient per calendar day (below
    `limits.recipient_per_day`, the ceiling of all requesters together)."""
    checks_per_window: Count = defaults.REQUESTER_CHECKS_PER_WINDOW
    "Codes one requester may check, right or wrong, any recipient, per window."

    def __post_init__(self) -> None:
        for proxy in self.trusted_proxies:  # as otp_flow.web.requester.ClientAddress reads them
            try:
                ip_network(proxy.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted_proxies: {exc}") from exc

    @property
    def limits(self) -> RequesterLimits:
        values = msgspec.structs.asdict(self)
        del values["trusted_proxies"]
        return RequesterLimits(**values)


class ChallengeSettings(Table, frozen=True):
    """A bot challenge (`otp_flow.challenges`); absent = none. The table is read and checked, and
    the challenge built, at start-up, but **the pages do not ask for a challenge yet**: a
    requester over its limits gets 429."""

    provider: Literal["turnstile", "hcaptcha", "recaptcha", "recaptcha_v3"]
    "The provider (`recaptcha` is reCAPTCHA v2)."
    site_key: Text
    "The provider's public site key (shown in the page)."
    secret_key: Text
    "The provider's secret key (sent to its siteverify only)."
    verify_url: str | None = None
    "An `http://` or `https://` siteverify URL; absent = the provider's public one."
    hostnames: Texts = ()
    "Hostnames a solved challenge must report; `[]` = any."
    timeout_seconds: Positive = defaults.CHALLENGE_TIMEOUT_SECONDS
    """Seconds for one siteverify call; a provider that does not answer in time fails closed
    (503)."""
    min_score: Fraction = defaults.CHALLENGE_MIN_SCORE
    "Least reCAPTCHA v3 score accepted (`recaptcha_v3` only)."
    after_sends_per_requester: Count = defaults.CHALLENGE_AFTER_SENDS_PER_REQUESTER
    """Meant for the pages: ask one requester for a challenge after this many code sends (not
    used yet)."""
    site_budget_threshold: Fraction = defaults.CHALLENGE_SITE_BUDGET_THRESHOLD
    """Meant for the pages: ask everyone once this share of `limits.app_per_day` is spent (not
    used yet)."""

    def __post_init__(self) -> None:
        _finite("timeout_seconds", self.timeout_seconds)
        self.build()  # built once now, so a bad value fails at start-up, not at the first post

    def __repr__(self) -> str:  # never the secret key
        return f"ChallengeSettings(provider={self.provider!r}, site_key={self.site_key!r})"

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
    sms_price_by_country_code: dict[str, Annotated[Price, Meta(description=_ONE_PRICE)]] = {}
    """SMS prices by destination: one key per country calling code (1 to 3 digits), written as a
    quoted string (`"86" = 0.006`); other destinations cost `sms_price`."""

    def __post_init__(self) -> None:
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


class LoggingSettings(Table, frozen=True):
    """The log output of `otp-flow serve`."""

    format: Literal["text", "json"] = defaults.LOG_FORMAT
    "`json`: one JSON object per line."
    level: str = defaults.LOG_LEVEL
    "Level of the `otp_flow` loggers: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`, any case."

    def __post_init__(self) -> None:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        if self.level.upper() not in levels:
            raise ValueError(f"level must be one of {' | '.join(levels)}")
        msgspec.structs.force_setattr(self, "level", self.level.upper())


class TokenSettings(Table, frozen=True):
    """CIAM's access, id and refresh tokens (`otp_flow.tokens`); see [CIAM](api/ciam.md) and
    [Operations](operations.md#token-signing-keys)."""

    signing_keys: Texts = ()
    """Paths of PEM private keys (EC P-256 or RSA of 2048 bits or more), oldest first: the
    newest signs, all are published at `/.well-known/jwks.json`. Loaded at start-up. `[]` = keys
    derived from `secret_keys`, with a warning: configure real keys in production."""
    issuer: Text | None = None
    "The `iss` of every token; absent = the service's own base URL per request."
    access_token_ttl_seconds: TokenTTL = defaults.ACCESS_TOKEN_TTL_SECONDS
    "Lifetime of an access token (at most a day, and at most `refresh_token_ttl_seconds`)."
    id_token_ttl_seconds: TokenTTL = defaults.ID_TOKEN_TTL_SECONDS
    "Lifetime of an id token (at most a day)."
    refresh_token_ttl_seconds: Annotated[int, _within(defaults.REFRESH_TOKEN_TTL_BOUNDS)] = (
        defaults.REFRESH_TOKEN_TTL_SECONDS
    )
    "Lifetime of a refresh-token family (at most 400 days)."

    def __post_init__(self) -> None:
        from otp_flow.tokens import SigningKeys, check_lifetimes

        check_lifetimes(**{k: v for k, v in msgspec.structs.asdict(self).items() if "ttl" in k})
        if self.signing_keys:
            try:  # Loaded now: a missing or wrong key file fails at start-up, not at a sign-in.
                SigningKeys.from_files(self.signing_keys)
            except (OSError, ValueError) as exc:
                raise ValueError(f"signing_keys: {exc}") from exc


_SQL_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class UserSettings(Table, frozen=True):
    """Where `otp-flow serve` and the demo keep users; absent: beside the codes (in memory, or
    in the `store`'s Redis)."""

    url: str | None = None
    """An SQLAlchemy URL, `sqlite+aiosqlite:///users.db` (`pip install 'otp-flow[sql]'`) or
    `postgresql+asyncpg://user:password@host/db` (`'otp-flow[postgres]'`): users live in
    otp_flow's `users` table there (`otp_flow.users.sql.SQLUserStore`), created at start-up."""

    def __post_init__(self) -> None:
        if self.url is not None and not self.url.startswith(_SQL_SCHEMES):
            raise ValueError(f"url must start with {' or '.join(_SQL_SCHEMES)}")
        if self.url is not None:
            try:
                from sqlalchemy.engine import make_url
            except ImportError as exc:
                raise ValueError("url needs SQLAlchemy: pip install 'otp-flow[sql]'") from exc
            try:
                make_url(self.url)
            except ValueError as exc:  # sqlalchemy's ArgumentError is one too
                raise ValueError(f"url is not a valid SQLAlchemy URL: {exc}") from exc


class SendersTable(Table, frozen=True):
    """How messages are delivered, one table per channel."""

    sms: dict[str, Any] | None = None
    "The SMS sender; required unless `dev = true` (then `outbox`)."
    email: dict[str, Any] | None = None
    "The email sender; required unless `dev = true` (then `outbox`)."
    delivery_timeout_seconds: Positive = defaults.DELIVERY_TIMEOUT_SECONDS
    """How long one delivery (an SMTP session, a gateway call) may take before the code is
    killed and the caller gets 503."""

    def __post_init__(self) -> None:
        _finite("delivery_timeout_seconds", self.delivery_timeout_seconds)
