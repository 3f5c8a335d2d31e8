"""The configuration file: TOML in, a validated frozen ``Settings`` out, and builders from it.

``Settings`` and its tables (``otp_flow.config.tables``) are msgspec Structs: each key's type,
bounds, default (``otp_flow.defaults``) and description are written once, there. Every problem is
reported at start-up as a ``ConfigError`` naming the key, e.g. ``limits.app_per_day must be an
integer between 0 and 1000000000``; unknown keys are errors, so a typo never silently falls back
to a default. ``otp_flow.config.schema`` generates the file's JSON Schema from the same models.

Layout, each module importing only those above it: ``sender_kinds`` (the sender classes a
``type`` names), ``tables`` (the sub-tables), ``settings`` (``Settings``, ``load_config``,
``ConfigError``), ``schema`` (the JSON Schema), ``building`` (the runtime built from ``Settings``).
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
from otp_flow.config.sender_kinds import SenderSettings
from otp_flow.config.settings import ConfigError, Settings, load_config
from otp_flow.config.tables import (
    ApiSettings,
    AuthSource,
    MessageSettings,
    RequesterSettings,
    TokenSettings,
    UserSettings,
)

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
    "UserSettings",
    "build_engine",
    "build_runtime",
    "build_senders",
    "build_store",
    "build_tokens",
    "build_users",
    "load_config",
]
