"""The user store: a small async protocol so an application can plug in its own database.

otp_flow ships a memory (``_memory.py``), a Redis (``_redis.py``) and an SQL (``sql/``, an
optional extra, imported from ``otp_flow.users.sql``) implementation of ``UserStore``
(``_base.py``). ``update(user_id, email=CLEAR)`` removes an identifier (``_changes.py``); a user
always keeps a phone number or an email. Passwords are only ever stored hashed (see
``otp_flow.passwords``); ``check_password`` costs the same whether or not the user exists.
``UserHooks`` (``_hooks.py``) lets an application run its own code after signup, login, a userinfo
update or a password reset.
"""

from otp_flow.stores._redis_support import RedisKeyspace
from otp_flow.users._base import (
    IdentifierField,
    IdentifierTaken,
    PasswordUserStore,
    User,
    UserStore,
    changed_user,
    check_user_store,
)
from otp_flow.users._changes import CLEAR, Clear, IdentifierRequired
from otp_flow.users._hooks import (
    BeforeEvent,
    Guard,
    Hook,
    Refused,
    UserEvent,
    UserEventKind,
    UserHooks,
)
from otp_flow.users._lookup import UserLookup, find_user
from otp_flow.users._memory import MemoryUserStore
from otp_flow.users._redis import RedisUserStore

__all__ = [
    "CLEAR",
    "BeforeEvent",
    "Clear",
    "Guard",
    "Hook",
    "IdentifierField",
    "IdentifierRequired",
    "IdentifierTaken",
    "MemoryUserStore",
    "PasswordUserStore",
    "RedisKeyspace",
    "RedisUserStore",
    "Refused",
    "User",
    "UserEvent",
    "UserEventKind",
    "UserHooks",
    "UserLookup",
    "UserStore",
    "changed_user",
    "check_user_store",
    "find_user",
]
