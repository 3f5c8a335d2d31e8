"""Users in Redis, beside the codes: one hash per user plus one index key per phone and email.

    <prefix>{web:users}:user:<id>                  hash: display_name, phone_number, email,
                                                   password (the hash), extra (JSON)
    <prefix>{web:users}:phone_number:<E.164>       the id of the user with that phone number
    <prefix>{web:users}:email:<email>              the id of the user with that email

Creating and updating run as one Lua script each (``lua/*.lua``), so an address can never end
up with two users.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial

from otp_flow.errors import StoreUnavailable
from otp_flow.passwords import Passwords
from otp_flow.stores._redis_support import RedisKeyspace, commands, load_script, unavailable
from otp_flow.users._base import (
    IDENTIFIER_FIELDS,
    IdentifierTaken,
    User,
    changed_user,
    new_user_id,
)
from otp_flow.users._changes import Clear, IdentifierRequired, require_identifier

__all__ = ["RedisUserStore"]

_FIELDS = ("display_name", "phone_number", "email", "password", "extra")
#: Who failed, in the StoreUnavailable of an outage.
_STORE = "the user store"


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
        if isinstance(max_update_retries, bool) or not isinstance(max_update_retries, int):
            raise ValueError("max_update_retries must be an integer")
        if max_update_retries < 1:
            raise ValueError("max_update_retries must be at least 1")
        self.passwords = passwords or Passwords()
        self._keyspace = keyspace
        self._ns = namespace
        self._retries = max_update_retries
        self._client = commands(keyspace.redis)
        script = partial(load_script, self._client, "otp_flow.users")
        self._create = script("create_user.lua")
        self._update = script("update_user.lua")
        self._find_user = script("find_user.lua")

    def _key(self, *parts: str) -> str:
        return self._keyspace.key(self._ns, *parts)

    async def _load(self, user_id: str) -> tuple[User, str] | None:
        with unavailable(_STORE):
            raw = await self._client.hmget(self._key("user", user_id), *_FIELDS)
        return _loaded(user_id, raw)

    async def get(self, user_id: str) -> User | None:
        loaded = await self._load(user_id) if user_id else None
        return loaded[0] if loaded else None

    async def find_by_phone(self, phone_number: str) -> User | None:
        return await self._find("phone_number", phone_number)

    async def find_by_email(self, email: str) -> User | None:
        return await self._find("email", email)

    async def _find(self, name: str, value: str) -> User | None:
        # The index and the user in one script: one round trip, found or not (find_user.lua).
        keys, args = [self._key(name, value)], [self._key("user", ""), *_FIELDS]
        with unavailable(_STORE):
            user_id, *raw = await self._find_user(keys=keys, args=args)
        loaded = _loaded(user_id.decode(), raw) if user_id else None
        return loaded[0] if loaded else None

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        require_identifier(phone_number, email)
        hashed = await self.passwords.hash(password) if password else ""
        user = User(new_user_id(), display_name, phone_number, email, bool(hashed))
        phone, mail = phone_number or "", email or ""
        keys = [
            self._key("user", user.id),
            self._key("phone_number", phone),
            self._key("email", mail),
        ]
        fields = ["display_name", display_name, "phone_number", phone, "email", mail]
        args = [user.id, phone, mail, *fields, "password", hashed, "extra", "{}"]
        with unavailable(_STORE):
            answer = (await self._create(keys=keys, args=args)).decode()
        if answer != "ok":
            raise _taken(answer)
        return user

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | Clear | None = None,
        email: str | Clear | None = None,
    ) -> User:
        # Optimistic: read, then a script that applies only if nobody changed the identifiers
        # meanwhile (see update_user.lua).
        for _ in range(self._retries):
            loaded = await self._load(user_id)
            if loaded is None:
                raise KeyError(user_id)
            old = loaded[0]
            new = changed_user(old, display_name, phone_number, email)
            old_p, new_p = old.phone_number or "", new.phone_number or ""
            old_e, new_e = old.email or "", new.email or ""
            keys = [self._key("user", user_id)]
            keys += [self._key("phone_number", old_p), self._key("phone_number", new_p)]
            keys += [self._key("email", old_e), self._key("email", new_e)]
            fields = ["display_name", new.display_name, "phone_number", new_p, "email", new_e]
            args = [user_id, old_p, new_p, old_e, new_e, *fields]
            with unavailable(_STORE):
                answer = (await self._update(keys=keys, args=args)).decode()
            if answer == "ok":
                return new
            if answer == "gone":
                raise KeyError(user_id)
            if answer == "no_identifier":
                raise IdentifierRequired
            if answer != "stale":
                raise _taken(answer)
        raise StoreUnavailable("the user kept changing while it was being updated")

    async def set_password(self, user_id: str, password: str) -> None:
        hashed = await self.passwords.hash(password)
        key = self._key("user", user_id)
        # HSET on a missing hash would create a half user; only set when the user exists.
        with unavailable(_STORE):
            exists = await self._client.hexists(key, "display_name")
            if exists:
                await self._client.hset(key, "password", hashed)
        if not exists:
            raise KeyError(user_id)

    async def check_password(self, user_id: str, password: str) -> bool:
        loaded = await self._load(user_id) if user_id else None
        hashed = loaded[1] if loaded and loaded[1] else None
        ok = await self.passwords.verify(hashed, password)
        if ok and hashed and self.passwords.needs_rehash(hashed):
            await self.set_password(user_id, password)
        return ok


def _loaded(user_id: str, raw: Sequence[bytes | None]) -> tuple[User, str] | None:
    """The user and its password hash from the hash's ``_FIELDS``, or None when it is missing."""
    if raw[0] is None:
        return None
    name, phone, email, hashed, extra = (v.decode() if v is not None else "" for v in raw)
    user = User(user_id, name, phone or None, email or None, bool(hashed), json.loads(extra))
    return user, hashed


def _taken(field: str) -> IdentifierTaken:
    """A script's answer naming the identifier that is taken."""
    for known in IDENTIFIER_FIELDS:
        if field == known:
            return IdentifierTaken(known)
    raise StoreUnavailable(f"unexpected answer from the user store: {field!r}")
