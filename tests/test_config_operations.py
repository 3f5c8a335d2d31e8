"""The [challenge], [metrics] and [logging] tables: read, checked, built."""

from __future__ import annotations

import re
from typing import Any

import pytest

from otp_flow.challenges import HCaptchaChallenge, RecaptchaChallenge, TurnstileChallenge
from otp_flow.config import ConfigError, Settings


def settings(**tables: Any) -> Settings:
    return Settings.from_mapping({"secret_keys": ["k" * 32], "dev": True, **tables})


CHALLENGE = {"provider": "turnstile", "site_key": "site", "secret_key": "secret"}


def test_no_challenge_table_means_no_challenge() -> None:
    assert settings().challenge is None


@pytest.mark.parametrize(
    ("provider", "cls", "version"),
    [
        ("turnstile", TurnstileChallenge, None),
        ("hcaptcha", HCaptchaChallenge, None),
        ("recaptcha", RecaptchaChallenge, 2),
        ("recaptcha_v3", RecaptchaChallenge, 3),
    ],
)
def test_each_provider_builds(provider: str, cls: type, version: int | None) -> None:
    config = settings(
        challenge={
            **CHALLENGE,
            "provider": provider,
            "verify_url": "http://127.0.0.1:9/siteverify",
            "hostnames": ["example.com"],
            "timeout_seconds": 2,
            "min_score": 0.7,
        }
    ).challenge
    assert config is not None
    built = config.build()
    assert isinstance(built, cls)
    assert built.verify_url == "http://127.0.0.1:9/siteverify"
    assert built.hostnames == {"example.com"} and built.timeout == 2.0
    if version is not None:
        assert isinstance(built, RecaptchaChallenge) and built.version == version
    if version == 3:
        assert isinstance(built, RecaptchaChallenge) and built.min_score == 0.7
    assert "secret" not in repr(config).replace("secret_key", "")


def test_escalation_defaults() -> None:
    config = settings(challenge=CHALLENGE).challenge
    assert config is not None
    assert (config.after_sends_per_requester, config.site_budget_threshold) == (3, 0.8)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"provider": "captcha"}, "challenge.provider must be one of turnstile"),
        ({"secret_key": ""}, "challenge.secret_key must be a non-empty string"),
        ({"verify_url": "ftp://x/"}, "challenge.verify_url must be an http"),
        ({"site_budget_threshold": 0}, "challenge.site_budget_threshold must be a number above 0"),
        ({"site_budget_threshold": 1.2}, "challenge.site_budget_threshold"),
        ({"after_sends_per_requester": -1}, "challenge.after_sends_per_requester must be"),
        ({"timeout_seconds": 0}, "challenge.timeout_seconds must be a number > 0"),
        ({"min_score": 2}, "challenge.min_score"),
        ({"sitekey": "x"}, "unknown key challenge.sitekey"),
    ],
)
def test_bad_challenge_tables_name_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings(challenge={**CHALLENGE, **table})


def test_logging_table() -> None:
    assert (settings().logging.format, settings().logging.level) == ("text", "INFO")
    config = settings(logging={"format": "json", "level": "debug"}).logging
    assert (config.format, config.level) == ("json", "DEBUG")
    with pytest.raises(ConfigError, match=re.escape('logging.format must be "text" or "json"')):
        settings(logging={"format": "xml"})
    with pytest.raises(ConfigError, match=re.escape("logging.level must be one of")):
        settings(logging={"level": "loud"})


def test_metrics_are_off_by_default() -> None:
    assert not settings().metrics.enabled
