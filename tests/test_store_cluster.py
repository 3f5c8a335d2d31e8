"""What only a Redis Cluster can show about the Redis store: a cluster URL gives a cluster client,
clients' keys spread over every master (each client's keys on one, by its hash tag), and scripts
reload on every primary after a flush.

The whole store contract runs on the cluster too: tests/test_store_contract.py (and the token
store's tests) are marked ``every_store``, which adds ``cluster`` to their ``store`` backends.
"""

from __future__ import annotations

import asyncio

from redis.asyncio.cluster import RedisCluster

from otp_flow.stores.redis import RedisStore
from otp_flow.users import RedisUserStore
from tests.redis_harness import RedisClusterServers
from tests.test_store_contract import PHONE, T, issue_request, verify_request


async def test_cluster_url_scheme_gives_a_cluster_client(
    redis_cluster: RedisClusterServers,
) -> None:
    store = RedisStore.from_url(redis_cluster.url.replace("redis://", "redis+cluster://"))
    try:
        assert isinstance(store.redis, RedisCluster)
        await store.ping()
    finally:
        await store.aclose()


async def test_clients_spread_over_the_nodes(cluster_store: RedisStore) -> None:
    assert isinstance(cluster_store.redis, RedisCluster)
    nodes = set()
    for n in range(30):
        client = f"client-{n}"
        request = issue_request(client=client)
        assert (await cluster_store.issue(request)).accepted
        check = verify_request(T + 1, client=client, challenge_id=request.challenge_id)
        assert (await cluster_store.verify(check)).status == "verified"
        node = cluster_store.redis.get_node_from_key(cluster_store.key(client, "r", PHONE))
        nodes.add(node.name)
    assert len(nodes) == 3  # every master took part, each running the multi-key scripts


async def test_scripts_reload_on_every_node_after_script_flush(cluster_store: RedisStore) -> None:
    for n in range(10):
        await cluster_store.issue(issue_request(client=f"client-{n}"))
    await cluster_store.redis.script_flush()  # on every primary
    for n in range(10):
        client = f"client-{n}"
        check = verify_request(T + 1, client=client)
        assert (await cluster_store.verify(check)).status == "verified"


async def test_a_burst_from_a_fresh_client_is_answered_by_the_limits(
    redis_cluster: RedisClusterServers,
) -> None:
    # A fresh cluster client sends its first calls to whichever node it picks and gets MOVED;
    # redis-py's default reinitialised the whole client on every 5th MOVED, closing connections
    # other tasks were using, and some sends failed (some with client errors that were no
    # RedisError, i.e. a 500). Every send of every round must be answered by the limits alone.
    for round_ in range(4):
        store = RedisStore.from_url(redis_cluster.url, cluster=True)
        try:
            requests = [issue_request(client=f"burst-{round_}-{n}") for n in range(64)]
            outcomes = await asyncio.gather(*(store.issue(r) for r in requests))
        finally:
            await store.aclose()
        assert all(outcome.accepted for outcome in outcomes)


async def test_users_are_found_in_one_script_on_the_cluster(cluster_store: RedisStore) -> None:
    # find_user.lua reads a user hash it builds the key of: same hash tag, so the same slot.
    users = RedisUserStore(cluster_store)
    ann = await users.create(display_name="Ann", phone_number="+8613612345678", email="a@b.cn")
    assert await users.find_by_phone("+8613612345678") == ann
    assert await users.find_by_email("a@b.cn") == ann
    assert await users.find_by_phone("+8613612345679") is None
