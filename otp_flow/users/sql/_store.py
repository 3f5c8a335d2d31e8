"""The user stores on SQLAlchemy 2 (async): SQLite through aiosqlite, PostgreSQL through asyncpg."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import FromClause, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from otp_flow.passwords import Passwords
from otp_flow.users._base import User
from otp_flow.users._changes import require_identifier
from otp_flow.users.sql._base import SQLUsers
from otp_flow.users.sql._failures import unavailable
from otp_flow.users.sql._table import PASSWORD_COLUMN, UserColumns

__all__ = ["PasswordlessSQLUserStore", "SQLUserStore"]


class PasswordlessSQLUserStore(SQLUsers):
    """Users in an SQL table, for passwordless sign-in: no password methods at all.

    ``engine``: an ``AsyncEngine`` (``sqlite+aiosqlite://…`` or ``postgresql+asyncpg://…``).
    Without ``table`` it uses otp_flow's own ``users_table``; otherwise the application's own
    table: its ``Table``, ``Model.__table__`` or the mapped class ``Model`` itself, its columns
    named by ``columns``. No password column is read or written, so ``columns`` need not say
    ``password_hash=None``; naming another password column is refused as a mistake.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        table: FromClause | type[Any] | None = None,
        columns: UserColumns | None = None,
    ) -> None:
        columns = columns or UserColumns()
        if columns.password_hash not in (None, PASSWORD_COLUMN):
            raise ValueError(
                "PasswordlessSQLUserStore keeps no passwords, but the columns name the password"
                f" column {columns.password_hash!r}: use SQLUserStore, or leave password_hash out"
            )
        super().__init__(engine, table=table, columns=replace(columns, password_hash=None))

    async def create(
        self, *, display_name: str, phone_number: str | None = None, email: str | None = None
    ) -> User:
        """Raise ``IdentifierTaken`` when the phone or email already belongs to a user."""
        return await self._insert(display_name, phone_number, email, None)


class SQLUserStore(SQLUsers):
    """Users in an SQL table, with (argon2id-hashed) passwords.

    As ``PasswordlessSQLUserStore``, and the table needs a password column
    (``UserColumns.password_hash``, text, nullable). ``passwords`` sets the hashing cost and
    the length rules.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        table: FromClause | type[Any] | None = None,
        columns: UserColumns | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        super().__init__(engine, table=table, columns=columns)
        if self._map.password_hash is None:
            raise ValueError(
                "SQLUserStore keeps passwords but the columns name no password_hash column:"
                " name one, or use PasswordlessSQLUserStore"
            )
        self._password = self._map.password_hash
        self.passwords = passwords or Passwords()

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        """Raise ``IdentifierTaken`` when the phone or email already belongs to a user."""
        require_identifier(phone_number, email)
        hashed = await self.passwords.hash(password) if password else None
        return await self._insert(display_name, phone_number, email, hashed)

    async def set_password(self, user_id: str, password: str) -> None:
        key = self._map.ids.key(user_id)
        hashed = await self.passwords.hash(password)
        if key is None:
            raise KeyError(user_id)
        statement = (
            update(self._map.table)
            .where(self._map.ids.column == key)
            .values({self._password: hashed})
            .returning(self._map.ids.column)
        )
        with unavailable():
            async with self.engine.begin() as conn:
                row = (await conn.execute(statement)).first()
        if row is None:
            raise KeyError(user_id)

    async def check_password(self, user_id: str, password: str) -> bool:
        """Constant work whether or not the user exists or has a password (no timing oracle)."""
        key = self._map.ids.key(user_id)
        hashed: str | None = None
        if key is not None:
            statement = select(self._password).where(self._map.ids.column == key)
            with unavailable():
                async with self.engine.connect() as conn:
                    hashed = (await conn.execute(statement)).scalar() or None
        ok = await self.passwords.verify(hashed, password)
        if ok and hashed and self.passwords.needs_rehash(hashed):
            await self.set_password(user_id, password)
        return ok
