"""What every Redis-backed store shares (codes, users, tokens, sessions), written once.

**Connections.** ``connect`` builds the one client they all use (``RedisStore.from_url``; the
stores of users, tokens and sessions borrow the ``RedisStore``'s): every wait bounded by the
timeout, a connection error retried once (a timeout never), and each redis-py default that
failed us under a burst or after a restart turned off, with the reason beside it.

**Failures.** Besides redis-py's own exceptions (``RedisError``, ``RedisClusterException``) and
the OS's (``OSError``), a connection torn down while a command is on it (the client closed under
another task, e.g. by a Cluster client's reinitialisation) surfaces from inside redis-py as
``AttributeError`` ("'NoneType' object has no attribute 'writelines'") or, on uvloop,
``RuntimeError`` ("the handler is closed"). Those two count as an outage only when redis-py's
own code raised them, so a mistake of ours is never hidden as a 503. ``unavailable(store)``
turns every outage into ``StoreUnavailable`` naming the store that failed; a script's reply of the
wrong shape (another version's script, or a foreign key in our keyspace) is ``unexpected_reply``.

**Scripts.** Each store keeps its Lua scripts beside its data, in its own package's ``lua/``
folder (one file per script, its KEYS / ARGV / returns at the top); ``load_script`` reads one
from there and registers it on the client.

**Types.** ``Commands`` types, once, what the stores call on either client (``RedisClient``: a
``redis.asyncio`` Redis or RedisCluster); ``RedisKeyspace`` is what the stores of users, tokens
and sessions need of the ``RedisStore`` whose Redis and key prefix they share.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError
from redis.maint_notifications import MaintNotificationsConfig

from otp_flow._checks import check_timeout
from otp_flow.errors import StoreUnavailable
from otp_flow.stores._urls import plain_redis_url

if TYPE_CHECKING:
    # The types-redis stubs make both clients generic, redis-py's own hints do not: accept both.
    RedisClient: TypeAlias = Redis | RedisCluster  # type: ignore[type-arg, unused-ignore]

__all__ = [
    "REDIS_ERRORS",
    "Commands",
    "RedisKeyspace",
    "Script",
    "commands",
    "connect",
    "load_script",
    "unavailable",
    "unexpected_reply",
]

#: Every failure of the client or the server; each one becomes StoreUnavailable.
REDIS_ERRORS = (RedisError, RedisClusterException, OSError)
#: Client-state errors that are an outage when raised inside redis-py (see above).
_TORN_CONNECTION_ERRORS = (AttributeError, RuntimeError)


def connect(url: str, *, socket_timeout: float, cluster: bool, max_connections: int) -> RedisClient:
    """A client of ``url`` (a Redis Cluster if ``cluster`` or a ``+cluster`` URL), replying
    bytes; what each option bounds is said by ``RedisStore.from_url``, which passes them on."""
    socket_timeout = check_timeout(socket_timeout, "socket_timeout")
    if max_connections < 1:
        raise ValueError("max_connections must be at least 1")
    url, named_cluster = plain_redis_url(url)
    timeout = socket_timeout
    retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
    if cluster or named_cluster:
        # max_connections is per node here, and the cluster client raises (so the caller
        # gets StoreUnavailable) instead of waiting for a free connection.
        # reinitialize_steps=0: a MOVED only updates that slot's node. redis-py's default
        # (5) reinitialises the client on every 5th MOVED, counted over all tasks, and that
        # closes every connection, including those other tasks are using: a fresh client's
        # first burst (each call sent to a guessed node, answered MOVED) then failed.
        # Connection errors and CLUSTERDOWN still reinitialise.
        return RedisCluster.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=retry,  # type: ignore[arg-type, unused-ignore]
            retry_on_error=[RedisConnectionError],
            decode_responses=False,
            max_connections=max_connections,
            reinitialize_steps=0,
        )
    # from_pool: the client owns the pool, so aclose() closes its connections too. The
    # blocking pool makes a burst wait (up to the timeout) instead of opening hundreds
    # of connections.
    return Redis.from_pool(  # type: ignore[attr-defined, unused-ignore]
        BlockingConnectionPool.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=retry,
            retry_on_error=[RedisConnectionError],
            decode_responses=False,
            max_connections=max_connections,
            timeout=timeout,
            # redis-py 8 skips its stale-connection check while maintenance
            # notifications are on ("auto" by default), handing out connections a Redis
            # restart killed; off, a dead connection is found before a command is sent.
            maint_notifications_config=MaintNotificationsConfig(enabled=False),
        )
    )


def _raised_inside_redis_py(exc: BaseException) -> bool:
    """The innermost Python frame of the traceback belongs to redis-py (uvloop's C code
    leaves no frame of its own, so its RuntimeError ends in redis-py's write)."""
    frame = exc.__traceback__
    if frame is None:
        return False
    while frame.tb_next is not None:
        frame = frame.tb_next
    module = str(frame.tb_frame.f_globals.get("__name__", ""))
    return module == "redis" or module.startswith("redis.")


@contextmanager
def unavailable(store: str | None = None) -> Iterator[None]:
    """Around a redis-py call: its failures become ``StoreUnavailable``, saying
    "<store> (Redis) failed" (e.g. ``unavailable("the user store")``) or, without a store,
    "Redis failed: <the error>"."""
    try:
        yield
    except REDIS_ERRORS as exc:
        raise StoreUnavailable(_message(store, str(exc))) from exc
    except _TORN_CONNECTION_ERRORS as exc:
        if not _raised_inside_redis_py(exc):
            raise
        raise StoreUnavailable(_message(store, repr(exc))) from exc


def _message(store: str | None, error: str) -> str:
    return f"{store} (Redis) failed" if store else f"Redis failed: {error}"


def unexpected_reply(reply: object) -> StoreUnavailable:
    """The error to raise for a reply no script of ours gives: the data cannot be trusted."""
    return StoreUnavailable(f"unexpected reply from Redis: {reply!r}")


class Script(Protocol):
    """A registered script: one EVALSHA per call (redis-py's ``AsyncScript``)."""

    def __call__(
        self, *, keys: Sequence[str], args: Sequence[str | bytes | int]
    ) -> Awaitable[Any]: ...


class Commands(Protocol):
    """What the stores call on either client, typed once (the stubs leave most of it Any)."""

    def register_script(self, script: str) -> Script: ...
    def hget(self, name: str, key: str) -> Awaitable[bytes | str | None]: ...
    def hmget(self, name: str, *keys: str) -> Awaitable[list[bytes | None]]: ...
    def hexists(self, name: str, key: str) -> Awaitable[bool]: ...
    def hset(self, name: str, key: str, value: str) -> Awaitable[int]: ...
    def hdel(self, name: str, *keys: str) -> Awaitable[int]: ...
    def delete(self, *names: str) -> Awaitable[int]: ...
    def lrange(self, name: str, start: int, end: int) -> Awaitable[list[bytes | str]]: ...
    def ping(self) -> Awaitable[object]: ...
    def aclose(self) -> Awaitable[None]: ...


class RedisKeyspace(Protocol):
    """What the Redis stores of users, tokens and sessions need of ``RedisStore``: its client
    (a ``redis.asyncio`` Redis or RedisCluster, bytes replies) and its one key prefix function."""

    redis: RedisClient

    def key(self, client_id: str, *parts: str) -> str: ...


def commands(client: RedisClient) -> Commands:
    """``client`` as the ``Commands`` the stores call (either client offers them all)."""
    return cast(Commands, client)


@cache
def _source(package: str, name: str) -> str:
    return (files(package) / "lua" / name).read_text(encoding="utf-8")


def load_script(client: Commands, package: str, name: str) -> Script:
    """The script ``lua/<name>`` of ``package`` (the package whose data it works on), registered
    on ``client``. Each file is read once per process, however many stores register it."""
    # redis-py sends EVALSHA and, on NOSCRIPT (after SCRIPT FLUSH, a restart or a failover),
    # loads the script and retries by itself; on a Cluster it loads it on every primary.
    return client.register_script(_source(package, name))
