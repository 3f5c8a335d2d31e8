"""Challenges a page can ask a person to pass (a CAPTCHA), verified on the server.

    challenge = TurnstileChallenge(site_key="0x4AAA...", secret_key="0x4AAA...")
    passed = await challenge.verify(form[challenge.field_name], remote_ip=client_ip)

A page renders ``challenge.widget`` (the script to load, the element's class and site key) and
adds ``csp_sources(challenge)`` to its Content-Security-Policy; the form then posts the token in
``challenge.field_name``. ``verify`` answers True only when the provider said yes (and the
hostname, action and score checks hold); False when the token is missing, forged, used or for
another site. When the provider cannot be asked (timeout, refused connection, a non-2xx or
unreadable answer, or it rejects our own secret) ``verify`` raises ``ChallengeUnavailable``, a
``ServiceUnavailable``: the caller answers 503 ``temporarily_unavailable`` and nobody passes
(fail closed).
"""

from otp_flow.challenges._base import (
    ASK_AFTER_SENDS,
    ASK_SITE_SHARE,
    Challenge,
    ChallengeUnavailable,
    CSPSources,
    Widget,
)
from otp_flow.challenges._csp import csp_sources, csp_with_challenge
from otp_flow.challenges._providers import (
    HCaptchaChallenge,
    RecaptchaChallenge,
    SiteverifyChallenge,
    TurnstileChallenge,
)

__all__ = [
    "ASK_AFTER_SENDS",
    "ASK_SITE_SHARE",
    "CSPSources",
    "Challenge",
    "ChallengeUnavailable",
    "HCaptchaChallenge",
    "RecaptchaChallenge",
    "SiteverifyChallenge",
    "TurnstileChallenge",
    "Widget",
    "csp_sources",
    "csp_with_challenge",
]
