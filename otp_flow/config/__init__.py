"""The configuration file: TOML in, validated frozen ``Settings`` out, and builders from them.

Every problem is reported at start-up as a ``ConfigError`` naming the key, e.g.
``limits.app_per_day must be an integer >= 0``. Top-level tables this package does not know (for
example ``[pages]`` of the demo app) are kept in ``Settings.extra`` for their owners to read;
unknown keys anywhere else are errors, so a typo never silently falls back to a default.

Checked beyond types: ``store`` must parse as a Redis URL (else serving would fail at the first
request); ``[senders.<channel>] type = "outbox"`` needs ``dev = true``, since the outbox keeps
codes in clear in the store. Delivery has one knob of its own, in the ``[senders]`` table beside
the channels::

    [senders]
    delivery_timeout_seconds = 10   # a number > 0: how long one SMTP session or gateway call
                                    # may take before the code is killed and the caller gets 503
    [senders.sms]
    type = "http"

Layout, each module importing only those above it: ``sections`` (the sub-tables as values and
``ConfigError``), ``sender_kinds`` (the sender classes a ``type`` names), ``table`` (the TOML
table reader), ``reading`` (one reader per sub-table), ``settings`` (``Settings`` and
``load_config``), ``building`` (the runtime built from ``Settings``).
"""

from otp_flow.config.building import (
    Runtime,
    build_engine,
    build_runtime,
    build_senders,
    build_store,
    build_tokens,
    build_users,
)
from otp_flow.config.sections import (
    ApiSettings,
    AuthSource,
    ConfigError,
    MessageSettings,
    RequesterSettings,
    SenderSettings,
    TokenSettings,
)
from otp_flow.config.settings import Settings, load_config

__all__ = [
    "ApiSettings",
    "AuthSource",
    "ConfigError",
    "MessageSettings",
    "RequesterSettings",
    "Runtime",
    "SenderSettings",
    "Settings",
    "TokenSettings",
    "build_engine",
    "build_runtime",
    "build_senders",
    "build_store",
    "build_tokens",
    "build_users",
    "load_config",
]
