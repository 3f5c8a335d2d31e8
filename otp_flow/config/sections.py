"""The tables of the configuration file below the top level, as frozen values.

``ConfigError`` is re-exported here (it lives in ``otp_flow.errors``): every module of the
package imports it from this one, which imports nothing else from the package, so nothing
imports in a circle.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from otp_flow.errors import ConfigError
from otp_flow.messages import TemplateRenderer
from otp_flow.policy import CALLER_TTL_SECONDS, CODE_LENGTH, RequesterLimits
from otp_flow.types import CHANNELS, Channel

__all__ = [
    "DELIVERY_TIMEOUT_SECONDS",
    "ApiSettings",
    "AuthSource",
    "ConfigError",
    "MessageSettings",
    "RequesterSettings",
    "SenderSettings",
    "TokenSettings",
]

#: ``[senders] delivery_timeout_seconds`` when the file leaves it out: the OTPEngine default.
DELIVERY_TIMEOUT_SECONDS = 10.0


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
class RequesterSettings:
    """The ``[requesters]`` table: who is asking on the pages, and what one requester may do."""

    #: Addresses or CIDR networks whose X-Forwarded-For / Forwarded the pages believe.
    trusted_proxies: tuple[str, ...] = ()
    limits: RequesterLimits = field(default_factory=RequesterLimits)


@dataclass(frozen=True, slots=True)
class TokenSettings:
    """The ``[tokens]`` table: CIAM's access, id and refresh tokens (``otp_flow.tokens``).

    ``signing_keys``: PEM files of EC P-256 or RSA private keys, oldest first (the newest
    signs, all are published); empty: keys derived from ``secret_keys``, with a warning.
    ``issuer``: the ``iss`` of every token; None: the service's own base URL per request.
    """

    signing_keys: tuple[str, ...] = ()
    issuer: str | None = None
    access_token_ttl_seconds: int = 3600
    id_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600


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
