"""MkDocs hook: the configuration reference and the limits table, generated from the code.

Every key the TOML reader accepts is found by reading a probe document through the reader itself
(``otp_flow.config.settings``) with a ``Table`` subclass that records each key it is asked for,
its getter (the type check and bounds) and its default. ``Table.done()`` refuses any key that
was not asked for, so the recorded keys are exactly the accepted ones. The one part read
conditionally, a sender's options, is taken from the sender classes' signatures by the same
rule the reader uses (``otp_flow.config.sender_kinds``).

Only the descriptions are written here, by hand: a key the reader accepts without a description
in ``DESCRIPTIONS`` (or ``SENDER_OPTIONS``) fails the build, so a new key cannot ship undocumented.
The pages put ``<!-- generated: configuration -->`` and ``<!-- generated: limits -->`` where the
tables go.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mkdocs.exceptions import PluginError

from otp_flow.config import ApiSettings
from otp_flow.config.sender_kinds import BUILDER_ARGS, SENDER_KINDS
from otp_flow.config.settings import _parse
from otp_flow.config.table import _MISSING, Table
from otp_flow.engine import OTPEngine
from otp_flow.policy import (
    CALLER_MAX_FAILURES,
    CALLER_TTL_SECONDS,
    CODE_LENGTH,
    CodePolicy,
    Limits,
    RequesterLimits,
)
from otp_flow.web import create_auth_app

__all__ = [
    "MAP_KEYS",
    "Key",
    "accepted_keys",
    "configuration_reference",
    "generic_path",
    "limits_table",
]

CONFIG_MARKER = "<!-- generated: configuration -->"
LIMITS_MARKER = "<!-- generated: limits -->"

# A document that takes every path through the reader: every table present, one of each array.
PROBE: dict[str, Any] = {
    "secret_keys": ["probe-secret-key-0123456789abcdef"],
    "dev": True,
    "clients": [{"id": "probe", "secret": "probe"}],
    "auth_sources": [{"id": "probe", "channel": "sms"}],
    "senders": {"sms": {"type": "outbox"}, "email": {"type": "outbox"}},
    # Read only when present: a provider with its two required keys takes the path through it.
    "challenge": {"provider": "recaptcha_v3", "site_key": "probe", "secret_key": "probe"},
    # A map table's keys are the operator's: one entry shows the reader accepting it unasked.
    "metrics": {"sms_price_by_country_code": {"86": 0.006}},
}

#: Tables whose keys the operator chooses (a map): how the reference names any one key, and
#: what the reader checks of each value. A map table missing here fails the build.
MAP_KEYS: dict[str, tuple[str, str]] = {
    "metrics.sms_price_by_country_code": ("<calling code>", "number ≥ 0"),
}

#: Checks the reader makes beyond what its ``Table`` getter says: its own helpers call ``get``,
#: or a constructor narrows the range further.
CHECKS: dict[str, str] = {
    "requesters.window_seconds": "integer, 1 to 604800",
    "tokens.access_token_ttl_seconds": "integer, 60 to 86400",
    "tokens.id_token_ttl_seconds": "integer, 60 to 86400",
    "tokens.refresh_token_ttl_seconds": "integer, 60 to 34560000",
    "metrics.sms_price": "number ≥ 0",
    "metrics.email_price": "number ≥ 0",
    "challenge.min_score": "number > 0, at most 1",
    "challenge.site_budget_threshold": "number > 0, at most 1",
}

_CL, _TTL, _MF = CODE_LENGTH, CALLER_TTL_SECONDS, CALLER_MAX_FAILURES

#: One sentence or two per key, by path (``[]`` stands for any element of an array of tables).
DESCRIPTIONS: dict[str, str] = {
    "secret_keys": "Keys that sign tokens and cookies and key the code digests, oldest first, "
    "newest last; each at least 16 bytes. New tokens use the newest key, every listed key still "
    "verifies: add a key at the end to rotate, remove the oldest once its tokens have expired.",
    "store": 'Where codes, limits and (for the service and the demo) users live: `"memory"` '
    "(one process) or a Redis URL: `redis://`, `rediss://`, `unix://`, or "
    "`redis+cluster://` / `rediss+cluster://` for Redis Cluster. Checked to parse at start.",
    "timezone": "IANA time zone of the calendar-day windows (`limits.app_per_day`, "
    "`limits.recipient_per_day`). Must be a known zone.",
    "dev": "Development mode: allows the `outbox` sender (it keeps codes in clear) and serves "
    "`GET /dev/outbox` and `/dev/outbox.json`. Never in production.",
    "allowed_regions": "ISO 3166 region codes whose mobile numbers are accepted; the first is "
    "assumed for numbers written without `+` (so `13612345678` reads as Chinese). Each must "
    "be a region `phonenumbers` knows; at least one.",
    "blocked_email_domains": "Email domains refused (`invalid_email`); a listed domain also "
    "blocks its subdomains.",
    "defaults": "The code policy when no auth source applies (`otp_flow.CodePolicy`).",
    "defaults.code_length": f"Characters in a generated code, {_CL[0]} to {_CL[1]}.",
    "defaults.ttl_seconds": f"How long a code lives, 10 to {_TTL[1]} seconds.",
    "defaults.max_failures": f"Wrong codes before the code is dead, {_MF[0]} to {_MF[1]}.",
    "defaults.token_ttl_seconds": "How long an `otp_token` (and the pages' pending-challenge "
    "cookie) is valid, 10 to 86400 seconds; at least `ttl_seconds`.",
    "limits": "How often codes may be sent (`otp_flow.Limits`); `0` switches a limit off. "
    "See [Limits](limits.md).",
    "limits.app_per_day": "Codes one client may send per calendar day (in `timezone`).",
    "limits.recipient_per_minute": "Codes one client may send to one recipient per minute.",
    "limits.recipient_per_hour": "Codes one client may send to one recipient per hour.",
    "limits.recipient_per_day": "Codes one client may send to one recipient per calendar day.",
    "limits.resend_interval_seconds": "Minimum gap between two sends to one recipient.",
    "limits.resend_backoff_max_seconds": "`0` keeps `resend_interval_seconds` fixed. Above `0` "
    "(and at least `resend_interval_seconds`), the gap doubles with each send to the recipient "
    "on the same calendar day (30 s, 60 s, 120 s ...) up to this many seconds.",
    "requesters": "Who is asking on the pages and how much one requester may do "
    "(`otp_flow.RequesterLimits`); `0` switches a limit off. The JSON APIs, whose callers are "
    "authenticated clients, name no requester. See [Limits](limits.md#per-requester-limits).",
    "requesters.trusted_proxies": "Addresses or CIDR networks of the reverse proxies whose "
    "`X-Forwarded-For` / `Forwarded` headers are believed; from anyone else they are ignored. "
    "The demo passes it to `create_auth_app(trusted_proxies=)` (`otp-flow serve` has no pages).",
    "requesters.sends_per_window": "Login, password-reset and contact-change codes one requester "
    "may have sent per window.",
    "requesters.signup_sends_per_window": "Signup codes one requester may have sent per window, "
    "a budget apart from `sends_per_window`.",
    "requesters.window_seconds": "Length of a requester's window (at most a week); it "
    "starts at the requester's first send after the previous window ended.",
    "requesters.sends_per_day": "All codes one requester may have sent per calendar day (in "
    "`timezone`).",
    "requesters.recipient_per_day": "Codes one requester may have sent to one recipient per "
    "calendar day (below `limits.recipient_per_day`, the ceiling of all requesters together).",
    "requesters.checks_per_window": "Codes one requester may check, right or wrong, any "
    "recipient, per window.",
    "challenge": "A bot challenge (`otp_flow.challenges`); absent = none. The table is read and "
    "checked, and the challenge built, at start-up, but **the pages do not ask for a challenge "
    "yet**: a requester over its limits gets 429.",
    "challenge.provider": '`"turnstile"`, `"hcaptcha"`, `"recaptcha"` (v2) or `"recaptcha_v3"`.',
    "challenge.site_key": "The provider's public site key (shown in the page).",
    "challenge.secret_key": "The provider's secret key (sent to its siteverify only).",
    "challenge.verify_url": "An `http://` or `https://` siteverify URL; absent = the provider's "
    "public one.",
    "challenge.hostnames": "Hostnames a solved challenge must report; `[]` = any.",
    "challenge.timeout_seconds": "Seconds for one siteverify call; a provider that does not "
    "answer in time fails closed (503).",
    "challenge.min_score": "Least reCAPTCHA v3 score accepted (`recaptcha_v3` only).",
    "challenge.after_sends_per_requester": "Meant for the pages: ask one requester for a "
    "challenge after this many code sends (not used yet).",
    "challenge.site_budget_threshold": "Meant for the pages: ask everyone once this share of "
    "`limits.app_per_day` is spent (not used yet).",
    "metrics": "Prometheus metrics (`otp_flow.metrics`); see [Operations](operations.md#metrics).",
    "metrics.enabled": "`otp-flow serve` mounts `GET /metrics`; needs the `metrics` extra "
    "(`pip install 'otp-flow[metrics]'`), else the file is refused.",
    "metrics.bearer_token": "At least 16 characters: scrapes must send "
    "`Authorization: Bearer <token>` (else 401); absent = no token asked.",
    "metrics.sms_price": "Price of one delivered SMS, for `otp_flow_estimated_spend_total`.",
    "metrics.email_price": "Price of one delivered email.",
    "metrics.currency": "The `currency` label of the spend estimate.",
    "metrics.sms_price_by_country_code": "SMS prices by destination: one key per country "
    'calling code, written as a quoted string (`"86" = 0.006`); other destinations cost '
    "`sms_price`.",
    "metrics.sms_price_by_country_code.<calling code>": '1 to 3 digits, quoted (`"86"`): '
    "the price of one SMS delivered to a number with that calling code.",
    "logging": "The log output of `otp-flow serve`.",
    "logging.format": '`"text"` or `"json"` (one JSON object per line).',
    "logging.level": "Level of the `otp_flow` loggers: `DEBUG`, `INFO`, `WARNING`, `ERROR` or "
    "`CRITICAL` (events are `INFO`).",
    "tokens": "CIAM's access, id and refresh tokens (`otp_flow.tokens`); see "
    "[CIAM](api/ciam.md) and [Operations](operations.md#token-signing-keys).",
    "tokens.signing_keys": "Paths of PEM private keys (EC P-256 or RSA of 2048 bits or more), "
    "oldest first: the newest signs, all are published at `/.well-known/jwks.json`. Loaded at "
    "start-up. `[]` = keys derived from `secret_keys`, with a warning: configure real keys in "
    "production.",
    "tokens.issuer": "The `iss` of every token; absent = the service's own base URL per request.",
    "tokens.access_token_ttl_seconds": "Lifetime of an access token (at most a day, and at "
    "most `refresh_token_ttl_seconds`).",
    "tokens.id_token_ttl_seconds": "Lifetime of an id token (at most a day).",
    "tokens.refresh_token_ttl_seconds": "Lifetime of a refresh-token family (at most 400 days).",
    "clients": "API clients (tenants) of the three JSON dialects; the pages use their own "
    "client id (`create_auth_app(client_id=)`).",
    "clients[].id": "The client id: 1-128 of `A-Z a-z 0-9 _ . -`, unique.",
    "clients[].secret": "The client secret (CIAM Basic auth, Yunpian app key, OnlyID "
    "`clientSecret`).",
    "clients[].sms_quota": "SMS this client may send in total; absent = unlimited.",
    "clients[].email_quota": "Emails this client may send in total; absent = unlimited.",
    "auth_sources": "CIAM auth sources: the `auth_source_id` of `POST /otp/send` (usage "
    "`login` only) picks the channel and code shape.",
    "auth_sources[].id": "The auth source id, 1-128 characters, unique.",
    "auth_sources[].channel": '`"sms"` or `"email"`.',
    "auth_sources[].code_length": f"Code length for this source, {_CL[0]} to {_CL[1]}; absent = "
    "`defaults.code_length`.",
    "auth_sources[].ttl_seconds": f"Code lifetime for this source, {_TTL[0]} to {_TTL[1]} "
    "seconds and at most `defaults.token_ttl_seconds`; absent = `defaults.ttl_seconds`.",
    "api": "Knobs of the JSON dialects (`otp-flow serve`).",
    "api.max_body_bytes": "Largest request body; a bigger one gets 413.",
    "api.signature_window_seconds": "How far a signed Yunpian request's `x-timestamp` may be "
    "from the server's clock.",
    "api.onlyid_language": 'Language of OnlyID error messages: `"zh"` or `"en"`.',
    "api.onlyid_expire_minutes": "OnlyID code lifetime when a request gives no `expireMin`.",
    "api.onlyid_max_fail_count": "OnlyID failure limit when a request gives no `maxFailCount`.",
    "messages": "The SMS and email templates (`otp_flow.messages.TemplateRenderer`); every "
    "template is rendered once at start, so a broken override fails there.",
    "messages.template_dirs": "Folders searched before the packaged message templates "
    "(`messages/sms/...`, `messages/email/...`); each must exist.",
    "messages.default_locale": 'Language of a message when the caller names none: `"en"` or '
    '`"zh-CN"`.',
    "messages.origin_domain": "A bare host name such as `example.com`: every SMS then ends with "
    "`@example.com #123456`, so browsers can offer the code for autofill (WebOTP).",
    "senders": "How messages are delivered, one table per channel.",
    "senders.delivery_timeout_seconds": "How long one delivery (an SMTP session, a gateway "
    "call) may take before the code is killed and the caller gets 503.",
    "senders.sms": "The SMS sender; required unless `dev = true` (then `outbox`).",
    "senders.sms.type": "`outbox`, `console`, `http` or `tencent`; the other keys of the table "
    "are that sender's options (below). `outbox` needs `dev = true`.",
    "senders.email": "The email sender; required unless `dev = true` (then `outbox`).",
    "senders.email.type": "`outbox`, `console` or `smtp`; the other keys of the table are that "
    "sender's options (below). `outbox` needs `dev = true`.",
}

#: Each sender option, by ``type.option``; the sender classes' docstrings say more.
SENDER_OPTIONS: dict[str, str] = {
    "outbox.max_messages": "Messages kept, newest first (1 to 10000).",
    "console.show_code": "Log the code itself: for a developer's own terminal only.",
    "http.url": "The gateway's `http://` or `https://` URL.",
    "http.method": "`POST`, `PUT` or `PATCH` (never GET: the code would be in the URL).",
    "http.headers": "Extra request headers (e.g. the gateway's API key).",
    "http.body_format": '`"json"` or `"form"`.',
    "http.body": "Field name → template; placeholders `{recipient}` `{code}` `{text}` "
    "`{ttl_minutes}` `{usage}` `{locale}`.",
    "http.success_field": "A JSON field of the answer (dots reach into objects) that must "
    "equal `success_value`; absent = any 2xx is success.",
    "http.success_value": "The value of `success_field` that means sent (compared as text).",
    "http.timeout": "Seconds for one request.",
    "tencent.secret_id": "Tencent Cloud API SecretId.",
    "tencent.secret_key": "Tencent Cloud API SecretKey.",
    "tencent.sdk_app_id": "The SMS application's SdkAppId.",
    "tencent.sign_name": "The approved SMS signature.",
    "tencent.template_ids": "Usage (`login`, `signup`, `update_userinfo`, `reset_password`, "
    "`notice_identifier_changed`) → approved template ID.",
    "tencent.region": "API region.",
    "tencent.endpoint": "API endpoint URL.",
    "tencent.timeout": "Seconds for one request.",
    "smtp.host": "SMTP server host.",
    "smtp.port": "SMTP server port.",
    "smtp.from_address": "The `From` address.",
    "smtp.username": "Login name; with `password`.",
    "smtp.password": "Login password; with `username`.",
    "smtp.starttls": "Upgrade with STARTTLS and fail if the server cannot (port 587).",
    "smtp.use_tls": "Implicit TLS from the first byte (port 465). Not with `starttls`.",
    "smtp.timeout": "Seconds for one SMTP session.",
    "smtp.ca_file": "PEM bundle of CAs to trust instead of the system store; needs TLS.",
}


@dataclass(frozen=True, slots=True)
class Key:
    """One accepted key: ``path`` as written in the file (``clients[].id``), its check and
    default as the reader has them."""

    path: str
    check: str
    default: str

    @property
    def table(self) -> str:
        return self.path.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]


def _toml(value: Any) -> str:
    """A default as it would be written in the file."""
    if value is _MISSING or value is inspect.Parameter.empty:
        return "required"
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list | tuple):
        return "`[" + ", ".join(_toml(v).strip("`") for v in value) + "]`"
    if isinstance(value, dict) or hasattr(value, "items"):
        items = ", ".join(f"{k} = {_toml(v).strip('`')}" for k, v in dict(value).items())
        return "`{" + items + "}`" if items else "`{}`"
    return f"`{value}`"


def _generic(path: str) -> str:
    """``clients[0].id`` → ``clients[].id``."""
    out, skipping = [], False
    for char in path:
        if char == "[":
            out.append("[]")
            skipping = True
        elif char == "]":
            skipping = False
        elif not skipping:
            out.append(char)
    return "".join(out)


def generic_path(path: str) -> str:
    """A key path as the reference names it: ``clients[0].id`` → ``clients[].id``, a key of a
    map table → its placeholder (``metrics.sms_price_by_country_code.<calling code>``)."""
    path = _generic(path)
    table, _, _name = path.rpartition(".")
    return f"{table}.{MAP_KEYS[table][0]}" if table in MAP_KEYS else path


def _read_keys() -> list[Key]:
    """Every key the reader asks for while reading ``PROBE``, in reading order.

    A table whose keys the reader accepts without asking for any one of them (it marks them all
    used) is a map table: its keys are recorded as one placeholder from ``MAP_KEYS``."""
    found: dict[str, Key] = {}
    tables: list[Recording] = []

    class Recording(Table):
        check = ""

        def __init__(self, data: object, path: str) -> None:
            super().__init__(data, path)
            self.asked: set[str] = set()
            tables.append(self)

        def get(self, key: str, default: Any = _MISSING) -> Any:
            path = _generic(self.name(key))
            check = CHECKS.get(path) or self.check or "any value"
            found.setdefault(path, Key(path, check, _toml(default)))
            self.check = ""
            self.asked.add(key)
            return super().get(key, default)

        def _as(self, check: str, read: Callable[..., Any], *args: Any, **kw: Any) -> Any:
            self.check = check
            return read(*args, **kw)

        def text(self, key: str, default: Any = _MISSING) -> Any:
            return self._as("non-empty string", super().text, key, default)

        def integer(self, key: str, default: Any = _MISSING, *, low: int = 0, high: int = 0) -> Any:
            check = f"integer, {low} to {high}" if high else f"integer ≥ {low}"
            return self._as(check, super().integer, key, default, low=low, high=high)

        def positive_number(self, key: str, default: float) -> float:
            return float(self._as("number > 0", super().positive_number, key, default))

        def flag(self, key: str, default: bool) -> bool:
            return bool(self._as("true or false", super().flag, key, default))

        def texts(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
            return tuple(self._as("list of strings", super().texts, key, default))

        def table(self, key: str) -> Table:
            return Table.table(self._flagged("table"), key)

        def tables(self, key: str) -> list[Table]:
            return Table.tables(self._flagged("array of tables"), key)

        def _flagged(self, check: str) -> Recording:
            self.check = check
            return self

    _parse(Recording(PROBE, ""))
    maps: dict[str, Key] = {}
    for t in tables:
        if t.used - t.asked:
            table = _generic(t.path)
            if table not in MAP_KEYS:
                raise PluginError(
                    f"gen_config: {table!r} takes keys the operator chooses; name them in "
                    "MAP_KEYS in docs/gen_config.py"
                )
            placeholder, check = MAP_KEYS[table]
            maps[table] = Key(f"{table}.{placeholder}", check, "—")
    keys: list[Key] = []
    for k in found.values():
        # Tables default to {} in the reader; say what an absent table means instead.
        is_table = k.check in ("table", "array of tables")
        keys.append(dataclasses.replace(k, default="—") if is_table else k)
        if k.path in maps:
            keys.append(maps[k.path])  # the map's one key right below its table
    return keys


def _annotation(annotation: Any) -> str:
    """A sender argument's annotation (a string: the modules postpone them) as a value kind."""
    text = str(annotation)
    if text.startswith("Mapping["):
        return "table"
    if text.startswith("Literal["):
        return "one of " + text.removeprefix("Literal[").removesuffix("]").replace("'", '"')
    text = text.removesuffix(" | None")
    return {"str": "string", "int": "integer", "float": "number", "bool": "true or false"}.get(
        text, text
    )


def sender_keys() -> list[tuple[str, str, Key]]:
    """(channel, type, key) for every option of every sender type, as the reader takes them."""
    out = []
    for channel, kinds in SENDER_KINDS.items():
        for kind, cls in kinds.items():
            for name, param in inspect.signature(cls).parameters.items():
                if name not in BUILDER_ARGS:
                    key = Key(
                        f"senders.{channel}.{name}",
                        _annotation(param.annotation),
                        _toml(param.default),
                    )
                    out.append((channel, kind, key))
    return out


def accepted_keys() -> list[str]:
    """Every key path the configuration file accepts (sender options by channel)."""
    return sorted({k.path for k in _read_keys()} | {k.path for _, _, k in sender_keys()})


def _missing(what: str, key: str) -> PluginError:
    return PluginError(
        f"gen_config: the configuration key {key!r} has no description; add it to {what} in "
        "docs/gen_config.py"
    )


def _row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _heading(table: str) -> str:
    if not table:
        return "Top level"
    return f"`[[{table[:-2]}]]`" if table.endswith("[]") else f"`[{table}]`"


def configuration_reference() -> str:
    keys = _read_keys()
    tables = {k.path for k in keys if k.check in ("table", "array of tables")}
    order: list[str] = [""]
    for k in keys:
        if k.table not in order:
            order.append(k.table)
    lines: list[str] = []
    for table in order:
        lines += ["", f"### {_heading(table)}", ""]
        if table:
            description = DESCRIPTIONS.get(table.removesuffix("[]"))
            if description is None:
                raise _missing("DESCRIPTIONS", table)
            lines += [description, ""]
        lines += [_row("key", "value", "default", "meaning"), _row("---", "---", "---", "---")]
        for k in keys:
            if k.table != table or k.path in tables:
                continue
            if k.path not in DESCRIPTIONS:
                raise _missing("DESCRIPTIONS", k.path)
            lines.append(_row(f"`{k.name}`", k.check, k.default, DESCRIPTIONS[k.path]))
    lines += _sender_sections()
    return "\n".join(lines) + "\n"


def _sender_sections() -> list[str]:
    by_type: dict[str, list[tuple[str, Key]]] = {}
    for channel, kind, key in sender_keys():
        by_type.setdefault(kind, []).append((channel, key))
    lines = ["", "### Sender options", ""]
    lines.append(
        "The keys of `[senders.sms]` or `[senders.email]` beside `type`, by type; each is the "
        "sender class's keyword argument of the same name."
    )
    for kind, entries in by_type.items():
        channels = sorted({c for c, _ in entries})
        cls = SENDER_KINDS[channels[0]][kind]  # type: ignore[index]
        lines += ["", f'#### `type = "{kind}"`', ""]
        lines.append(f"Channels: {', '.join(channels)}. Class: `otp_flow.senders.{cls.__name__}`.")
        lines += ["", _row("key", "value", "default", "meaning"), _row("---", "---", "---", "---")]
        seen: set[str] = set()
        for _channel, key in entries:
            if key.name in seen:
                continue
            seen.add(key.name)
            description = SENDER_OPTIONS.get(f"{kind}.{key.name}")
            if description is None:
                raise _missing("SENDER_OPTIONS", f"{kind}.{key.name}")
            lines.append(_row(f"`{key.name}`", key.check, key.default, description))
        if not seen:
            lines += [_row("(none)", "", "", "")]
    return lines


# ----------------------------------------------------------------------------- limits


#: Each limit with a default in code: (what, where in Python, config key or "", the default).
def _limit_rows() -> list[tuple[str, str, str, Any]]:
    policy, limits, api = CodePolicy(), Limits(), ApiSettings()
    auth = inspect.signature(create_auth_app).parameters
    engine = inspect.signature(OTPEngine).parameters
    rows: list[tuple[str, str, str, Any]] = []
    described = {
        "code_length": "characters in a code",
        "ttl_seconds": "seconds a code lives",
        "max_failures": "wrong codes before a code is dead",
        "token_ttl_seconds": "seconds an `otp_token` is valid",
        "app_per_day": "sends per client per calendar day",
        "recipient_per_minute": "sends per client to one recipient per minute",
        "recipient_per_hour": "sends per client to one recipient per hour",
        "recipient_per_day": "sends per client to one recipient per calendar day",
        "resend_interval_seconds": "seconds between two sends to one recipient",
        "resend_backoff_max_seconds": "cap of the doubling resend interval (0: no doubling)",
        "sends_per_window": "login, reset and contact-change codes per requester per window",
        "signup_sends_per_window": "signup codes per requester per window",
        "window_seconds": "seconds of a requester's window",
        "sends_per_day": "codes per requester per calendar day",
        "checks_per_window": "code checks per requester per window",
    }
    per_requester = {"recipient_per_day": "codes per requester to one recipient per calendar day"}
    owners = (
        ("CodePolicy", policy, "defaults"),
        ("Limits", limits, "limits"),
        ("RequesterLimits", RequesterLimits(), "requesters"),
    )
    for owner, value, table in owners:
        for f in dataclasses.fields(value):
            if f.name in ("alphabet", "timezone"):
                continue  # not limits: the code's characters, the windows' time zone
            if f.name not in described:
                raise PluginError(f"gen_config: describe the limit {owner}.{f.name}")
            what = per_requester.get(f.name) if owner == "RequesterLimits" else None
            rows.append(
                (
                    what or described[f.name],
                    f"`{owner}({f.name}=)`",
                    f"`{table}.{f.name}`",
                    getattr(value, f.name),
                )
            )
    rows += [
        (
            "password sign-ins per requester at one identifier per window (pages)",
            "`create_auth_app(password_attempts=)`",
            "",
            auth["password_attempts"].default,
        ),
        (
            "seconds of that password window",
            "`create_auth_app(password_window_seconds=)`",
            "",
            auth["password_window_seconds"].default,
        ),
        (
            "password sign-ins per requester per window, any identifier (pages)",
            "`create_auth_app(password_requester_attempts=)`",
            "",
            auth["password_requester_attempts"].default,
        ),
        (
            "seconds a page session lives",
            "`create_auth_app(session_ttl_seconds=)`",
            "",
            auth["session_ttl_seconds"].default,
        ),
        (
            "seconds one delivery may take",
            "`OTPEngine(delivery_timeout=)`",
            "`senders.delivery_timeout_seconds`",
            engine["delivery_timeout"].default,
        ),
        (
            "bytes of a JSON API request body",
            "`create_api_app(max_body_bytes=)`",
            "`api.max_body_bytes`",
            api.max_body_bytes,
        ),
        (
            "seconds a signed Yunpian timestamp may be off",
            "`create_api_app(signature_window_seconds=)`",
            "`api.signature_window_seconds`",
            api.signature_window_seconds,
        ),
        (
            "messages a client may send per channel",
            "`Client(sms_quota=, email_quota=)`",
            "`clients[].sms_quota`, `clients[].email_quota`",
            None,
        ),
    ]
    return rows


def limits_table() -> str:
    lines = [
        _row("limit", "default", "Python", "configuration file"),
        _row("---", "---:", "---", "---"),
    ]
    for what, python, key, default in _limit_rows():
        shown = (
            "unlimited"
            if default is None
            else f"{default:g}"
            if isinstance(default, float)
            else str(default)
        )
        lines.append(_row(what, shown, python, key or "—"))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------- the hook


def on_page_markdown(markdown: str, **_: Any) -> str:
    if CONFIG_MARKER in markdown:
        markdown = markdown.replace(CONFIG_MARKER, configuration_reference())
    if LIMITS_MARKER in markdown:
        markdown = markdown.replace(LIMITS_MARKER, limits_table())
    return markdown
