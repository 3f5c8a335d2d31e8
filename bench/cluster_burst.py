"""A reproduction (not a benchmark): RedisStore on a fresh Redis Cluster client under a burst.

    python -m bench.cluster_burst [--rounds N] [--tasks N]

Each round starts a new ``RedisStore.from_url("redis+cluster://...")`` and sends ``--tasks``
codes at once through the engine, on a private 3-master cluster. Seen with redis-py 8.1: in some
rounds some sends fail with ConnectionError ("Connection closed by server", "Error UNKNOWN while
writing to socket") and some with AttributeError ("'NoneType' object has no attribute
'writelines'", or on uvloop RuntimeError "the handler is closed"), which are not RedisError and
so escape the store's StoreUnavailable: the API answers 500 ("unexpected error") instead of 503.
Prints what each round saw.

The cause (redis-py 8.1 asyncio RedisCluster): a fresh client sends a script call to a random
node first; the answer is MOVED, and every ``reinitialize_steps``-th MOVED (default 5, a count
shared by all tasks) runs ``RedisCluster.aclose()``, which closes every connection of every node,
including those other tasks are writing to or reading from at that moment. With
``reinitialize_steps=0`` a MOVED only patches that slot's entry and the bursts run clean (6 of 6
rounds here, against 2 of 6 without), so ``RedisStore.from_url``'s cluster branch now passes
``reinitialize_steps=0`` (tests/test_store_cluster.py holds the burst as a test); a full
reinitialisation still happens on connection errors and CLUSTERDOWN. ``--reinitialize-steps N``
builds the store's client with that value instead.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/cluster_burst.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.common import CLIENT, bench_engine, phone
from otp_flow.stores.redis import RedisStore
from tests.redis_harness import RedisClusterServers


def cluster_store(url: str, reinitialize_steps: int | None) -> RedisStore:
    """``RedisStore.from_url``'s store, or its cluster client with ``reinitialize_steps``."""
    if reinitialize_steps is None:
        return RedisStore.from_url(url)
    client = RedisCluster.from_url(
        url.replace("redis+cluster://", "redis://", 1),
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        retry_on_error=[RedisConnectionError],
        decode_responses=False,
        max_connections=100,
        reinitialize_steps=reinitialize_steps,
    )
    return RedisStore(client)


async def burst(url: str, first: int, tasks: int, steps: int | None) -> dict[str, int]:
    engine = bench_engine(cluster_store(url, steps), render=False)
    seen: collections.Counter[str] = collections.Counter()

    async def send(index: int) -> None:
        try:
            await engine.send(phone(index), client_id=CLIENT.id)
            seen["ok"] += 1
        except Exception as exc:  # what escapes is the finding
            seen[f"{type(exc).__name__}: {str(exc)[:70]}"] += 1

    await asyncio.gather(*(send(first + i) for i in range(tasks)))
    await engine.aclose()
    return dict(seen)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--reinitialize-steps", type=int)
    args = parser.parse_args(argv)
    steps = args.reinitialize_steps
    cluster = RedisClusterServers(3)
    cluster.start()
    try:
        url = cluster.url.replace("redis://", "redis+cluster://", 1)
        for round_ in range(args.rounds):
            seen = asyncio.run(burst(url, round_ * args.tasks, args.tasks, steps))
            print(f"round {round_ + 1}:", seen, flush=True)
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    main()
