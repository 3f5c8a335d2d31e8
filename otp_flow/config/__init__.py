"""The configuration file: TOML in, a validated frozen ``Settings`` out.

``Settings`` gathers the file's tables, each a msgspec Struct kept beside the component it
configures (``otp_flow._tables`` says how): each key's type, bounds, default
(``otp_flow.defaults``) and description are written once, there. Every problem is a
``ConfigError`` naming the key (``limits.app_per_day must be an integer between 0 and
1000000000``); unknown keys are errors. ``otp_flow.config.schema`` generates the file's JSON
Schema from the same models. The runtime built from ``Settings`` is ``otp_flow.runtime``'s.
"""

from otp_flow._clients import AuthSource
from otp_flow._requesters import RequesterSettings
from otp_flow.config._settings import ApiSettings, ConfigError, Settings, load_config
from otp_flow.messages._settings import MessageSettings
from otp_flow.senders._kinds import SenderSettings
from otp_flow.tokens._settings import TokenSettings
from otp_flow.users._settings import UserSettings

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
