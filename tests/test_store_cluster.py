"""What only a Redis Cluster can show about the Redis store: a cluster URL gives a cluster client,
clients' keys spread over every master (each client's keys on one, by its hash tag), and scripts
reload on every primary after a flush.

The whole store contract runs on the cluster too: tests/test_store_contract.py (and the token
store's tests) are marked ``every_store``, which adds ``cluster`` to their ``store`` backends.
"""

from __future__ import annotations

from redis.asyncio.cluster import RedisCluster

from otp_flow.stores.redis import RedisStore
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
