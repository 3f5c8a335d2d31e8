"""F2: a login page for a known and for an unknown identifier take the same time, account
lookup included (the silent send's padding starts before the lookup, and the lookup does the
same work either way)."""

from __future__ import annotations

from argon2.profiles import CHEAPEST

from otp_flow.passwords import Passwords
from otp_flow.senders._outbox import OutboxSender
from otp_flow.stores.memory import MemoryStore
from otp_flow.users import MemoryUserStore, User
from otp_flow.web.flows import SendTimer
from tests.conftest import FakeClock
from tests.test_web_hardening import Latency
from tests.web_helpers import open_site

INDEX_READ, USER_READ = 0.01, 0.04


class SlowUsers(MemoryUserStore):
    """A user store that costs what a Redis one does: an index read, then (for an account) a
    user read, each taking its time on the timer's clock."""

    def __init__(self, ticks: FakeClock) -> None:
        super().__init__(passwords=Passwords(parameters=CHEAPEST))
        self.ticks = ticks

    async def get(self, user_id: str) -> User | None:
        self.ticks.advance(USER_READ)
        return await super().get(user_id)

    async def find_by_phone(self, phone_number: str) -> User | None:
        self.ticks.advance(INDEX_READ)
        found = await super().find_by_phone(phone_number)
        if found is not None:
            self.ticks.advance(USER_READ)
        return found


async def test_known_and_unknown_identifiers_take_the_same_time(clock: FakeClock) -> None:
    store = MemoryStore()
    ticks = FakeClock()

    async def sleep(seconds: float) -> None:
        ticks.advance(seconds)

    timer = SendTimer(timer=ticks, sleep=sleep, weight=1.0)
    sender = Latency(OutboxSender(store, clock=clock), ticks, {"sms": 0.02, "email": 0.02})
    users = SlowUsers(ticks)
    async with open_site(store, clock, sender=sender, send_timer=timer, users=users) as site:
        await users.create(display_name="Ann", phone_number="+8613612345678")
        await site.csrf()  # the CSRF cookie first: only the login posts are timed

        async def login_takes(identifier: str) -> float:
            started = ticks()
            await site.send_code("login", identifier)
            site.later()
            return round(ticks() - started, 6)

        known = await login_takes("13612345678")
        unknown = await login_takes("13612345679")
    assert known == unknown == INDEX_READ + USER_READ + 0.02
