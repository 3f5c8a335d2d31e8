"""The pages ask for a challenge only when needed (issue 10, deliverable 4).

Over real HTTP: the demo under uvicorn in a child process (memory and Redis), requesters on
different loopback addresses, and a real local HTTP server standing in for Turnstile's
siteverify (what it received is what the provider would have received).
"""

from __future__ import annotations

import pytest

from otp_flow.challenges import RecaptchaChallenge, TurnstileChallenge
from otp_flow.stores.memory import MemoryStore
from otp_flow.types import RequesterStats, WindowCount, WindowCounts
from otp_flow.web._challenge_gate import ChallengeGate
from tests import test_web_abuse
from tests.conftest import FakeClock
from tests.http_harness import RecordingHTTPServer
from tests.test_web_abuse import Browser, outbox, serve
from tests.uvicorn_harness import UvicornProcess
from tests.web_helpers import build_app

#: The same stores as the abuse tests: memory, and the suite's private redis-server (flushed).
store_url = test_web_abuse.store_url

SECRET = "turnstile-secret-key-1"
SITE_KEY = "turnstile-site-key-1"
WIDGET = f'class="cf-turnstile" data-sitekey="{SITE_KEY}"'
ASKED = "Please complete the challenge."
PASSED = {"success": True, "hostname": "127.0.0.1", "error-codes": []}
REFUSED = {"success": False, "error-codes": ["invalid-input-response"]}
TOKEN_FIELD = "cf-turnstile-response"
PROVIDER_ORIGIN = "https://challenges.cloudflare.com"


def challenge_site(store_url: str, provider: RecordingHTTPServer, **limits: int) -> UvicornProcess:
    config = {
        "challenge": {
            "provider": "turnstile",
            "site_key": SITE_KEY,
            "secret_key": SECRET,
            "verify_url": f"{provider.url}/siteverify",
            "after_sends_per_requester": 3,
            "site_budget_threshold": 0.5,
        },
        # No resend interval: a test cannot move the server's clock past 30 s.
        "limits": {"resend_interval_seconds": 0, **limits},
    }
    return serve(store_url, config)


def signup(browser: Browser, n: int, **extra: str) -> tuple[int, str]:
    answer = browser.post("/auth/signup", {"identifier": f"1370000{n:04d}", **extra})
    return answer.status_code, answer.text


def test_a_requester_is_asked_after_n_sends_and_only_a_passed_challenge_sends(
    store_url: str,
) -> None:
    with RecordingHTTPServer() as provider, challenge_site(store_url, provider) as site:
        bot, person = Browser(site, "127.0.0.2"), Browser(site, "127.0.0.3")
        try:
            page = bot.client.get("/auth/signup")
            assert WIDGET not in page.text
            assert PROVIDER_ORIGIN in page.headers["content-security-policy"]
            # The first three sends need no challenge.
            assert [signup(bot, n)[0] for n in range(3)] == [303, 303, 303]
            assert len(outbox(site)) == 3
            assert WIDGET in bot.client.get("/auth/signup").text  # asked from now on

            # Without a token: 422, the widget, nothing sent, the provider not even asked.
            status, text = signup(bot, 3)
            assert status == 422 and ASKED in text and WIDGET in text
            assert len(outbox(site)) == 3 and provider.requests == []

            # A token the provider refuses: 422, nothing sent.
            provider.respond(200, REFUSED)
            status, text = signup(bot, 3, **{TOKEN_FIELD: "forged-token"})
            assert status == 422 and ASKED in text
            assert len(outbox(site)) == 3

            # The provider is down: the 503 page, nothing sent (fail closed).
            provider.respond(503, b"busy")
            down = bot.post("/auth/signup", {"identifier": "13700000003", TOKEN_FIELD: "t"})
            assert down.status_code == 503 and "Temporarily unavailable" in down.text
            assert len(outbox(site)) == 3

            # A token the provider accepts: the code goes out.
            provider.respond(200, PASSED)
            before = len(provider.requests)
            status, _ = signup(bot, 3, **{TOKEN_FIELD: "solved-token"})
            assert status == 303
            assert len(outbox(site)) == 4
            assert "+8613700000003" in {m["recipient"] for m in outbox(site)}
            [asked] = provider.requests[before:]
            assert asked.path == "/siteverify"
            assert asked.form() == {
                "secret": SECRET,
                "response": "solved-token",
                "remoteip": "127.0.0.2",
            }

            # Another requester is not asked.
            assert WIDGET not in person.client.get("/auth/signup").text
            assert person.post("/auth/signup", {"identifier": "13512345678"}).status_code == 303
            assert "+8613512345678" in {m["recipient"] for m in outbox(site)}
        finally:
            bot.close()
            person.close()


def test_a_resend_asks_too(store_url: str) -> None:
    with RecordingHTTPServer() as provider, challenge_site(store_url, provider) as site:
        bot = Browser(site, "127.0.0.4")
        try:
            assert bot.post("/auth/login", {"identifier": "13700001111"}).status_code == 303
            assert bot.post("/auth/login/resend", {}).status_code == 303
            assert bot.post("/auth/login/resend", {}).status_code == 303
            code_page = bot.client.get("/auth/login/code")
            assert WIDGET in code_page.text  # in the resend form
            refused = bot.post("/auth/login/resend", {})
            assert refused.status_code == 422 and ASKED in refused.text
            assert provider.requests == []
            provider.respond(200, PASSED)
            resent = bot.post("/auth/login/resend", {TOKEN_FIELD: "solved"})
            assert resent.status_code == 303 and "notice=resent" in resent.headers["location"]
            assert provider.requests[0].form()["remoteip"] == "127.0.0.4"
        finally:
            bot.close()


def test_past_the_site_budget_threshold_everyone_is_asked(store_url: str) -> None:
    # app_per_day 10 at threshold 0.5: the 6th send of the day needs a challenge, from anyone.
    with (
        RecordingHTTPServer() as provider,
        challenge_site(store_url, provider, app_per_day=10) as site,
    ):
        browsers = [Browser(site, f"127.0.1.{n}") for n in range(1, 5)]
        try:
            for n, browser in enumerate([*browsers[:3], *browsers[:2]]):
                assert signup(browser, n)[0] == 303
            assert len(outbox(site)) == 5
            newcomer = browsers[3]
            assert WIDGET in newcomer.client.get("/auth/signup").text
            status, text = signup(newcomer, 9)
            assert status == 422 and ASKED in text
            assert len(outbox(site)) == 5
            provider.respond(200, PASSED)
            assert signup(newcomer, 9, **{TOKEN_FIELD: "solved"})[0] == 303
            assert len(outbox(site)) == 6
        finally:
            for browser in browsers:
                browser.close()


def test_without_a_challenge_the_csp_allows_no_provider_and_nobody_is_asked() -> None:
    with serve("memory", {"limits": {"resend_interval_seconds": 0}}) as site:
        bot = Browser(site, "127.0.0.9")
        try:
            page = bot.client.get("/auth/signup")
            policy = page.headers["content-security-policy"]
            assert "challenges.cloudflare.com" not in policy and "script-src" not in policy
            statuses = [signup(bot, n)[0] for n in range(5)]
            assert statuses == [303, 303, 303, 303, 429]  # the signup budget: 4, then 429
            refused = bot.post("/auth/signup", {"identifier": "13700000077"})
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
            assert ASKED not in signup(bot, 6)[1]
        finally:
            bot.close()


def test_the_pages_show_widget_challenges_only(clock: FakeClock) -> None:
    v3 = RecaptchaChallenge(site_key="k", secret_key="s", version=3)
    with pytest.raises(ValueError, match="reCAPTCHA v3"):
        build_app(MemoryStore(), clock, challenge=v3)
    turnstile = TurnstileChallenge(site_key="k", secret_key="s")
    with pytest.raises(ValueError, match="challenge_site_threshold"):
        build_app(MemoryStore(), clock, challenge=turnstile, challenge_site_threshold=1.5)


# ------------------------------------------------------ how long the pages keep asking


def gate(clock: FakeClock, **options: int) -> ChallengeGate:
    return ChallengeGate(
        TurnstileChallenge(site_key="k", secret_key="s"),
        after_sends=3,
        site_threshold=0.8,
        window_seconds=3600,
        timezone="UTC",
        clock=clock,
        **options,
    )


def test_a_requester_is_asked_until_its_window_ends_or_a_send_shows_a_new_one(
    clock: FakeClock,
) -> None:
    asking = gate(clock)
    asking.observe("a", RequesterStats(2, 4, 2, 20), None)
    assert not asking.required("a")
    asking.observe("a", RequesterStats(3, 4, 3, 20), None)
    assert asking.required("a") and not asking.required("b")
    clock.advance(3599)
    assert asking.required("a")
    clock.advance(1)
    assert not asking.required("a")  # its window has ended at the latest
    asking.observe("a", RequesterStats(3, 4, 3, 20), None)
    asking.observe("a", RequesterStats(1, 4, 4, 20), None)  # a new window began
    assert not asking.required("a")


def test_everyone_is_asked_for_the_rest_of_the_day_once_the_threshold_is_passed(
    clock: FakeClock,
) -> None:
    asking = gate(clock)
    recipient = WindowCount(1, 10)

    def site_day(count: int) -> WindowCounts:
        return WindowCounts(recipient, recipient, recipient, WindowCount(count, 1000))

    asking.observe("a", None, site_day(799))
    assert not asking.required("b")
    asking.observe("a", None, site_day(800))
    assert asking.required("b")
    clock.advance(24 * 3600)  # the next calendar day
    assert not asking.required("b")


def test_the_remembered_requesters_are_bounded(clock: FakeClock) -> None:
    asking = gate(clock, max_remembered=2)
    for key in ("a", "b", "c"):
        asking.observe(key, RequesterStats(3, 4, 3, 20), None)
    assert [asking.required(k) for k in ("a", "b", "c")] == [False, True, True]
