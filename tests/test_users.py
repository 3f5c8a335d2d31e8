"""The user stores (memory, Redis, SQLite and PostgreSQL: one contract suite), password hashing
and the user hooks."""

from __future__ import annotations

import asyncio
import logging
import types
from typing import TYPE_CHECKING, TypeAlias

import pytest
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

import otp_flow.users
from otp_flow import StoreUnavailable
from otp_flow.passwords import Passwords
from otp_flow.stores.redis import RedisStore
from otp_flow.types import Recipient
from otp_flow.users import (
    CLEAR,
    IdentifierRequired,
    IdentifierTaken,
    MemoryUserStore,
    RedisUserStore,
    User,
    UserEvent,
    UserHooks,
    find_user,
)
from otp_flow.users.sql import SQLUserStore
from tests.redis_harness import free_port

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

PHONE, OTHER_PHONE, EMAIL = "+8613612345678", "+8613912345678", "ann@example.com"

Users: TypeAlias = MemoryUserStore | RedisUserStore | SQLUserStore


@pytest.fixture(params=["memory", "redis", "sqlite", "postgres"])
def users(request: pytest.FixtureRequest) -> Users:
    """The same contract test against every user store."""
    return request.getfixturevalue(f"{request.param}_users")  # type: ignore[no-any-return]


@pytest.fixture
def memory_users() -> MemoryUserStore:
    return MemoryUserStore(passwords=Passwords(parameters=CHEAPEST))


@pytest.fixture
def redis_users(redis_store: RedisStore) -> RedisUserStore:
    return RedisUserStore(redis_store, passwords=Passwords(parameters=CHEAPEST))


async def _sql_users(engine: AsyncEngine) -> SQLUserStore:
    users = SQLUserStore(engine, passwords=Passwords(parameters=CHEAPEST))
    await users.create_table()
    return users


@pytest.fixture
async def sqlite_users(sqlite_engine: AsyncEngine) -> SQLUserStore:
    return await _sql_users(sqlite_engine)


@pytest.fixture
async def postgres_users(postgres_engine: AsyncEngine) -> SQLUserStore:
    return await _sql_users(postgres_engine)


async def test_create_and_find(users: Users) -> None:
    ann = await users.create(display_name="Ann", phone_number=PHONE, email=EMAIL)
    assert ann == User(ann.id, "Ann", PHONE, EMAIL, False)
    assert await users.get(ann.id) == ann
    assert await users.find_by_phone(PHONE) == ann
    assert await users.find_by_email(EMAIL) == ann
    assert await users.find_by_phone(OTHER_PHONE) is None
    assert await users.find_by_email(PHONE) is None  # phones and emails are separate indexes
    assert await users.get("nobody") is None
    bo = await users.create(display_name="Bo", email="bo@example.com")
    assert bo.id != ann.id and bo.phone_number is None


async def test_find_user_looks_an_identifier_up_by_its_channel(users: Users) -> None:
    ann = await users.create(display_name="Ann", phone_number=PHONE, email=EMAIL)
    assert await find_user(users, Recipient("sms", PHONE)) == ann
    assert await find_user(users, Recipient("email", EMAIL)) == ann
    assert await find_user(users, Recipient("sms", OTHER_PHONE)) is None
    # The field each channel names is the one its identifier is kept in.
    assert Recipient("sms", PHONE).user_field == "phone_number"
    assert Recipient("email", EMAIL).user_field == "email"


async def test_an_identifier_belongs_to_one_user(users: Users) -> None:
    await users.create(display_name="Ann", phone_number=PHONE, email=EMAIL)
    with pytest.raises(IdentifierTaken) as phone_taken:
        await users.create(display_name="Bo", phone_number=PHONE, email="bo@example.com")
    assert phone_taken.value.field == "phone_number"
    with pytest.raises(IdentifierTaken) as email_taken:
        await users.create(display_name="Bo", phone_number=OTHER_PHONE, email=EMAIL)
    assert email_taken.value.field == "email"
    # Nothing of the refused users was kept.
    assert await users.find_by_email("bo@example.com") is None
    assert await users.find_by_phone(OTHER_PHONE) is None


async def test_update(users: Users) -> None:
    ann = await users.create(display_name="Ann", phone_number=PHONE)
    renamed = await users.update(ann.id, display_name="Annie")
    assert renamed.display_name == "Annie" and renamed.phone_number == PHONE
    moved = await users.update(ann.id, phone_number=OTHER_PHONE, email=EMAIL)
    assert (moved.phone_number, moved.email) == (OTHER_PHONE, EMAIL)
    assert await users.find_by_phone(PHONE) is None
    assert await users.find_by_phone(OTHER_PHONE) == moved
    assert await users.get(ann.id) == moved
    # The freed number can be someone else's now; a taken one cannot.
    bo = await users.create(display_name="Bo", phone_number=PHONE)
    with pytest.raises(IdentifierTaken):
        await users.update(bo.id, phone_number=OTHER_PHONE, display_name="Bob")
    assert await users.get(bo.id) == bo  # nothing changed, not even the name
    assert await users.update(moved.id, phone_number=OTHER_PHONE) == moved  # own value: fine
    with pytest.raises(KeyError):
        await users.update("nobody", display_name="x")


async def test_two_signups_racing_for_one_email_give_it_to_one(users: Users) -> None:
    results = await asyncio.gather(
        users.create(display_name="Ann", phone_number=PHONE, email=EMAIL),
        users.create(display_name="Bo", phone_number=OTHER_PHONE, email=EMAIL),
        return_exceptions=True,
    )
    created = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, IdentifierTaken)]
    assert len(created) == 1 and len(refused) == 1, results
    assert refused[0].field == "email"
    assert await users.find_by_email(EMAIL) == created[0]
    # The loser left nothing behind: its phone number is still free.
    loser_phone = OTHER_PHONE if created[0].phone_number == PHONE else PHONE
    assert await users.find_by_phone(loser_phone) is None


async def test_removing_an_identifier(users: Users) -> None:
    ann = await users.create(display_name="Ann", phone_number=PHONE, email=EMAIL)
    phone_only = await users.update(ann.id, email=CLEAR)
    assert (phone_only.phone_number, phone_only.email) == (PHONE, None)
    assert await users.get(ann.id) == phone_only
    assert await users.find_by_email(EMAIL) is None
    bo = await users.create(display_name="Bo", email=EMAIL)  # the freed address is free
    # The last identifier stays: removing it is refused and changes nothing.
    with pytest.raises(IdentifierRequired):
        await users.update(ann.id, phone_number=CLEAR, display_name="Annie")
    assert await users.get(ann.id) == phone_only
    with pytest.raises(IdentifierRequired):
        await users.update(ann.id, phone_number=CLEAR, email=CLEAR)
    # Swapping one for the other in one update is fine.
    swapped = await users.update(ann.id, phone_number=CLEAR, email="ann@example.org")
    assert (swapped.phone_number, swapped.email) == (None, "ann@example.org")
    assert await users.find_by_phone(PHONE) is None
    assert await users.find_by_email("ann@example.org") == swapped
    with pytest.raises(IdentifierTaken) as taken:  # a taken one is still refused
        await users.update(ann.id, email=EMAIL)
    assert taken.value.field == "email"
    assert await users.find_by_email(EMAIL) == bo
    with pytest.raises(KeyError):
        await users.update("nobody", email=CLEAR)


async def test_the_redis_update_script_itself_keeps_an_identifier(
    redis_users: RedisUserStore,
) -> None:
    """The script refuses to leave a user with no identifier even if the caller asks it to."""
    ann = await redis_users.create(display_name="Ann", phone_number=PHONE)
    key = redis_users._key
    keys = [key("user", ann.id), key("phone_number", PHONE), key("phone_number", "")]
    keys += [key("email", ""), key("email", "")]
    args = [ann.id, PHONE, "", "", "", "display_name", "Ann", "phone_number", "", "email", ""]
    assert await redis_users._update(keys=keys, args=args) == b"no_identifier"
    assert await redis_users.find_by_phone(PHONE) == ann


async def test_a_user_without_phone_and_email_cannot_be_created(users: Users) -> None:
    with pytest.raises(IdentifierRequired):
        await users.create(display_name="Nobody")
    assert isinstance(IdentifierRequired(), ValueError)


async def test_passwords(users: Users) -> None:
    ann = await users.create(display_name="Ann", email=EMAIL, password="correct horse")
    assert ann.has_password
    assert await users.check_password(ann.id, "correct horse")
    assert not await users.check_password(ann.id, "wrong horse")
    assert not await users.check_password("nobody", "correct horse")
    assert not await users.check_password("", "correct horse")
    bo = await users.create(display_name="Bo", phone_number=PHONE)
    assert not await users.check_password(bo.id, "")
    await users.set_password(bo.id, "battery staple")
    assert await users.check_password(bo.id, "battery staple")
    got = await users.get(bo.id)
    assert got is not None and got.has_password
    with pytest.raises(KeyError):
        await users.set_password("nobody", "battery staple")
    assert await users.get("nobody") is None


async def test_redis_users_live_under_their_hash_tag(redis_store: RedisStore) -> None:
    users = RedisUserStore(redis_store, passwords=Passwords(parameters=CHEAPEST))
    await users.create(display_name="Ann", phone_number=PHONE, password="correct horse")
    keys = sorted(k.decode() for k in await redis_store.redis.keys("*"))
    assert keys and all(k.startswith("otp:{web:users}:") for k in keys)
    user_key = next(k for k in keys if ":user:" in k)
    values = b" ".join(await redis_store.redis.hvals(user_key))
    assert b"correct horse" not in values and b"$argon2id$" in values


async def test_an_old_hash_is_upgraded_at_login(redis_store: RedisStore) -> None:
    cheap = RedisUserStore(redis_store, passwords=Passwords(parameters=CHEAPEST))
    ann = await cheap.create(display_name="Ann", email=EMAIL, password="correct horse")
    strong = RedisUserStore(redis_store, passwords=Passwords(parameters=RFC_9106_LOW_MEMORY))
    key = redis_store.key("web:users", "user", ann.id)
    before = await redis_store.redis.hget(key, "password")
    assert await strong.check_password(ann.id, "correct horse")
    after = await redis_store.redis.hget(key, "password")
    assert before != after and b"m=65536" in after
    assert await strong.check_password(ann.id, "correct horse")


async def test_redis_outage_is_store_unavailable() -> None:
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5)
    users = RedisUserStore(store, passwords=Passwords(parameters=CHEAPEST))
    try:
        with pytest.raises(StoreUnavailable):
            await users.find_by_phone(PHONE)
        with pytest.raises(StoreUnavailable):
            await users.create(display_name="Ann", phone_number=PHONE)
    finally:
        await store.aclose()


async def test_setting_a_password_of_nobody_creates_nobody(users: Users) -> None:
    with pytest.raises(KeyError):
        await users.set_password("nobody", "correct horse")
    assert await users.get("nobody") is None


@pytest.mark.parametrize("retries", [0, -1, 1.5, True])
def test_redis_users_refuse_a_bad_retry_count(redis_store: RedisStore, retries: object) -> None:
    with pytest.raises(ValueError, match="max_update_retries"):
        RedisUserStore(redis_store, max_update_retries=retries)  # type: ignore[arg-type]


def test_the_package_exports_every_public_name() -> None:
    """``otp_flow.users`` is a package now; everything it offered is still imported from it."""
    public = {
        name
        for name, value in vars(otp_flow.users).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(otp_flow.users.__all__) == public
    assert {
        "CLEAR",
        "Clear",
        "IdentifierField",
        "IdentifierRequired",
        "IdentifierTaken",
        "MemoryUserStore",
        "RedisKeyspace",
        "RedisUserStore",
        "User",
        "UserEvent",
        "UserHooks",
        "UserStore",
    } <= public


async def test_password_rules_and_the_default_cost() -> None:
    passwords = Passwords()
    assert passwords.problem("short") == "too_short"
    assert passwords.problem("x" * 1025) == "too_long"
    assert passwords.problem("long enough") is None
    with pytest.raises(ValueError):
        await passwords.hash("short")
    hashed = await passwords.hash("long enough")
    assert hashed.startswith("$argon2id$") and "m=65536" in hashed
    assert await passwords.verify(hashed, "long enough")
    assert not await passwords.verify(hashed, "long enough!")
    assert not await passwords.verify(None, "long enough")  # the dummy check
    assert not await passwords.verify("not a hash", "long enough")
    assert not passwords.needs_rehash(hashed)
    with pytest.raises(ValueError):
        Passwords(min_length=0)


async def test_hooks_run_in_order_and_a_failing_one_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hooks = UserHooks()
    seen: list[str] = []
    ann = User("1", "Ann")

    @hooks.after_signup
    async def first(event: UserEvent) -> None:
        seen.append(f"first {event.kind} {event.user.display_name}")

    @hooks.after_signup
    async def broken(event: UserEvent) -> None:
        raise RuntimeError("the CRM is down")

    @hooks.after_signup
    async def last(event: UserEvent) -> None:
        seen.append("last")

    @hooks.after_login
    async def login(event: UserEvent) -> None:
        seen.append(f"login by {event.method}")

    with caplog.at_level(logging.ERROR, logger="otp_flow"):
        await hooks.fire(UserEvent("signup", ann))
    assert seen == ["first signup Ann", "last"]
    assert "the CRM is down" in caplog.text
    await hooks.fire(UserEvent("login", ann, method="password"))
    await hooks.fire(UserEvent("reset_password", ann))  # no hook: nothing happens
    assert seen[-1] == "login by password"
    with pytest.raises(ValueError):
        hooks.register("logout", login)  # type: ignore[arg-type]
