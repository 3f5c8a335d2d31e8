"""Fault drills: outages and abuse against the JSON APIs over real sockets, outcomes asserted.

Each drill runs the API app (all three dialects) in a uvicorn process (tests/drill_helpers.py) on a
private Redis, with messages going to the outbox (otp_flow's development sender) or to a real SMTP
server, and prints what it counted (``pytest -s`` shows it): requests and answers by status.
The drills assert outcomes only (status codes, what verifies when); how long answers take is
measured by ``python -m bench.outage``, on the same load (tests/outage_load.py). A restart while
idle costing no request is tests/test_store_redis.py's (ten stale connections used at once).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from collections.abc import Iterator

import pytest
from redis import asyncio as aioredis

from otp_flow.engine import OTPEngine
from otp_flow.errors import NoChallenge
from otp_flow.stores.redis import RedisStore
from otp_flow.web.api import _onlyid as onlyid_dialect
from tests.drill_helpers import (
    CIAM,
    DIALECTS,
    ONLYID,
    Outbox,
    Tally,
    call,
    ciam_request,
    e164,
    is_dialect_503,
    post_all,
)
from tests.outage_load import (
    BACK,
    DOWN,
    HANG_GUARD,
    UP,
    WORKERS,
    MixedLoad,
    run_outage,
    served,
)
from tests.redis_harness import RedisServer
from tests.smtp_harness import SMTPServer

#: The code OnlyID is asked to send in the SMTP drill.
CODE = "424242"
#: The store's socket_timeout while Redis is frozen: the only thing that ends those requests,
#: and still far above what a healthy answer takes on a busy machine (the phases around the
#: freeze must all succeed).
FROZEN_TIMEOUT = 3.0


def check_outage(load: MixedLoad) -> None:
    # Never a 500, whenever the request ran: a 200, a refusal (a code the outage lost) or a 503.
    for _start, _end, answer in load.answers:
        assert answer.status in (200, 400, 503), answer
        assert answer.status != 503 or is_dialect_503(answer), answer
    assert all(a.status == 200 for a in load.within(UP))
    down = load.within(DOWN)
    assert down and all(is_dialect_503(a) for a in down)  # no verify (nor send) succeeds
    assert {a.operation for a in down} == {"send", "verify"}
    assert {a.dialect for a in down} == set(DIALECTS)
    # Back without restarting the app: every request that ran wholly after recovery succeeds,
    # sends and verifies of codes issued after it (run_outage waits for 20 of each).
    back = load.within(BACK)
    assert all(a.status == 200 for a in back)
    assert {(a.operation, a.dialect) for a in back} == {
        (operation, dialect) for operation in ("send", "verify") for dialect in DIALECTS
    }


async def test_redis_killed_under_load_answers_503_then_recovers(
    private_redis: RedisServer,
) -> None:
    async with served(private_redis.url) as http:
        load = MixedLoad(http, Outbox(private_redis.url))
        await run_outage(load, private_redis.stop, private_redis.start, down_answers=90)
    check_outage(load)


async def test_redis_frozen_under_load_answers_503_then_recovers(
    private_redis: RedisServer,
) -> None:
    """SIGSTOP: the socket stays open and nothing answers, so only the store's socket timeout
    ends a request; without it the drill would never collect its answers while frozen."""
    process = private_redis.process
    assert process is not None

    def freeze() -> None:
        os.kill(process.pid, signal.SIGSTOP)

    def thaw() -> None:
        os.kill(process.pid, signal.SIGCONT)

    try:
        async with served(private_redis.url, timeout=FROZEN_TIMEOUT) as http:
            load = MixedLoad(http, Outbox(private_redis.url))
            await run_outage(load, freeze, thaw, down_answers=2 * WORKERS)
    finally:
        thaw()
    check_outage(load)


# ------------------------------------------------------------------------- delivery outage


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


async def test_smtp_down_sends_answer_503_the_codes_die_and_quotas_are_restored(
    private_redis: RedisServer, smtp: SMTPServer
) -> None:
    """CIAM and OnlyID clients with an email quota of 3 each; the SMTP server goes away."""
    delivered = 0
    store = RedisStore.from_url(private_redis.url)  # the drill's own look into Redis
    inspector = OTPEngine(secret_keys=["inspector-key-0123456789abcdef"], store=store)
    up, down, back = Tally("smtp up"), Tally("smtp down"), Tally("smtp back")
    try:
        async with served(private_redis.url, smtp_port=smtp.port) as http:
            for dialect in ("ciam", "onlyid"):
                up.add(await call(http, dialect, "send", f"{dialect}.first@example.com"))
            assert up.counts == {("send", 200): 2} and len(smtp.mails) == 2

            smtp.stop()
            for i in range(5):
                for dialect in ("ciam", "onlyid"):
                    # OnlyID is asked to send a code of its choosing, so the drill knows it.
                    answer = await call(
                        http, dialect, "send", f"{dialect}.{i}@example.com", code=CODE
                    )
                    down.add(answer)
                    assert is_dialect_503(answer), answer
            # The codes issued for those sends are dead: OnlyID refuses its own code as expired
            # (a live code with a wrong guess would say "wrong"), and nothing is pending for CIAM.
            for i in range(5):
                answer = await call(http, "onlyid", "verify", f"onlyid.{i}@example.com", code=CODE)
                down.add(answer)
                assert answer.status == 400, answer
                assert answer.body == {"error": onlyid_dialect.MESSAGES["zh"]["verify_failed"]}
                with pytest.raises(NoChallenge):
                    await inspector.verify_recipient(
                        f"ciam.{i}@example.com", CODE, client_id=CIAM.id, channel="email"
                    )
            used = [await store.quota_used(c.id, "email") for c in (CIAM, ONLYID)]
            assert used == [1, 1]  # ten failed sends, and only the first mails count

        # SMTP is back (a new server, so a new app process pointing at it): the quotas in Redis
        # still allow exactly 2 more emails per client, not 3 - 1 - 5.
        with SMTPServer() as smtp_back:
            async with served(private_redis.url, smtp_port=smtp_back.port) as http:
                for dialect in ("ciam", "onlyid"):
                    for i in range(3):
                        recipient = f"{dialect}.back{i}@example.com"
                        back.add(await call(http, dialect, "send", recipient))
            delivered = len(smtp_back.mails)
    finally:
        await inspector.aclose()
    for tally in (up, down, back):
        print(tally.line())
    print(f"email quota used after the outage: CIAM {used[0]}, OnlyID {used[1]}")
    assert back.counts == {("send", 200): 4, ("send", 400): 2}
    assert delivered == 4


# ---------------------------------------------------------------------------- script flush


async def test_script_flush_in_the_middle_of_a_run_fails_nothing(
    private_redis: RedisServer,
) -> None:
    admin = aioredis.Redis.from_url(private_redis.url)
    flushes = 0
    try:
        async with served(private_redis.url) as http:
            load = MixedLoad(http, Outbox(private_redis.url))
            workers = [asyncio.create_task(load.worker(i)) for i in range(WORKERS)]
            try:
                async with asyncio.timeout(HANG_GUARD):
                    for mark in range(30, 300, 30):  # a flush after every 30 answers

                        def reached(mark: int = mark) -> bool:
                            return len(load.answers) >= mark

                        await load.until(reached)
                        await admin.script_flush()
                        flushes += 1
                    await load.until(lambda: len(load.answers) >= 300)
            finally:
                load.stopped = True
                await asyncio.gather(*workers)
        errors = await admin.info("errorstats")
    finally:
        await admin.aclose()
    noscript = int(errors.get("errorstat_NOSCRIPT", {}).get("count", 0))
    tally = load.tally(UP)
    print(f"{tally.line()}; {flushes} SCRIPT FLUSH, {noscript} NOSCRIPT answers reloaded")
    assert [a.status for a in load.within(UP)] == [200] * len(load.answers)
    assert tally.counts["verify", 200] > 50
    assert noscript >= flushes  # each flush was felt, and each time the script came back


# ----------------------------------------------------------------------------------- abuse

PHONE = "13612345678"
#: The drill's rate limits: ten sends per recipient per minute; nothing else in the way.
TEN_PER_MINUTE = {
    "app_per_day": 0,
    "recipient_per_minute": 10,
    "recipient_per_hour": 0,
    "recipient_per_day": 0,
    "resend_interval_seconds": 0,
}


async def test_1000_concurrent_sends_to_one_phone_accept_exactly_the_limit(
    private_redis: RedisServer,
) -> None:
    """A thousand connections, one send each, all at once."""
    send = ciam_request("/otp/send", {"phone_number": PHONE})
    async with served(private_redis.url, limits=TEN_PER_MINUTE, fixed_clock=True) as http:
        port = http.base_url.port or 0
        answers = await post_all(port, [send] * 1000, connections=1000)
    statuses = Counter(status for status, _ in answers)
    errors = Counter(body.get("error") for status, body in answers if status != 200)
    print(f"1000 concurrent sends to one phone: {dict(statuses)}; refusals: {dict(errors)}")
    assert statuses == {200: 10, 400: 990}
    assert errors == {"sms_rate_limit_exceeded": 990}
    outbox = await Outbox(private_redis.url).messages()
    assert [m["recipient"] for m in outbox] == [e164(PHONE)] * 10


async def test_50_concurrent_verifies_of_one_code_succeed_exactly_once(
    private_redis: RedisServer,
) -> None:
    outbox = Outbox(private_redis.url)
    expired = {
        "ciam": {"error": "otp_expired"},
        "onlyid": {"error": onlyid_dialect.MESSAGES["zh"]["verify_failed"]},
    }
    async with served(private_redis.url) as http:
        for number, dialect in enumerate(DIALECTS):
            phone = f"1391234567{number}"
            sent = await call(http, dialect, "send", phone)
            code = await outbox.code(e164(phone))
            token = sent.body.get("otp_token", "") if dialect == "ciam" else ""
            answers = await asyncio.gather(
                *(call(http, dialect, "verify", phone, code=code, token=token) for _ in range(50))
            )
            tally = Tally(f"50 concurrent verifies of one code, {dialect}")
            for answer in answers:
                tally.add(answer)
            print(tally.line())
            assert tally.counts == {("verify", 200): 1, ("verify", 400): 49}
            for answer in answers:
                if answer.status == 400 and dialect == "yunpian":
                    assert answer.body["code"] == 40031  # expired or used
                elif answer.status == 400:
                    assert answer.body == expired[dialect]


async def test_10000_random_codes_against_one_challenge_compare_only_max_failures(
    private_redis: RedisServer,
) -> None:
    max_failures = 5
    async with served(private_redis.url, max_failures=max_failures) as http:
        sent = await call(http, "ciam", "send", PHONE)
        code = await Outbox(private_redis.url).code(e164(PHONE))
        token = sent.body["otp_token"]
        rng = random.Random(10_000)
        guesses: list[str] = []
        while len(guesses) < 10_000:
            guess = f"{rng.randrange(10**6):06d}"
            if guess != code:  # every guess is wrong, so only the limit decides
                guesses.append(guess)
        requests = [ciam_request("/otp/verify", {"otp_token": token, "code": g}) for g in guesses]
        answers = await post_all(http.base_url.port or 0, requests, connections=16, depth=8)
        right = await call(http, "ciam", "verify", PHONE, code=code, token=token)
    errors = Counter(body["error"] for _, body in answers)
    print(
        f"10000 random codes against one challenge: {dict(errors)}; "
        f"then the right code: {right.status} {right.body}"
    )
    assert {status for status, _ in answers} == {400}
    assert errors == {"invalid_otp": max_failures, "otp_attempts_exceeded": 10_000 - max_failures}
    # attempts_remaining 4, 3, 2, 1, 0: each compared guess counted exactly once.
    remaining = sorted(
        body["attempts_remaining"] for _, body in answers if "attempts_remaining" in body
    )
    assert remaining == list(range(max_failures))
    assert right.status == 400 and right.body == {"error": "otp_attempts_exceeded"}
