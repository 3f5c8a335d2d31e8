"""The Redis store on a 3-master Redis Cluster: the multi-key scripts run because every key of
a client carries its hash tag, and scripts load on every primary.

The contract suite's core cases run here unchanged: they are imported below and pick up this
module's ``store`` fixture (the cluster store) instead of the conftest's parametrized one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio.cluster import RedisCluster

from otp_flow.stores.redis import RedisStore
from otp_flow.users import RedisUserStore
from tests.redis_harness import RedisClusterServers
from tests.test_store_contract import (  # noqa: F401  (collected by pytest as this module's)
    T,
    issue_request,
    test_accepted_send_replaces_the_challenge,
    test_app_day_window_counts_every_recipient_of_the_client,
    test_cancel_kills_the_challenge_and_refunds_quota,
    test_cancel_only_kills_the_same_challenge,
    test_clients_are_independent,
    test_count_of_an_older_window_id_counts_zero,
    test_failures_carry_over_to_the_next_code,
    test_minute_window_refuses_until_the_window_ends,
    test_nonce_is_forgotten_after_its_lifetime,
    test_nonce_is_remembered_for_its_lifetime,
    test_one_requester_cannot_use_up_a_recipients_day,
    test_outbox_is_bounded_and_newest_first,
    test_quota_refuses_when_used_up,
    test_requester_checks_are_capped_across_recipients,
    test_requester_window_starts_at_its_first_send_and_budgets_are_separate,
    test_resend_interval_refuses_until_it_ends,
    test_the_limit_that_refuses_longest_is_named,
    test_throttle_counts_every_counter_all_or_nothing,
    test_usages_are_independent,
    test_verify_expires_at_exactly_the_expiry,
    test_verify_names_a_replaced_challenge,
    test_verify_the_right_code_once,
    test_wrong_code_counts_failures_up_to_the_limit,
    verify_request,
)
from tests.test_tokens import (  # noqa: F401  (token families on the cluster too)
    test_families_expire_and_end,
    test_rotation_and_reuse,
    tokens_store,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterServers]:
    servers = RedisClusterServers(3)
    servers.start()
    yield servers
    servers.cleanup()


@pytest.fixture
async def store(cluster: RedisClusterServers) -> AsyncIterator[RedisStore]:
    store = RedisStore.from_url(cluster.url, cluster=True)
    await store.redis.flushdb()  # on every primary
    yield store
    await store.aclose()


async def test_cluster_url_scheme_gives_a_cluster_client(cluster: RedisClusterServers) -> None:
    store = RedisStore.from_url(cluster.url.replace("redis://", "redis+cluster://"))
    try:
        assert isinstance(store.redis, RedisCluster)
        await store.ping()
    finally:
        await store.aclose()


async def test_clients_spread_over_the_nodes(store: RedisStore) -> None:
    assert isinstance(store.redis, RedisCluster)
    nodes = set()
    for n in range(30):
        client = f"client-{n}"
        request = issue_request(client=client)
        assert (await store.issue(request)).accepted
        check = verify_request(T + 1, client=client, challenge_id=request.challenge_id)
        assert (await store.verify(check)).status == "verified"
        node = store.redis.get_node_from_key(store.key(client, "r", "+8613612345678"))
        nodes.add(node.name)
    assert len(nodes) == 3  # every master took part, each running the multi-key scripts


async def test_scripts_reload_on_every_node_after_script_flush(store: RedisStore) -> None:
    for n in range(10):
        await store.issue(issue_request(client=f"client-{n}"))
    await store.redis.script_flush()  # on every primary
    for n in range(10):
        client = f"client-{n}"
        assert (await store.verify(verify_request(T + 1, client=client))).status == "verified"


async def test_a_burst_from_a_fresh_client_is_answered_by_the_limits(
    cluster: RedisClusterServers,
) -> None:
    # A fresh cluster client sends its first calls to whichever node it picks and gets MOVED;
    # redis-py's default reinitialised the whole client on every 5th MOVED, closing connections
    # other tasks were using, and some sends failed (some with client errors that were no
    # RedisError, i.e. a 500). Every send of every round must be answered by the limits alone.
    for round_ in range(4):
        store = RedisStore.from_url(cluster.url, cluster=True)
        try:
            requests = [issue_request(client=f"burst-{round_}-{n}") for n in range(64)]
            outcomes = await asyncio.gather(*(store.issue(r) for r in requests))
        finally:
            await store.aclose()
        assert all(outcome.accepted for outcome in outcomes)


async def test_users_are_found_in_one_script_on_the_cluster(store: RedisStore) -> None:
    # find_user.lua reads a user hash it builds the key of: same hash tag, so the same slot.
    users = RedisUserStore(store)
    ann = await users.create(display_name="Ann", phone_number="+8613612345678", email="a@b.cn")
    assert await users.find_by_phone("+8613612345678") == ann
    assert await users.find_by_email("a@b.cn") == ann
    assert await users.find_by_phone("+8613612345679") is None
