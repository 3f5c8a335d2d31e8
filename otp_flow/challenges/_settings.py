"""The ``[challenge]`` table of the configuration file, and the challenge it builds."""

from __future__ import annotations

from typing import Any, Literal

from otp_flow import defaults
from otp_flow._tables import Count, Fraction, Positive, Table, Text, Texts
from otp_flow.challenges._base import Challenge
from otp_flow.challenges._providers import HCaptchaChallenge, RecaptchaChallenge, TurnstileChallenge

__all__ = ["ChallengeSettings"]


class ChallengeSettings(Table, frozen=True):
    """A bot challenge (a CAPTCHA, `otp_flow.challenges`) the demo's pages ask for before a
    code-sending form sends, only when needed (`create_auth_app(challenge=)`); absent = none: a
    requester over its limits just gets 429. Checked and built at start-up. See
    [Limits](limits.md#challenges-captcha)."""

    provider: Literal["turnstile", "hcaptcha", "recaptcha", "recaptcha_v3"]
    """The provider (`recaptcha` is reCAPTCHA v2; the pages refuse `recaptcha_v3`, which needs
    a script of the application's own)."""
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
    """Ask a requester for a challenge once it has made this many code sends in its current
    window (`requesters.window_seconds`); `0` = ask before every send
    (`create_auth_app(challenge_after_sends=)`)."""
    site_budget_threshold: Fraction = defaults.CHALLENGE_SITE_BUDGET_THRESHOLD
    """Ask everyone, until the calendar day ends, once this share of `limits.app_per_day` is
    spent (`create_auth_app(challenge_site_threshold=)`)."""

    def __post_init__(self) -> None:
        super().__post_init__()
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
