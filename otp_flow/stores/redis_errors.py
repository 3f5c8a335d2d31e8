"""What a Redis failure looks like to the code calling redis-py, written once for every store.

Besides redis-py's own exceptions (``RedisError``, ``RedisClusterException``) and the OS's
(``OSError``), a connection torn down while a command is on it (the client closed under another
task, e.g. by a Cluster client's reinitialisation) surfaces from inside redis-py as
``AttributeError`` ("'NoneType' object has no attribute 'writelines'") or, on uvloop,
``RuntimeError`` ("the handler is closed"). Those two count as an outage only when redis-py's
own code raised them, so a mistake of ours is never hidden as a 503.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import RedisClusterException, RedisError

from otp_flow.errors import StoreUnavailable

__all__ = ["REDIS_ERRORS", "redis_unavailable"]

#: Every failure of the client or the server; each one becomes StoreUnavailable.
REDIS_ERRORS = (RedisError, RedisClusterException, OSError)
#: Client-state errors that are an outage when raised inside redis-py (see above).
_TORN_CONNECTION_ERRORS = (AttributeError, RuntimeError)


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
def redis_unavailable(message: str | None = None) -> Iterator[None]:
    """Around a redis-py call: its failures become ``StoreUnavailable(message)`` (by default
    "Redis failed: <the error>")."""
    try:
        yield
    except REDIS_ERRORS as exc:
        raise StoreUnavailable(message or f"Redis failed: {exc}") from exc
    except _TORN_CONNECTION_ERRORS as exc:
        if not _raised_inside_redis_py(exc):
            raise
        raise StoreUnavailable(message or f"Redis failed: {exc!r}") from exc
