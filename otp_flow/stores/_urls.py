"""Which store a URL names: ``"memory"`` or a Redis URL, and how a Redis Cluster URL reads.

Read by the configuration's ``store`` key (checked at start-up) and by ``_redis_support.connect``
(``RedisStore.from_url``), so both agree on the schemes. Imports redis-py only to check a Redis
URL: a memory deployment never loads it.
"""

from __future__ import annotations

__all__ = ["REDIS_SCHEMES", "check_store_url", "plain_redis_url"]

REDIS_SCHEMES = ("redis://", "rediss://", "redis+cluster://", "rediss+cluster://", "unix://")


def plain_redis_url(url: str) -> tuple[str, bool]:
    """``url`` as redis-py reads it, and whether it names a Redis Cluster (``+cluster``)."""
    scheme, sep, rest = url.partition("://")
    return scheme.removesuffix("+cluster") + sep + rest, scheme.endswith("+cluster")


def check_store_url(url: str) -> None:
    """``"memory"`` or a Redis URL that parses; a ``ValueError`` naming the key ``store``."""
    if url == "memory":
        return
    if not url.startswith(REDIS_SCHEMES):
        raise ValueError(f'store must be "memory" or a Redis URL ({", ".join(REDIS_SCHEMES)})')
    from redis.asyncio.connection import parse_url

    try:  # A URL that does not parse would fail at the first request: check it now.
        parse_url(plain_redis_url(url)[0])
    except ValueError as exc:
        raise ValueError(f"store is not a valid Redis URL: {exc}") from exc
