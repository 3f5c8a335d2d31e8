"""Where codes, counters and quotas live: the store protocols and the two shipped stores.

``MemoryStore`` (one process: development, tests, a single worker) and ``RedisStore`` (Redis or
Redis Cluster; every read-then-write is one Lua script). ``QuotaAdmin`` reads and sets the
clients' SMS and email quotas (``RedisQuotaAdmin`` on Redis). An application writing its own
store implements ``OTPStore`` with the request and outcome values of ``base`` (and, for the pages,
the signed APIs and the dev outbox, ``NonceStore``, ``ThrottleStore`` and ``OutboxStore``).
"""

import importlib
import typing

from otp_flow.stores.base import (
    IssueOutcome,
    IssueRequest,
    NonceStore,
    OTPStore,
    OutboxStore,
    RefusedBy,
    RequesterChecks,
    RequesterSends,
    ThrottleOutcome,
    ThrottleStore,
    VerifyOutcome,
    VerifyRequest,
    VerifyStatus,
    Window,
)
from otp_flow.stores.memory import MemoryStore

if typing.TYPE_CHECKING:
    from otp_flow.stores._quotas import QuotaAdmin, RedisQuotaAdmin
    from otp_flow.stores.redis import RedisStore

#: Imported on first use, so ``import otp_flow`` (which needs ``OTPStore``) does not load
#: redis-py for an application that keeps its codes in memory.
_LAZY = {
    "QuotaAdmin": "otp_flow.stores._quotas",
    "RedisQuotaAdmin": "otp_flow.stores._quotas",
    "RedisStore": "otp_flow.stores.redis",
}

__all__ = [
    "IssueOutcome",
    "IssueRequest",
    "MemoryStore",
    "NonceStore",
    "OTPStore",
    "OutboxStore",
    "QuotaAdmin",
    "RedisQuotaAdmin",
    "RedisStore",
    "RefusedBy",
    "RequesterChecks",
    "RequesterSends",
    "ThrottleOutcome",
    "ThrottleStore",
    "VerifyOutcome",
    "VerifyRequest",
    "VerifyStatus",
    "Window",
]


def __getattr__(name: str) -> typing.Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
