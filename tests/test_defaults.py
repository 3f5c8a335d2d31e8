"""``otp_flow.defaults``: every default written once, and every reader of one agrees with it."""

from __future__ import annotations

import inspect

import msgspec

from otp_flow import defaults
from otp_flow.config import ApiSettings, Settings, TokenSettings
from otp_flow.engine import OTPEngine
from otp_flow.passwords import Passwords
from otp_flow.policy import CodePolicy, Limits, RequesterLimits
from otp_flow.tokens import TokenService
from otp_flow.web import create_auth_app
from otp_flow.web._clientauth import SignedRequestAuthenticator
from otp_flow.web._templating import Pages
from otp_flow.web._throttle import PasswordThrottle
from otp_flow.web.api import create_api_app


def keyword_defaults(function: object) -> dict[str, object]:
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()  # type: ignore[arg-type]
        if p.default is not inspect.Parameter.empty
    }


def test_the_configuration_file_and_the_python_keywords_default_alike() -> None:
    settings = Settings.from_mapping({"secret_keys": ["k" * 32], "dev": True})
    assert settings.defaults == CodePolicy()
    assert settings.limits == Limits()
    assert settings.requesters.limits == RequesterLimits()
    assert settings.timezone == Limits().timezone == defaults.TIMEZONE
    api = keyword_defaults(create_api_app)
    for name, value in msgspec.structs.asdict(ApiSettings()).items():
        assert api[name] == value, name
    tokens = keyword_defaults(TokenService)
    for name, value in msgspec.structs.asdict(TokenSettings()).items():
        if name.endswith("_ttl_seconds"):
            assert tokens[name] == value, name
    engine = keyword_defaults(OTPEngine)
    assert engine["delivery_timeout"] == settings.delivery_timeout_seconds
    assert (
        keyword_defaults(SignedRequestAuthenticator)["window_seconds"]
        == defaults.SIGNATURE_WINDOW_SECONDS
    )
    pages = keyword_defaults(create_auth_app)
    assert pages["session_ttl_seconds"] == defaults.SESSION_TTL_SECONDS
    assert pages["password_attempts"] == defaults.PASSWORD_ATTEMPTS
    throttle = keyword_defaults(PasswordThrottle)
    assert throttle["attempts"] == pages["password_attempts"]
    assert throttle["window_seconds"] == pages["password_window_seconds"]
    assert throttle["requester_attempts"] == pages["password_requester_attempts"]
    rules = Passwords()
    assert keyword_defaults(Pages)["password_min_length"] == rules.min_length
    assert (rules.min_length, rules.max_length) == (
        defaults.PASSWORD_MIN_LENGTH,
        defaults.PASSWORD_MAX_LENGTH,
    )
