"""The challenge providers against a real local HTTP server standing in for each siteverify."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from otp_flow.challenges import (
    Challenge,
    ChallengeUnavailable,
    HCaptchaChallenge,
    RecaptchaChallenge,
    SiteverifyChallenge,
    TurnstileChallenge,
    csp_sources,
    csp_with_challenge,
)
from otp_flow.errors import ServiceUnavailable
from otp_flow.web._templating import SECURITY_HEADERS
from tests.http_harness import RecordingHTTPServer
from tests.redis_harness import free_port

Factory = Callable[..., SiteverifyChallenge]
PROVIDERS: dict[str, Factory] = {
    "turnstile": TurnstileChallenge,
    "hcaptcha": HCaptchaChallenge,
    "recaptcha": RecaptchaChallenge,
    "recaptcha_v3": lambda **kw: RecaptchaChallenge(version=3, **kw),
}
#: What each provider answers to a good token (v3 with a human-looking score).
GOOD: dict[str, dict[str, Any]] = {
    "turnstile": {
        "success": True,
        "challenge_ts": "2026-03-10T01:00:00.000Z",
        "hostname": "example.com",
        "error-codes": [],
        "action": "signup",
    },
    "hcaptcha": {"success": True, "hostname": "example.com", "credit": False},
    "recaptcha": {"success": True, "hostname": "example.com", "challenge_ts": "2026-03-10"},
    "recaptcha_v3": {"success": True, "hostname": "example.com", "score": 0.9, "action": "signup"},
}


@pytest.fixture
def provider() -> Iterator[RecordingHTTPServer]:
    with RecordingHTTPServer() as server:
        yield server


@pytest.fixture(params=sorted(PROVIDERS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def challenge(kind: str, provider: RecordingHTTPServer) -> AsyncIterator[SiteverifyChallenge]:
    made = PROVIDERS[kind](
        site_key="site-key-1",
        secret_key="secret-key-1",
        verify_url=f"{provider.url}/siteverify",
        hostnames=["example.com"],
        timeout=0.5,
    )
    yield made
    await made.aclose()


async def test_a_good_token_passes_and_the_form_follows_the_contract(
    kind: str, challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(200, GOOD[kind])
    assert isinstance(challenge, Challenge)
    assert await challenge.verify("tok-123", remote_ip="203.0.113.7", action="signup")
    [request] = provider.requests
    assert request.method == "POST" and request.path == "/siteverify"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    expected = {"secret": "secret-key-1", "response": "tok-123", "remoteip": "203.0.113.7"}
    if kind == "hcaptcha":
        expected["sitekey"] = "site-key-1"
    assert request.form() == expected


async def test_no_remote_ip_sends_no_remoteip(
    kind: str, challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(200, GOOD[kind])
    assert await challenge.verify("tok", remote_ip=None)
    assert "remoteip" not in provider.requests[0].form()


async def test_a_refused_token_fails(
    kind: str, challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    for codes in (["invalid-input-response"], ["timeout-or-duplicate"], []):
        provider.respond(200, {"success": False, "error-codes": codes})
        assert not await challenge.verify("tok", remote_ip="203.0.113.7")


async def test_empty_or_oversized_tokens_fail_without_asking(
    challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    assert not await challenge.verify("", remote_ip=None)
    assert not await challenge.verify("x" * 5000, remote_ip=None)
    assert provider.requests == []


async def test_a_token_solved_on_another_hostname_fails(
    kind: str, challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(200, {**GOOD[kind], "hostname": "evil.example"})
    assert not await challenge.verify("tok", remote_ip=None)
    provider.respond(200, {k: v for k, v in GOOD[kind].items() if k != "hostname"})
    assert not await challenge.verify("tok", remote_ip=None)


async def test_any_hostname_passes_when_none_is_configured(
    kind: str, provider: RecordingHTTPServer
) -> None:
    challenge = PROVIDERS[kind](site_key="s", secret_key="k", verify_url=provider.url)
    provider.respond(200, {**GOOD[kind], "hostname": "other.example"})
    assert await challenge.verify("tok", remote_ip=None)
    await challenge.aclose()


@pytest.mark.parametrize("kind", ["turnstile", "recaptcha_v3"])
async def test_a_token_for_another_action_fails(
    challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(200, {**GOOD["turnstile"], "score": 0.9, "action": "login"})
    assert not await challenge.verify("tok", remote_ip=None, action="signup")
    assert await challenge.verify("tok", remote_ip=None, action="login")


@pytest.mark.parametrize("kind", ["hcaptcha", "recaptcha"])
async def test_providers_without_actions_ignore_the_expected_action(
    kind: str, challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(200, GOOD[kind])
    assert await challenge.verify("tok", remote_ip=None, action="signup")


@pytest.mark.parametrize("kind", ["recaptcha_v3"])
async def test_recaptcha_v3_refuses_a_low_or_missing_score(
    challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(200, {**GOOD["recaptcha_v3"], "score": 0.3})
    assert not await challenge.verify("tok", remote_ip=None)
    provider.respond(200, {**GOOD["recaptcha_v3"], "score": 0.5})
    assert await challenge.verify("tok", remote_ip=None)
    provider.respond(200, {k: v for k, v in GOOD["recaptcha_v3"].items() if k != "score"})
    assert not await challenge.verify("tok", remote_ip=None)


async def test_recaptcha_v3_min_score_is_configurable(provider: RecordingHTTPServer) -> None:
    strict = RecaptchaChallenge(
        site_key="s", secret_key="k", verify_url=provider.url, version=3, min_score=0.8
    )
    provider.respond(200, {"success": True, "score": 0.7, "hostname": "example.com"})
    assert not await strict.verify("tok", remote_ip=None)
    await strict.aclose()


@pytest.mark.parametrize(
    "body",
    [b"<html>Cloudflare interstitial</html>", b'{"success": "yes"}', b"[true]", b"{"],
    ids=["html", "success-not-bool", "not-an-object", "truncated"],
)
async def test_an_unreadable_answer_is_unavailable_not_a_pass(
    challenge: SiteverifyChallenge, provider: RecordingHTTPServer, body: bytes
) -> None:
    provider.respond(200, body, **{"Content-Type": "application/json"})
    with pytest.raises(ChallengeUnavailable):
        await challenge.verify("tok", remote_ip=None)


async def test_a_provider_error_status_is_unavailable(
    kind: str, challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(502, GOOD[kind])  # even a "success" body does not count on a 502
    with pytest.raises(ChallengeUnavailable, match="HTTP 502"):
        await challenge.verify("tok", remote_ip=None)


async def test_our_rejected_secret_is_unavailable_not_a_bot(
    challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.respond(200, {"success": False, "error-codes": ["invalid-input-secret"]})
    with pytest.raises(ChallengeUnavailable, match="invalid-input-secret") as raised:
        await challenge.verify("tok", remote_ip=None)
    assert isinstance(raised.value, ServiceUnavailable)  # the pages' 503 handler catches it


async def test_a_timeout_is_unavailable(
    challenge: SiteverifyChallenge, provider: RecordingHTTPServer
) -> None:
    provider.hang()
    with pytest.raises(ChallengeUnavailable, match="in time"):
        await challenge.verify("tok", remote_ip=None)


async def test_a_refused_connection_is_unavailable(kind: str) -> None:
    challenge = PROVIDERS[kind](
        site_key="s", secret_key="k", verify_url=f"http://127.0.0.1:{free_port()}/siteverify"
    )
    with pytest.raises(ChallengeUnavailable):
        await challenge.verify("tok", remote_ip=None)
    await challenge.aclose()


def test_the_secret_never_shows_in_repr(kind: str) -> None:
    assert "very-secret" not in repr(PROVIDERS[kind](site_key="s", secret_key="very-secret"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"site_key": ""}, "site_key"),
        ({"secret_key": " "}, "secret_key"),
        ({"verify_url": "ftp://x/"}, "verify_url"),
        ({"timeout": 0}, "timeout"),
        # Either would mean a siteverify call that never times out.
        ({"timeout": math.nan}, "timeout must be a positive number of seconds"),
        ({"timeout": math.inf}, "timeout must be a positive number of seconds"),
        ({"hostnames": [""]}, "hostnames"),
    ],
)
def test_bad_options_are_refused(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PROVIDERS[kind](**{"site_key": "s", "secret_key": "k", **options})


def test_recaptcha_options_are_checked() -> None:
    with pytest.raises(ValueError, match="version"):
        RecaptchaChallenge(site_key="s", secret_key="k", version=4)  # type: ignore[arg-type]
    for min_score in (1.5, math.nan, True):
        with pytest.raises(ValueError, match="min_score must be a number between 0 and 1"):
            RecaptchaChallenge(site_key="s", secret_key="k", version=3, min_score=min_score)


def test_widgets_name_the_script_element_and_field() -> None:
    turnstile = TurnstileChallenge(site_key="0xSITE", secret_key="k").widget
    assert (turnstile.script_url, turnstile.element_class, turnstile.field_name) == (
        "https://challenges.cloudflare.com/turnstile/v0/api.js",
        "cf-turnstile",
        "cf-turnstile-response",
    )
    hcaptcha = HCaptchaChallenge(site_key="hk", secret_key="k").widget
    assert (hcaptcha.script_url, hcaptcha.field_name) == (
        "https://js.hcaptcha.com/1/api.js",
        "h-captcha-response",
    )
    v2 = RecaptchaChallenge(site_key="rk", secret_key="k").widget
    assert (v2.script_url, v2.field_name, v2.invisible) == (
        "https://www.google.com/recaptcha/api.js",
        "g-recaptcha-response",
        False,
    )
    v3 = RecaptchaChallenge(site_key="rk", secret_key="k", version=3).widget
    assert v3.script_url == "https://www.google.com/recaptcha/api.js?render=rk" and v3.invisible


def test_csp_allows_the_chosen_provider_only_when_configured() -> None:
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    assert csp_with_challenge(policy, None) == policy
    assert csp_sources(None).directives() == {}
    with_turnstile = csp_with_challenge(policy, TurnstileChallenge(site_key="s", secret_key="k"))
    directives = dict(d.split(" ", 1) for d in with_turnstile.split("; "))
    assert directives["script-src"] == "https://challenges.cloudflare.com"
    assert directives["frame-src"] == "https://challenges.cloudflare.com"
    assert directives["default-src"] == "'none'"  # the fallback is not widened
    assert "connect-src" not in directives and "hcaptcha" not in with_turnstile
    with_hcaptcha = csp_with_challenge(policy, HCaptchaChallenge(site_key="s", secret_key="k"))
    directives = dict(d.split(" ", 1) for d in with_hcaptcha.split("; "))
    # An existing directive keeps its sources and gains the provider's.
    assert directives["style-src"] == "'unsafe-inline' https://hcaptcha.com https://*.hcaptcha.com"
    assert directives["connect-src"] == "https://hcaptcha.com https://*.hcaptcha.com"
    assert "google" not in with_hcaptcha and "cloudflare" not in with_hcaptcha


def test_csp_replaces_a_lone_none() -> None:
    merged = csp_with_challenge(
        "default-src 'none'; script-src 'none'", RecaptchaChallenge(site_key="s", secret_key="k")
    )
    assert merged.split("; ")[1] == (
        "script-src https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/"
    )
