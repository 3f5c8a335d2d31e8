"""Users in an SQL database through SQLAlchemy 2 (async): ``pip install 'otp-flow[sql]'`` for
SQLite (aiosqlite), ``'otp-flow[postgres]'`` for PostgreSQL (asyncpg).

    from sqlalchemy.ext.asyncio import create_async_engine
    from otp_flow.users.sql import SQLUserStore

    users = SQLUserStore(create_async_engine("sqlite+aiosqlite:///users.db"))
    await users.create_table()          # otp_flow's own table, once (or migrate with ``metadata``)

or onto the application's existing table (its ``Table``, e.g. ``Account.__table__``):

    users = SQLUserStore(engine, table=Account.__table__, columns=UserColumns(
        id="id", display_name="name", phone_number="mobile", email="email",
        password_hash="password_hash"))

``PasswordlessSQLUserStore`` is the same without the password methods (and needs no password
column). Duplicates are refused by the table's unique constraints, which the store requires.

PostgreSQL through asyncpg rather than psycopg 3: asyncio-native, wheels without libpq, and its
``UniqueViolationError`` names the violated constraint, which is how a duplicate is recognised.
"""

from otp_flow.users.sql._store import PasswordlessSQLUserStore, SQLUserStore
from otp_flow.users.sql._table import UserColumns, metadata, users_table

__all__ = ["PasswordlessSQLUserStore", "SQLUserStore", "UserColumns", "metadata", "users_table"]
