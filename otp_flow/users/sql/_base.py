"""What both SQL user stores share: reading users, creating them, changing them, and telling a
duplicate identifier from any other refusal of the database."""

from __future__ import annotations

from typing import Any, Self

from sqlalchemy import (
    ColumnElement,
    Executable,
    FromClause,
    Row,
    Table,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from otp_flow.errors import StoreUnavailable
from otp_flow.users._base import IdentifierField, IdentifierTaken, User
from otp_flow.users._changes import CLEAR, Clear, IdentifierRequired, require_identifier
from otp_flow.users.sql._failures import constraint_name, unavailable
from otp_flow.users.sql._table import Mapping, UserColumns, resolve_table, users_table

__all__ = ["SQLUsers"]


class SQLUsers:
    """The part of both SQL stores that needs no passwords."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        table: FromClause | type[Any] | None = None,
        columns: UserColumns | None = None,
    ) -> None:
        self.engine = engine
        mapped = users_table if table is None else resolve_table(table)
        self._map = Mapping(mapped, columns or UserColumns())
        self._owns_engine = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """A store on a new engine for ``url`` (closed by ``aclose``); ``options`` as in the
        constructor. For engine options, build the engine yourself and pass it."""
        store = cls(create_async_engine(url), **options)
        store._owns_engine = True
        return store

    async def aclose(self) -> None:
        """Close the engine's connections, if ``from_url`` made the engine."""
        if self._owns_engine:
            await self.engine.dispose()

    @property
    def table(self) -> Table:
        return self._map.table

    async def create_table(self) -> None:
        """Create the store's table (with its constraints) unless it exists already."""
        with unavailable():
            async with self.engine.begin() as conn:
                await conn.run_sync(self._map.table.create, checkfirst=True)

    async def get(self, user_id: str) -> User | None:
        key = self._map.ids.key(user_id)
        return None if key is None else await self._find(self._map.ids.column == key)

    async def find_by_phone(self, phone_number: str) -> User | None:
        return await self._find(self._map.phone_number == phone_number)

    async def find_by_email(self, email: str) -> User | None:
        return await self._find(self._map.email == email.lower())

    async def _find(self, where: ColumnElement[bool]) -> User | None:
        statement = select(*self._map.selected).where(where)
        with unavailable():
            async with self.engine.connect() as conn:
                row = (await conn.execute(statement)).first()
        return self._user(row) if row is not None else None

    async def _insert(
        self,
        display_name: str,
        phone_number: str | None,
        email: str | None,
        password_hash: str | None,
    ) -> User:
        require_identifier(phone_number, email)
        email = email.lower() if email else None
        values: dict[Any, object] = {
            self._map.display_name: display_name,
            self._map.phone_number: phone_number or None,
            self._map.email: email,
        }
        if self._map.password_hash is not None:
            values[self._map.password_hash] = password_hash
        new_id = self._map.ids.new()
        if new_id is not None:
            values[self._map.ids.column] = new_id
        statement = insert(self._map.table).values(values).returning(*self._map.selected)
        row = await self._write(statement, {"phone_number": phone_number, "email": email}, None)
        if row is None:  # an INSERT … RETURNING that did not fail returns its row
            raise StoreUnavailable("the database returned no row for a new user")
        return self._user(row)

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | Clear | None = None,
        email: str | Clear | None = None,
    ) -> User:
        """Change the given fields (None = leave as is, ``CLEAR`` = remove the identifier).

        One ``UPDATE … RETURNING``; when it removes an identifier, its WHERE clause also asks
        that the one kept is there, so a user can never be left without both, even when two
        updates race (``IdentifierRequired`` then).
        """
        key = self._map.ids.key(user_id)
        if key is None:
            raise KeyError(user_id)
        if isinstance(email, str):
            email = email.lower()
        values: dict[Any, object] = {}
        if display_name is not None:
            values[self._map.display_name] = display_name
        kept = []
        new: dict[IdentifierField, str | Clear | None] = {
            "phone_number": phone_number,
            "email": email,
        }
        for field, column in self._map.identifiers.items():
            change = new[field]
            if change is None:
                kept.append(column)
            else:
                values[column] = None if change is CLEAR else change
        if not values:
            user = await self.get(user_id)
            if user is None:
                raise KeyError(user_id)
            return user
        where = [self._map.ids.column == key]
        removing = any(change is CLEAR for change in new.values())
        if removing and not any(isinstance(change, str) for change in new.values()):
            if not kept:
                raise IdentifierRequired
            where.append(or_(*(column.is_not(None) for column in kept)))
        statement = (
            update(self._map.table).where(*where).values(values).returning(*self._map.selected)
        )
        wanted = {field: v if isinstance(v, str) else None for field, v in new.items()}
        row = await self._write(statement, wanted, key)
        if row is not None:
            return self._user(row)
        if await self.get(user_id) is None:
            raise KeyError(user_id)
        raise IdentifierRequired

    async def _write(
        self, statement: Executable, wanted: dict[IdentifierField, str | None], exclude: object
    ) -> Row[Any] | None:
        """Run an INSERT or UPDATE … RETURNING; a duplicate identifier is ``IdentifierTaken``.

        The statement runs inside a savepoint so that, after the database refused it, the same
        transaction can still ask which identifier was taken (PostgreSQL would otherwise refuse
        every further statement of an aborted transaction).
        """
        with unavailable():
            async with self.engine.begin() as conn:
                try:
                    async with conn.begin_nested():
                        return (await conn.execute(statement)).first()
                except IntegrityError as exc:
                    field = await self._taken(conn, exc, wanted, exclude)
                    if field is None:
                        raise  # not a duplicate identifier: a mapping mistake, to be seen
                    raise IdentifierTaken(field) from None

    async def _taken(
        self,
        conn: AsyncConnection,
        exc: IntegrityError,
        wanted: dict[IdentifierField, str | None],
        exclude: object,
    ) -> IdentifierField | None:
        """Which identifier the database's unique constraint refused, or None for another one.

        By the constraint's name where the driver reports it (asyncpg / psycopg on PostgreSQL).
        Otherwise (SQLite reports no name, only an English message, which is not parsed: its
        wording is not an interface) by looking, in the same transaction, for another user who
        holds the phone number or the email: the refusal means such a row is committed, and the
        savepoint only undid the refused statement.
        """
        name = constraint_name(exc)
        if name is not None and name in self._map.constraint_fields:
            return self._map.constraint_fields[name]
        for field, value in wanted.items():  # the phone number first, as the other stores
            if value is None:
                continue
            found = select(self._map.ids.column).where(self._map.identifiers[field] == value)
            if exclude is not None:
                found = found.where(self._map.ids.column != exclude)
            if (await conn.execute(found.limit(1))).first() is not None:
                return field
        return None

    def _user(self, row: Row[Any]) -> User:
        values = row._mapping
        password = values[self._map.password_hash] if self._map.password_hash is not None else None
        return User(
            id=self._map.ids.text(values[self._map.ids.column]),
            display_name=values[self._map.display_name] or "",
            phone_number=values[self._map.phone_number] or None,
            email=values[self._map.email] or None,
            has_password=bool(password),
            extra={
                column.name: str(values[column])
                for column in self._map.extra
                if values[column] is not None
            },
        )
