"""A mixed load through all three dialects while Redis fails and recovers, phase by phase.

Shared by the outage drills (tests/test_fault_drills.py, which assert the outcomes) and
``python -m bench.outage`` (which prints the latency figures): one definition of the load.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.drill_helpers import DIALECTS, Answer, DrillServer, Outbox, Tally, call, e164

#: The store's socket_timeout unless a drill needs a short one: so long that only a hang reaches
#: it, since a busy machine must never turn a slow answer into a 503 (drills assert outcomes).
PATIENT = 30.0
#: How long a drill waits for all of its answers: a guard against a hang, not a latency bound.
HANG_GUARD = 300
WORKERS = 12
BURST = 64


@asynccontextmanager
async def served(
    redis_url: str, *, connections: int = BURST, timeout: float = PATIENT, **options: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The API app on Redis (socket_timeout ``timeout``) in a uvicorn process, and a client
    with up to ``connections`` connections to it."""
    with DrillServer(redis_url, timeout=timeout, **options) as server:
        limits = httpx.Limits(max_connections=connections)
        client_timeout = 2 * timeout  # the app answers first (a 503 at its store's timeout)
        async with httpx.AsyncClient(
            base_url=server.url, timeout=client_timeout, limits=limits
        ) as http:
            yield http


# Phases of an outage drill, in order. A request "belongs" to a phase when it started and ended
# in it; requests that straddle a change are checked only for never being a 500.
UP, FAILING, DOWN, RECOVERING, BACK = range(5)
PHASE_NAMES = ("up", "failing", "down", "recovering", "back")


@dataclass(frozen=True)
class Issued:
    phone: str
    code: str
    token: str


@dataclass
class MixedLoad:
    """Workers sending and verifying (correct codes) through all three dialects until stopped."""

    http: httpx.AsyncClient
    outbox: Outbox
    phase: int = UP
    stopped: bool = False
    answers: list[tuple[int, int, Answer]] = field(default_factory=list)
    # Codes issued before the outage (UP) and after it (BACK): a restarted Redis lost the first.
    issued: dict[tuple[int, str], list[Issued]] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    phones: Iterator[int] = field(default_factory=lambda: iter(range(10**8)))

    async def worker(self, index: int) -> None:
        turn = index
        while not self.stopped:
            await self.one(turn)
            turn += 1

    async def burst(self, size: int) -> None:
        """``size`` sends at once: the app's Redis pool grows to hold that many connections."""
        await asyncio.gather(*(self.one(turn, send=True) for turn in range(size)))

    async def one(self, turn: int, *, send: bool = False) -> None:
        dialect = DIALECTS[turn % 3]
        started = self.phase
        epoch = BACK if started >= RECOVERING else UP
        pool = self.issued.setdefault((epoch, dialect), [])
        if pool and turn % 2 and not send:
            code = pool.pop()
            answer = await call(
                self.http, dialect, "verify", code.phone, code=code.code, token=code.token
            )
            if answer.status == 503:
                pool.append(code)  # not checked yet: keep it for another attempt
        else:
            phone = f"136{next(self.phones):08d}"
            answer = await call(self.http, dialect, "send", phone)
            if answer.status == 200:
                token = answer.body.get("otp_token", "")
                code = Issued(phone, await self.outbox.code(e164(phone)), token)
                pool.append(code)
        async with self.changed:
            self.answers.append((started, self.phase, answer))
            self.changed.notify_all()

    def within(self, phase: int) -> list[Answer]:
        return [a for start, end, a in self.answers if start == end == phase]

    def count(self, phase: int, operation: str | None = None, status: int | None = None) -> int:
        return sum(
            1
            for a in self.within(phase)
            if (operation is None or a.operation == operation)
            and (status is None or a.status == status)
        )

    async def until(self, done: Callable[[], bool]) -> None:
        async with self.changed:
            await self.changed.wait_for(done)

    def tally(self, phase: int) -> Tally:
        tally = Tally(PHASE_NAMES[phase])
        for answer in self.within(phase):
            tally.add(answer)
        return tally


async def run_outage(
    load: MixedLoad, fail: Callable[[], None], recover: Callable[[], None], down_answers: int
) -> None:
    """UP: a burst, then until 20 successful verifies; ``fail``; DOWN for ``down_answers``;
    ``recover``; BACK: a burst, then until 20 successful sends and 20 successful verifies.

    The bursts matter: a pool that grew in a peak keeps idle connections the outage never
    touched, and the first requests after recovery get them.
    """
    await load.burst(BURST)
    workers = [asyncio.create_task(load.worker(i)) for i in range(WORKERS)]
    try:
        async with asyncio.timeout(HANG_GUARD):
            await load.until(lambda: load.count(UP, "verify", 200) >= 20)
            load.phase = FAILING
            await asyncio.to_thread(fail)
            load.phase = DOWN
            await load.until(lambda: load.count(DOWN) >= down_answers)
            load.phase = RECOVERING
            await asyncio.to_thread(recover)
            load.phase = BACK
            await load.burst(BURST)
            await load.until(
                lambda: (
                    load.count(BACK, "send", 200) >= 20 and load.count(BACK, "verify", 200) >= 20
                )
            )
    finally:
        load.stopped = True
        await asyncio.gather(*workers, return_exceptions=True)
    for phase in range(5):
        print(load.tally(phase).line())
