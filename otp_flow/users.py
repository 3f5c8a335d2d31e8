"""The user store: a small async protocol so an application can plug in its own database.

otp_flow ships a memory and a Redis implementation. Passwords are only ever stored hashed (see
``otp_flow.passwords``); ``check_password`` costs the same whether or not the user exists.
``UserHooks`` lets an application run its own code after signup, login, a userinfo update or a
password reset.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

from redis.exceptions import RedisError

from otp_flow.errors import OTPError, StoreUnavailable
from otp_flow.passwords import Passwords

__all__ = [
    "IdentifierField",
    "IdentifierTaken",
    "MemoryUserStore",
    "RedisKeyspace",
    "RedisUserStore",
    "User",
    "UserEvent",
    "UserHooks",
    "UserStore",
]

log = logging.getLogger("otp_flow")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    display_name: str = ""
    phone_number: str | None = None  # E.164
    email: str | None = None  # normalised (lower-case)
    has_password: bool = False
    extra: dict[str, str] = field(default_factory=dict)


IdentifierField = Literal["phone_number", "email"]
_IDENTIFIER_FIELDS: tuple[IdentifierField, ...] = ("phone_number", "email")


class IdentifierTaken(OTPError):
    """The phone number or email address already belongs to another user."""

    def __init__(self, field: IdentifierField) -> None:
        super().__init__(f"this {field.replace('_', ' ')} is already registered")
        self.field: IdentifierField = field


@runtime_checkable
class UserStore(Protocol):
    async def get(self, user_id: str) -> User | None: ...

    async def find_by_phone(self, phone_number: str) -> User | None: ...

    async def find_by_email(self, email: str) -> User | None: ...

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        """Raise ``IdentifierTaken`` when the phone or email already belongs to a user."""
        ...

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | None = None,
        email: str | None = None,
    ) -> User:
        """Change the given fields (None = leave as is); ``IdentifierTaken`` as in ``create``."""
        ...

    async def set_password(self, user_id: str, password: str) -> None: ...

    async def check_password(self, user_id: str, password: str) -> bool:
        """Constant work whether or not the user exists or has a password (no timing oracle)."""
        ...


# ----------------------------------------------------------------------------------- hooks

UserEventKind = Literal["signup", "login", "update_userinfo", "reset_password"]


@dataclass(frozen=True, slots=True)
class UserEvent:
    """What happened: ``previous`` is the user before an update; ``method`` how they proved it."""

    kind: UserEventKind
    user: User
    previous: User | None = None
    method: Literal["code", "password"] = "code"


Hook = Callable[[UserEvent], Awaitable[None]]


class UserHooks:
    """Async callbacks run after an action has been committed.

    A failing hook is logged and does not undo the action or break the page: the person is
    already signed up (or in), and showing them an error would only make them try again.
    """

    def __init__(self) -> None:
        self._hooks: dict[UserEventKind, list[Hook]] = {}

    def register(self, kind: UserEventKind, hook: Hook) -> Hook:
        if kind not in ("signup", "login", "update_userinfo", "reset_password"):
            raise ValueError(f"unknown user event {kind!r}")
        self._hooks.setdefault(kind, []).append(hook)
        return hook

    def after_signup(self, hook: Hook) -> Hook:
        return self.register("signup", hook)

    def after_login(self, hook: Hook) -> Hook:
        return self.register("login", hook)

    def after_update_userinfo(self, hook: Hook) -> Hook:
        return self.register("update_userinfo", hook)

    def after_reset_password(self, hook: Hook) -> Hook:
        return self.register("reset_password", hook)

    async def fire(self, event: UserEvent) -> None:
        for hook in self._hooks.get(event.kind, ()):
            try:
                await hook(event)
            except Exception:
                log.exception("the %s hook %r failed", event.kind, hook)


# ---------------------------------------------------------------------------------- memory


class MemoryUserStore:
    """Users in a dict: for the demo, tests and single-process apps. Gone at restart."""

    def __init__(self, *, passwords: Passwords | None = None) -> None:
        self.passwords = passwords or Passwords()
        self._lock = threading.Lock()
        self._users: dict[str, User] = {}
        self._hashes: dict[str, str] = {}
        self._index: dict[tuple[str, str], str] = {}

    async def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    async def find_by_phone(self, phone_number: str) -> User | None:
        return self._find("phone_number", phone_number)

    async def find_by_email(self, email: str) -> User | None:
        return self._find("email", email)

    def _find(self, name: str, value: str) -> User | None:
        user_id = self._index.get((name, value))
        return self._users.get(user_id) if user_id else None

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        hashed = await self.passwords.hash(password) if password else None
        user = User(_new_id(), display_name, phone_number, email, hashed is not None)
        with self._lock:
            self._claim(user, None)
            self._users[user.id] = user
            if hashed:
                self._hashes[user.id] = hashed
        return user

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | None = None,
        email: str | None = None,
    ) -> User:
        with self._lock:
            old = self._users.get(user_id)
            if old is None:
                raise KeyError(user_id)
            new = _changed(old, display_name, phone_number, email)
            self._claim(new, old)
            self._users[user_id] = new
            return new

    def _claim(self, user: User, old: User | None) -> None:
        """Move the index entries from ``old`` to ``user``; all checks before any change."""
        for name in _IDENTIFIER_FIELDS:
            value = getattr(user, name)
            owner = self._index.get((name, value)) if value else None
            if owner is not None and owner != user.id:
                raise IdentifierTaken(name)
        for name in _IDENTIFIER_FIELDS:
            before, after = getattr(old, name, None), getattr(user, name)
            if before and before != after:
                del self._index[(name, before)]
            if after:
                self._index[(name, after)] = user.id

    async def set_password(self, user_id: str, password: str) -> None:
        hashed = await self.passwords.hash(password)
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise KeyError(user_id)
            self._hashes[user_id] = hashed
            self._users[user_id] = replace(user, has_password=True)

    async def check_password(self, user_id: str, password: str) -> bool:
        hashed = self._hashes.get(user_id)
        ok = await self.passwords.verify(hashed, password)
        if ok and hashed and self.passwords.needs_rehash(hashed):
            await self.set_password(user_id, password)
        return ok


# ----------------------------------------------------------------------------------- redis


class RedisKeyspace(Protocol):
    """What the Redis stores of users and sessions need of ``RedisStore``: its client (a
    ``redis.asyncio`` Redis or RedisCluster, bytes replies) and its one key prefix function."""

    redis: Any

    def key(self, client_id: str, *parts: str) -> str: ...


# KEYS: user hash, phone index, email index. ARGV: user id, phone, email, then the hash fields.
# Returns "ok", or the name of the identifier that is taken (nothing changed then).
_CREATE = """
if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 'phone_number' end
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then return 'email' end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[1]) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
return 'ok'
"""

# KEYS: user hash, then old and new index key of phone, then of email.
# ARGV: user id, old phone, new phone, old email, new email, then the hash fields to set.
# Returns "ok", "gone" (no such user), "stale" (changed since it was read: read again and retry)
# or the name of the identifier that is taken. All checks run before any write.
_UPDATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local cur = redis.call('HMGET', KEYS[1], 'phone_number', 'email')
if (cur[1] or '') ~= ARGV[2] or (cur[2] or '') ~= ARGV[4] then return 'stale' end
local names = {'phone_number', 'email'}
for i = 1, 2 do
  local old, new = ARGV[2 * i], ARGV[2 * i + 1]
  if new ~= old and new ~= '' then
    local owner = redis.call('GET', KEYS[2 * i + 1])
    if owner and owner ~= ARGV[1] then return names[i] end
  end
end
for i = 1, 2 do
  local old, new = ARGV[2 * i], ARGV[2 * i + 1]
  if new ~= old then
    if old ~= '' then redis.call('DEL', KEYS[2 * i]) end
    if new ~= '' then redis.call('SET', KEYS[2 * i + 1], ARGV[1]) end
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
return 'ok'
"""

_FIELDS = ("display_name", "phone_number", "email", "password", "extra")


class RedisUserStore:
    """Users in Redis, beside the codes: one hash per user plus one index key per phone / email.

    ``keyspace`` is the ``RedisStore`` (its client and its key prefix function); every key carries
    the ``namespace`` hash tag, so the multi-key scripts also run on Redis Cluster. The default
    tag has a colon, which no client id may contain, so it cannot meet a client's keys.
    """

    def __init__(
        self,
        keyspace: RedisKeyspace,
        *,
        namespace: str = "web:users",
        passwords: Passwords | None = None,
        max_update_retries: int = 5,
    ) -> None:
        self.passwords = passwords or Passwords()
        self._keyspace = keyspace
        self._ns = namespace
        self._retries = max_update_retries
        self._create = keyspace.redis.register_script(_CREATE)
        self._update = keyspace.redis.register_script(_UPDATE)

    def _key(self, *parts: str) -> str:
        return self._keyspace.key(self._ns, *parts)

    async def _call(self, awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except RedisError as exc:
            raise StoreUnavailable("the user store (Redis) failed") from exc

    async def _load(self, user_id: str) -> tuple[User, str] | None:
        raw = await self._call(self._keyspace.redis.hmget(self._key("user", user_id), *_FIELDS))
        if raw[0] is None:
            return None
        name, phone, email, hashed, extra = (v.decode() if v is not None else "" for v in raw)
        user = User(user_id, name, phone or None, email or None, bool(hashed), json.loads(extra))
        return user, hashed

    async def get(self, user_id: str) -> User | None:
        loaded = await self._load(user_id) if user_id else None
        return loaded[0] if loaded else None

    async def find_by_phone(self, phone_number: str) -> User | None:
        return await self._find("phone_number", phone_number)

    async def find_by_email(self, email: str) -> User | None:
        return await self._find("email", email)

    async def _find(self, name: str, value: str) -> User | None:
        user_id = await self._call(self._keyspace.redis.get(self._key(name, value)))
        return await self.get(user_id.decode()) if user_id else None

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        hashed = await self.passwords.hash(password) if password else ""
        user = User(_new_id(), display_name, phone_number, email, bool(hashed))
        phone, mail = phone_number or "", email or ""
        keys = [
            self._key("user", user.id),
            self._key("phone_number", phone),
            self._key("email", mail),
        ]
        fields = ["display_name", display_name, "phone_number", phone, "email", mail]
        args = [user.id, phone, mail, *fields, "password", hashed, "extra", "{}"]
        answer = (await self._call(self._create(keys=keys, args=args))).decode()
        if answer != "ok":
            raise _taken(answer)
        return user

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | None = None,
        email: str | None = None,
    ) -> User:
        # Optimistic: read, then a script that applies only if nobody changed the identifiers
        # meanwhile (index keys must be named up front, so the script cannot look them up itself).
        for _ in range(self._retries):
            loaded = await self._load(user_id)
            if loaded is None:
                raise KeyError(user_id)
            old = loaded[0]
            new = _changed(old, display_name, phone_number, email)
            old_p, new_p = old.phone_number or "", new.phone_number or ""
            old_e, new_e = old.email or "", new.email or ""
            keys = [self._key("user", user_id)]
            keys += [self._key("phone_number", old_p), self._key("phone_number", new_p)]
            keys += [self._key("email", old_e), self._key("email", new_e)]
            fields = ["display_name", new.display_name, "phone_number", new_p, "email", new_e]
            args = [user_id, old_p, new_p, old_e, new_e, *fields]
            answer = (await self._call(self._update(keys=keys, args=args))).decode()
            if answer == "ok":
                return new
            if answer == "gone":
                raise KeyError(user_id)
            if answer != "stale":
                raise _taken(answer)
        raise StoreUnavailable("the user kept changing while it was being updated")

    async def set_password(self, user_id: str, password: str) -> None:
        hashed = await self.passwords.hash(password)
        key = self._key("user", user_id)
        # HSET on a missing hash would create a half user; only set when the user exists.
        if not await self._call(self._keyspace.redis.hexists(key, "display_name")):
            raise KeyError(user_id)
        await self._call(self._keyspace.redis.hset(key, "password", hashed))

    async def check_password(self, user_id: str, password: str) -> bool:
        loaded = await self._load(user_id) if user_id else None
        hashed = loaded[1] if loaded and loaded[1] else None
        ok = await self.passwords.verify(hashed, password)
        if ok and hashed and self.passwords.needs_rehash(hashed):
            await self.set_password(user_id, password)
        return ok


def _taken(field: str) -> IdentifierTaken:
    """A script's answer naming the identifier that is taken."""
    for known in _IDENTIFIER_FIELDS:
        if field == known:
            return IdentifierTaken(known)
    raise StoreUnavailable(f"unexpected answer from the user store: {field!r}")


def _new_id() -> str:
    return secrets.token_urlsafe(12)


def _changed(
    user: User, display_name: str | None, phone_number: str | None, email: str | None
) -> User:
    return replace(
        user,
        display_name=user.display_name if display_name is None else display_name,
        phone_number=user.phone_number if phone_number is None else phone_number,
        email=user.email if email is None else email,
    )
