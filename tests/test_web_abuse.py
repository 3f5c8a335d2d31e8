"""The issue-10 findings, each reproduced as an attacker would: over real HTTP (the demo under
uvicorn in a child process), on the memory store and on Redis, with requesters on different
loopback addresses (127.0.0.0/8 all reach the server on Linux).

Codes are read from the demo's ``/dev/outbox.json``, as a developer would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.uvicorn_harness import UvicornProcess

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VICTIM_PHONE = "13612345678"
VICTIM_E164 = "+8613612345678"
PASSWORD = "correct horse battery staple"


class Browser:
    """One person's browser: its own cookies, connecting from its own loopback address."""

    def __init__(self, site: UvicornProcess, address: str) -> None:
        transport = httpx.HTTPTransport(local_address=address)
        self.client = httpx.Client(transport=transport, base_url=site.url, timeout=30)
        self.token = ""

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        """POST a form with this browser's CSRF token (fetched again once it stops working:
        signing in or out rotates it)."""
        if self.token:
            response = self.client.post(path, data={"csrf_token": self.token, **data})
            if response.status_code != 403:
                return response
        page = self.client.get("/auth/reset_password")  # renders, signed in or not
        match = _CSRF.search(page.text)
        assert match, page.text
        self.token = match.group(1)
        return self.client.post(path, data={"csrf_token": self.token, **data})

    def close(self) -> None:
        self.client.close()


def outbox(site: UvicornProcess) -> list[dict[str, Any]]:
    with httpx.Client(base_url=site.url) as client:
        entries: list[dict[str, Any]] = client.get("/dev/outbox.json").json()["messages"]
    return entries


def codes_to(site: UvicornProcess, recipient: str) -> list[str]:
    return [m["code"] for m in outbox(site) if m["recipient"] == recipient and m["code"]]


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory"
    url: str = request.getfixturevalue("redis_url")  # the suite's private redis-server
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


def serve(store_url: str, config: dict[str, Any] | None = None) -> UvicornProcess:
    env = {"OTP_ABUSE_STORE": store_url, "OTP_ABUSE_CONFIG": json.dumps(config or {})}
    return UvicornProcess("tests.abuse_site:create", env=env)


@pytest.fixture
def site(store_url: str) -> Iterator[UvicornProcess]:
    with serve(store_url) as running:
        yield running


@pytest.fixture
def browsers(site: UvicornProcess) -> Iterator[dict[str, Browser]]:
    made: dict[str, Browser] = {}

    class Factory(dict[str, Browser]):
        def __missing__(self, address: str) -> Browser:
            made[address] = Browser(site, address)
            return made[address]

    yield Factory()
    for browser in made.values():
        browser.close()


def sign_up(site: UvicornProcess, browser: Browser, identifier: str, recipient: str) -> None:
    """A whole signup with a password (the victim's own account)."""
    assert browser.post("/auth/signup", {"identifier": identifier}).status_code == 303
    code = codes_to(site, recipient)[0]
    assert browser.post("/auth/signup/code", {"code": code}).status_code == 303
    done = browser.post("/auth/signup/details", {"display_name": "Vic", "password": PASSWORD})
    assert done.status_code == 303, done.text
    assert browser.post("/auth/logout", {}).status_code == 303


# ---------------------------------------------------------------- F1: one requester, no limit


def test_one_requester_gets_at_most_10_codes_and_another_is_unaffected(
    site: UvicornProcess, browsers: dict[str, Browser]
) -> None:
    bot = browsers["127.0.0.2"]
    answers = [
        bot.post("/auth/signup", {"identifier": f"1370000{n:04d}"}).status_code for n in range(100)
    ]
    assert len(outbox(site)) <= 10
    refused = bot.post("/auth/signup", {"identifier": "13800000000"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 50 * 60  # the requester's window, not 30 s
    assert answers.count(303) == len(outbox(site))
    # Its login budget is separate, but small too: 100 login posts for unknown numbers (which
    # send nothing) still spend at most a handful of the site's day.
    logins = [
        bot.post("/auth/login", {"identifier": f"1390000{n:04d}"}).status_code for n in range(100)
    ]
    assert logins.count(303) + answers.count(303) <= 10
    # Somebody else, from another address, signs up as usual.
    person = browsers["127.0.0.3"]
    assert person.post("/auth/signup", {"identifier": "13512345678"}).status_code == 303
    assert codes_to(site, "+8613512345678")


# ---------------------------------------------------------------- F7: targeted lock-out


def test_one_requester_cannot_lock_a_chosen_user_out(store_url: str) -> None:
    # No resend interval here: the attacker's last code must not make the owner wait 30 s in
    # a test that cannot move the server's clock. Every other limit is the default.
    with serve(store_url, {"limits": {"resend_interval_seconds": 0}}) as site:
        owner = Browser(site, "127.0.0.5")
        attacker = Browser(site, "127.0.0.6")
        try:
            sign_up(site, owner, VICTIM_PHONE, VICTIM_E164)
            sent_before = len(codes_to(site, VICTIM_E164))
            statuses = [
                attacker.post("/auth/login", {"identifier": VICTIM_PHONE}).status_code
                for _ in range(40)
            ]
            assert statuses.count(303) <= 10  # far below the number's 30 a day
            assert len(codes_to(site, VICTIM_E164)) - sent_before <= 10
            wrong = [
                attacker.post(
                    "/auth/login", {"identifier": VICTIM_PHONE, "password": "guess"}
                ).status_code
                for _ in range(12)
            ]
            assert wrong[-1] == 429
            # The owner, from their own address, still gets a code and still signs in.
            assert owner.post("/auth/login", {"identifier": VICTIM_PHONE}).status_code == 303
            signed_in = owner.post(
                "/auth/login", {"identifier": VICTIM_PHONE, "password": PASSWORD}
            )
            assert signed_in.status_code == 303, signed_in.text
        finally:
            owner.close()
            attacker.close()


def test_one_requester_cannot_spend_the_sites_day(store_url: str) -> None:
    # A small site budget, so the test can see it: one requester stops far below it.
    with serve(store_url, {"limits": {"app_per_day": 40}}) as site:
        bots = [Browser(site, "127.0.0.7"), Browser(site, "127.0.0.8")]
        try:
            sent = 0
            for i, flow in enumerate(("signup", "login", "reset_password")):
                for n in range(30):  # different numbers: no resend interval stands in the way
                    number = f"13{7 + i}0001{n:04d}"
                    sent += bots[0].post(f"/auth/{flow}", {"identifier": number}).status_code == 303
            assert sent <= 10
            person = bots[1]
            assert person.post("/auth/signup", {"identifier": "13512345678"}).status_code == 303
            assert codes_to(site, "+8613512345678")
        finally:
            for bot in bots:
                bot.close()


# ---------------------------------------------------------------- F5: mailbox spellings


def spellings() -> list[str]:
    """35 ways to write one Gmail inbox."""
    found = {"jane.doe@gmail.com"}
    for n in range(20):
        found.add(f"jane.doe+{n}@gmail.com")
    found.update({"JANE.DOE@GMAIL.COM", "janedoe@gmail.com", "j.a.n.e.d.o.e@gmail.com"})
    found.update({"jane.doe@googlemail.com", "Jane.Doe+x@GoogleMail.com", "jan.edoe@gmail.com"})
    for n in range(5):
        found.add(f"j.anedoe+t{n}@googlemail.com")
    found.update({"janed.oe@gmail.com", "ja.ne.doe@gmail.com", "JaneDoe+News@Gmail.com"})
    return sorted(found)


def test_35_spellings_of_one_inbox_share_one_recipient_limit(site: UvicornProcess) -> None:
    addresses = spellings()
    assert len(addresses) == 35
    answers = []
    for n, address in enumerate(addresses):
        # Each from its own address: only the recipient's limits stand in the way.
        browser = Browser(site, f"127.0.1.{n + 1}")
        try:
            answers.append(browser.post("/auth/signup", {"identifier": address}).status_code)
        finally:
            browser.close()
    assert answers.count(303) == 1  # the 30 s resend interval holds for every spelling
    delivered = [m for m in outbox(site) if m["code"]]
    assert [m["recipient"] for m in delivered] == [addresses[0].lower()]  # as typed


# ---------------------------------------------------------------- F4: the owner's password


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(
    site: UvicornProcess, browsers: dict[str, Browser]
) -> None:
    owner, stranger = browsers["127.0.0.11"], browsers["127.0.0.12"]
    sign_up(site, owner, VICTIM_PHONE, VICTIM_E164)
    for _ in range(10):
        guess = {"identifier": VICTIM_PHONE, "password": "wrong guess"}
        assert stranger.post("/auth/login", guess).status_code == 422
    refused = stranger.post("/auth/login", {"identifier": VICTIM_PHONE, "password": PASSWORD})
    assert refused.status_code == 429
    mine = owner.post("/auth/login", {"identifier": VICTIM_PHONE, "password": PASSWORD})
    assert mine.status_code == 303, mine.text


def test_one_requester_cannot_spray_a_password_across_accounts(
    site: UvicornProcess, browsers: dict[str, Browser]
) -> None:
    sprayer = browsers["127.0.0.13"]
    statuses = [
        sprayer.post(
            "/auth/login", {"identifier": f"1370002{n:04d}", "password": "Summer2026!"}
        ).status_code
        for n in range(50)
    ]
    assert statuses.count(422) == 30
    assert set(statuses[30:]) == {429}


# ---------------------------------------------------------------- code checks per requester


def test_one_requester_cannot_check_codes_without_end(
    site: UvicornProcess, browsers: dict[str, Browser]
) -> None:
    guesser = browsers["127.0.0.14"]
    statuses = []
    for n in range(7):  # a new code now and then, five guesses at each
        assert guesser.post("/auth/signup", {"identifier": f"1370003{n:04d}"}).status_code in (
            303,
            429,
        )
        statuses += [
            guesser.post("/auth/signup/code", {"code": "000000"}).status_code for _ in range(5)
        ]
    assert statuses.count(429) >= 1
    assert len([s for s in statuses if s != 429]) <= 30
