"""What every Redis-backed store shares: which failures are an outage, the store an outage names,
and scripts loaded from the package that owns them."""

from __future__ import annotations

from importlib.resources import files

import pytest
import redis.asyncio as aioredis

from otp_flow.errors import StoreUnavailable
from otp_flow.passwords import Passwords
from otp_flow.stores._redis_support import commands, load_script, unavailable
from otp_flow.stores.redis import RedisStore
from otp_flow.tokens._redis import RedisTokenStore
from otp_flow.users import RedisUserStore
from otp_flow.web import RedisSessionStore
from tests.redis_harness import free_port


async def test_a_connection_torn_down_under_a_command_is_an_outage_not_a_500() -> None:
    # What a task sees when another task closed the client under it (a Cluster client's
    # reinitialisation, test_store_cluster.py): redis-py writes to a writer that is gone.
    torn = aioredis.Connection()  # never connected, as after a close: no writer
    with pytest.raises(StoreUnavailable) as caught, unavailable():
        await torn._send_packed_command([b"PING"])
    assert isinstance(caught.value.__cause__, AttributeError)
    with pytest.raises(StoreUnavailable), unavailable():
        raise OSError("connection refused")


@pytest.mark.parametrize("error", [AttributeError, RuntimeError])
def test_our_own_attribute_or_runtime_error_is_a_bug_to_see_not_an_outage(
    error: type[Exception],
) -> None:
    # Only inside redis-py do these mean a torn connection; raised by our code, a 503 would
    # hide the mistake.
    with pytest.raises(error), unavailable("the user store"):
        raise error("ours")


async def test_an_outage_names_the_store_that_failed() -> None:
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable, match=r"^Redis failed: "):
            await store.quota_used("demo", "sms")
        users = RedisUserStore(store, passwords=Passwords())
        with pytest.raises(StoreUnavailable, match=r"^the user store \(Redis\) failed$"):
            await users.get("ann")
        tokens = RedisTokenStore(store)
        with pytest.raises(StoreUnavailable, match=r"^the token store \(Redis\) failed$"):
            await tokens.end_user("ann")
        sessions = RedisSessionStore(store)
        with pytest.raises(StoreUnavailable, match=r"^the session store \(Redis\) failed$"):
            await sessions.create("ann", ttl_seconds=60)
    finally:
        await store.aclose()


async def test_a_script_is_loaded_from_the_package_that_owns_it(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        script = load_script(commands(client), "otp_flow.web", "create_session.lua")
        source = (files("otp_flow.web") / "lua" / "create_session.lua").read_text("utf-8")
        assert script.script == source  # type: ignore[attr-defined]
        # Each package's scripts stay in its own lua/ folder: no lookup in another's.
        with pytest.raises(FileNotFoundError):
            load_script(commands(client), "otp_flow.stores", "create_session.lua")
        # The file is read once; every store registering it shares the text.
        again = load_script(commands(client), "otp_flow.web", "create_session.lua")
        assert again.script is script.script  # type: ignore[attr-defined]
        await client.delete("{t}:s")
        assert await script(keys=["{t}:s"], args=["1.0", "digest", "61.0", 60]) == 1
        assert await client.hget("{t}:s", "digest") == b"61.0"
    finally:
        await client.delete("{t}:s")
        await client.aclose()
