"""otp_flow's own users table, and how the store maps onto an application's existing one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    FromClause,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    inspect,
)

from otp_flow.users._base import IDENTIFIER_FIELDS, IdentifierField, new_user_id

__all__ = ["UserColumns", "metadata", "users_table"]

#: The MetaData of otp_flow's own table, for ``metadata.create_all`` or Alembic's
#: ``target_metadata``.
metadata = MetaData()

#: otp_flow's own table (what ``SQLUserStore(engine)`` uses). The unique constraints are named
#: so a duplicate is recognised by the name the database reports; the check constraint keeps a
#: user with neither a phone number nor an email out even if a bug let one through.
users_table = Table(
    "otp_flow_users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("display_name", String(255), nullable=False),
    Column("phone_number", String(32)),  # E.164: at most 16 characters
    Column("email", String(320)),  # lower-cased
    Column("password_hash", String(255)),  # argon2id, None when the user has no password
    UniqueConstraint("phone_number", name="otp_flow_users_phone_number_key"),
    UniqueConstraint("email", name="otp_flow_users_email_key"),
    CheckConstraint(
        "phone_number IS NOT NULL OR email IS NOT NULL", name="otp_flow_users_identifier_check"
    ),
)


#: The password column's default name (``UserColumns.password_hash``).
PASSWORD_COLUMN = "password_hash"  # noqa: S105 (a column's name)


def resolve_table(table: FromClause | type[Any]) -> Table:
    """The ``Table`` of ``table``: a ``Table`` itself, ``Model.__table__`` (which type checkers
    see as a ``FromClause``) or the mapped class ``Model``."""
    if isinstance(table, type):
        mapper = inspect(table, raiseerr=False)
        if mapper is None:
            raise ValueError(f"{table.__name__} is not a mapped SQLAlchemy class: pass its Table")
        table = mapper.local_table
    if not isinstance(table, Table):
        raise ValueError("table must be a Table or a mapped class, not a join or a select")
    return table


@dataclass(frozen=True, slots=True, kw_only=True)
class UserColumns:
    """Which column of the table holds what. The defaults are the names in ``users_table``.

    ``password_hash=None``: the table keeps no passwords (``PasswordlessSQLUserStore`` reads
    none whatever it says).
    ``extra``: columns read into ``User.extra`` (as strings; otp_flow never writes them).
    """

    id: str = "id"
    display_name: str = "display_name"
    phone_number: str = "phone_number"
    email: str = "email"
    password_hash: str | None = PASSWORD_COLUMN
    extra: tuple[str, ...] = ()


class Ids:
    """User ids are strings in otp_flow; the table's id column may hold integers, UUIDs or text.

    Only an id's canonical spelling finds its row ("7", not "07"; a lower-case hyphenated UUID),
    so every user has exactly one id string.
    """

    def __init__(self, column: Column[Any]) -> None:
        self.column = column
        self._uuid = isinstance(column.type, Uuid)
        self._as_uuid = bool(getattr(column.type, "as_uuid", False))
        try:
            python_type = column.type.python_type
        except NotImplementedError:
            python_type = object
        self._int = python_type is int
        if not (self._uuid or self._int or python_type is str):
            raise ValueError(f"the id column {column.name!r} must hold integers, UUIDs or text")
        # Who makes a new row's id: the column's own default, the database's autoincrement, or
        # (for UUID and text ids without a default) this store.
        self._made_by_table = column.default is not None or column.server_default is not None
        autoincrement = column.table.autoincrement_column is column
        if self._int and not self._made_by_table and not autoincrement:
            raise ValueError(
                f"the integer id column {column.name!r} must autoincrement or have a default"
            )

    def key(self, user_id: str) -> object | None:
        """The column value of ``user_id``, or None when no row can have that id."""
        if self._int:
            try:
                number = int(user_id)
            except ValueError:
                return None
            # 2**63: the largest BIGINT; a bigger number would be a database error, not "nobody".
            return number if str(number) == user_id and abs(number) < 2**63 else None
        if self._uuid:
            try:
                parsed = uuid.UUID(user_id)
            except ValueError:
                return None
            if str(parsed) != user_id:
                return None
            return parsed if self._as_uuid else user_id
        return user_id or None

    @staticmethod
    def text(value: object) -> str:
        return str(value)  # an int's digits; a UUID's canonical form

    def new(self) -> object | None:
        """A new row's id, or None when the table makes it."""
        if self._made_by_table or self._int:
            return None
        if self._uuid:
            made = uuid.uuid4()
            return made if self._as_uuid else str(made)
        return new_user_id()


class Mapping:
    """The resolved columns of one table, checked once when the store is built."""

    def __init__(self, table: Table, columns: UserColumns) -> None:
        self.table = table
        self.ids = Ids(self._column(columns.id, "id"))
        if not self.ids.column.primary_key:
            raise ValueError(f"the id column {columns.id!r} must be the table's primary key")
        self.display_name = self._column(columns.display_name, "display_name")
        self.phone_number = self._column(columns.phone_number, "phone_number")
        self.email = self._column(columns.email, "email")
        self.password_hash = (
            self._column(columns.password_hash, "password_hash")
            if columns.password_hash is not None
            else None
        )
        self.extra = tuple(self._column(name, "extra") for name in columns.extra)
        self.identifiers: dict[IdentifierField, Column[Any]] = {
            "phone_number": self.phone_number,
            "email": self.email,
        }
        self.constraint_fields = self._unique_constraints()
        self._check_the_rest_can_be_left_out()

    def _column(self, name: str, role: str) -> Column[Any]:
        if name not in self.table.c:
            raise ValueError(f"the table {self.table.name!r} has no {role} column {name!r}")
        return self.table.c[name]

    @property
    def selected(self) -> list[Column[Any]]:
        """The columns a user is read from."""
        password = [self.password_hash] if self.password_hash is not None else []
        identity = [self.ids.column, self.display_name, self.phone_number, self.email]
        return [*identity, *password, *self.extra]

    def _unique_constraints(self) -> dict[str, IdentifierField]:
        """The name of each unique constraint or index on exactly one identifier column.

        A duplicate must be refused by the database itself (two concurrent signups both pass any
        check made before writing), so each identifier column must be declared unique.
        """
        names: dict[str, IdentifierField] = {}
        for field in IDENTIFIER_FIELDS:
            column = self.identifiers[field]
            found = False
            for name, columns in self._uniques():
                if columns == [column.name]:
                    found = True
                    if name:
                        names[name] = field
            if not found:
                raise ValueError(
                    f"the {field} column {column.name!r} must have a unique constraint (declare"
                    " it with unique=True, a UniqueConstraint or a unique Index), so the"
                    " database refuses a duplicate even when two signups race"
                )
            # An unnamed UNIQUE gets PostgreSQL's default name, <table>_<column>_key.
            names.setdefault(f"{self.table.name}_{column.name}_key", field)
        return names

    def _uniques(self) -> Iterator[tuple[str | None, list[str]]]:
        for constraint in self.table.constraints:
            if isinstance(constraint, UniqueConstraint):
                yield _name(constraint.name), [c.name for c in constraint.columns]
        for index in self.table.indexes:
            if isinstance(index, Index) and index.unique:
                yield _name(index.name), [c.name for c in index.columns]

    def _check_the_rest_can_be_left_out(self) -> None:
        """Every column otp_flow does not write must be nullable or have a default."""
        written = {self.ids.column, self.display_name, self.phone_number, self.email}
        if self.password_hash is not None:
            written.add(self.password_hash)
        for column in self.table.columns:
            if column in written or column.nullable or column.primary_key:
                continue
            if column.default is None and column.server_default is None:
                raise ValueError(
                    f"the column {column.name!r} is NOT NULL without a default, and otp_flow"
                    " does not know what to put in it: give it a default or make it nullable"
                )


def _name(name: object) -> str | None:
    return str(name) if isinstance(name, str) and name else None
