"""The configuration file: TOML in, a validated frozen ``Settings`` out.

``Settings`` and its tables (``otp_flow.config.tables``) are msgspec Structs: each key's type,
bounds, default (``otp_flow.defaults``) and description are written once, there. Every problem is
a ``ConfigError`` naming the key (``limits.app_per_day must be an integer between 0 and
1000000000``); unknown keys are errors. ``otp_flow.config.schema`` generates the file's JSON
Schema from the same models. The runtime built from ``Settings`` is ``otp_flow.runtime``'s.
"""

from otp_flow.config.settings import ConfigError, Settings, load_config
from otp_flow.config.tables import (
    ApiSettings,
    AuthSource,
    MessageSettings,
    RequesterSettings,
    TokenSettings,
    UserSettings,
)
from otp_flow.senders.kinds import SenderSettings

__all__ = [
    "ApiSettings",
    "AuthSource",
    "ConfigError",
    "MessageSettings",
    "RequesterSettings",
    "SenderSettings",
    "Settings",
    "TokenSettings",
    "UserSettings",
    "load_config",
]
