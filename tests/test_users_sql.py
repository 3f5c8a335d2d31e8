"""The SQL user store beyond the shared contract (tests/test_users.py): otp_flow's own table, an
application's existing tables (integer and UUID ids), passwordless mapping, how duplicates are
recognised, and outages. Each test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from argon2.profiles import CHEAPEST
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from otp_flow.errors import ServiceUnavailable, StoreUnavailable
from otp_flow.passwords import Passwords
from otp_flow.users import CLEAR, IdentifierRequired, IdentifierTaken, User
from otp_flow.users.sql import (
    PasswordlessSQLUserStore,
    SQLUserStore,
    UserColumns,
    metadata,
    users_table,
)
from otp_flow.users.sql._failures import constraint_name
from tests.pg_harness import PostgresServer
from tests.test_readme import python_blocks

PHONE, OTHER_PHONE, EMAIL = "+8613612345678", "+8613912345678", "ann@example.com"
CHEAP = Passwords(parameters=CHEAPEST)
APP_COLUMNS = UserColumns(
    id="id", display_name="name", phone_number="mobile", email="mail", extra=("plan",)
)


def app_table(id_column: Column[object], *, passwords: bool = True) -> Table:
    """An application's own users table, with names otp_flow does not choose."""
    columns = [
        id_column,
        Column("name", String(100), nullable=False),
        Column("mobile", String(32), unique=True),  # unnamed: the database names it
        Column("mail", String(320)),
        Column("plan", String(20), nullable=False, server_default="free"),
        Column("nickname", String(50)),  # a column otp_flow knows nothing of
        UniqueConstraint("mail", name="accounts_mail_unique"),
    ]
    if passwords:
        columns.append(Column("password_hash", String(255)))
    return Table("accounts", MetaData(), *columns)


async def create(engine: AsyncEngine, table: Table) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)


async def test_own_table_is_created_once_and_exported_for_migrations(
    sql_engine: AsyncEngine,
) -> None:
    users = SQLUserStore(sql_engine, passwords=CHEAP)
    assert users.table is users_table and metadata.tables["otp_flow_users"] is users_table
    await users.create_table()
    ann = await users.create(display_name="Ann", email="Ann@Example.COM", password="long enough")
    await users.create_table()  # again: a no-op that keeps the rows
    assert ann.email == EMAIL  # stored lower-cased
    assert await users.find_by_email("ANN@example.com") == ann
    async with sql_engine.connect() as conn:
        row = (await conn.execute(select(users_table))).one()
    assert row.email == EMAIL and row.password_hash.startswith("$argon2id$")
    assert "long enough" not in str(tuple(row))


async def test_existing_table_with_integer_ids(sql_engine: AsyncEngine) -> None:
    table = app_table(Column("id", Integer, primary_key=True))
    await create(sql_engine, table)
    users = SQLUserStore(sql_engine, table=table, columns=APP_COLUMNS, passwords=CHEAP)
    ann = await users.create(display_name="Ann", phone_number=PHONE, password="long enough")
    assert ann == User(ann.id, "Ann", PHONE, None, True, {"plan": "free"})
    assert ann.id.isdigit()
    assert await users.get(ann.id) == ann
    for not_an_id in ("0" + ann.id, f" {ann.id}", "x", "", "9" * 30):
        assert await users.get(not_an_id) is None
        assert not await users.check_password(not_an_id, "long enough")
    assert await users.check_password(ann.id, "long enough")
    bo = await users.create(display_name="Bo", email="bo@example.com")
    assert int(bo.id) > int(ann.id)
    await duplicates_are_refused_by_field(users, ann, bo)


async def test_existing_table_with_uuid_ids(sql_engine: AsyncEngine) -> None:
    table = app_table(Column("id", Uuid, primary_key=True))  # no default: the store makes them
    await create(sql_engine, table)
    users = SQLUserStore(sql_engine, table=table, columns=APP_COLUMNS, passwords=CHEAP)
    ann = await users.create(display_name="Ann", phone_number=PHONE)
    assert uuid.UUID(ann.id).version == 4 and str(uuid.UUID(ann.id)) == ann.id
    assert await users.get(ann.id) == ann
    assert await users.get(ann.id.upper()) is None  # one spelling per id
    assert await users.get("not-a-uuid") is None
    await users.set_password(ann.id, "long enough")
    assert await users.check_password(ann.id, "long enough")
    bo = await users.create(display_name="Bo", email="bo@example.com")
    await duplicates_are_refused_by_field(users, await users.get(ann.id), bo)


async def test_uuid_ids_made_by_the_table_and_kept_as_text(sql_engine: AsyncEngine) -> None:
    made: list[str] = []

    def make_id() -> str:
        made.append(str(uuid.uuid4()))
        return made[-1]

    table = app_table(Column("id", Uuid(as_uuid=False), primary_key=True, default=make_id))
    await create(sql_engine, table)
    users = SQLUserStore(sql_engine, table=table, columns=APP_COLUMNS, passwords=CHEAP)
    ann = await users.create(display_name="Ann", email=EMAIL)
    assert made == [ann.id] and await users.get(ann.id) == ann


async def duplicates_are_refused_by_field(users: SQLUserStore, ann: User | None, bo: User) -> None:
    assert ann is not None and ann.phone_number == PHONE and bo.email == "bo@example.com"
    with pytest.raises(IdentifierTaken) as phone:
        await users.create(display_name="Cy", phone_number=PHONE)
    assert phone.value.field == "phone_number"
    with pytest.raises(IdentifierTaken) as mail:
        await users.update(ann.id, email="bo@example.com")
    assert mail.value.field == "email"
    assert await users.get(ann.id) == ann
    moved = await users.update(bo.id, phone_number=OTHER_PHONE, email=CLEAR)
    assert (moved.phone_number, moved.email) == (OTHER_PHONE, None)


async def test_passwordless_store_on_a_table_without_passwords(sql_engine: AsyncEngine) -> None:
    table = app_table(Column("id", Integer, primary_key=True), passwords=False)
    await create(sql_engine, table)
    # No password_hash=None to write: a passwordless store reads no password column.
    columns = UserColumns(display_name="name", phone_number="mobile", email="mail")
    users = PasswordlessSQLUserStore(sql_engine, table=table, columns=columns)
    assert not hasattr(users, "set_password") and not hasattr(users, "check_password")
    ann = await users.create(display_name="Ann", email=EMAIL)
    assert ann.has_password is False and await users.find_by_email(EMAIL) == ann
    said_so = PasswordlessSQLUserStore(
        sql_engine, table=table, columns=replace(columns, password_hash=None)
    )
    assert await said_so.find_by_email(EMAIL) == ann  # saying it explicitly still works
    with pytest.raises(ValueError, match="no password_hash column 'password_hash'"):
        SQLUserStore(sql_engine, table=table, columns=columns)
    with pytest.raises(ValueError, match="PasswordlessSQLUserStore"):
        SQLUserStore(sql_engine, table=table, columns=replace(columns, password_hash=None))
    with pytest.raises(ValueError, match="password column 'pw_hash'"):
        PasswordlessSQLUserStore(
            sql_engine, table=table, columns=replace(columns, password_hash="pw_hash")
        )


class Base(DeclarativeBase):
    pass


class Member(Base):
    """An application's ORM model, given to the store as the class itself."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)


async def test_an_orm_class_or_its_table_is_the_table(sql_engine: AsyncEngine) -> None:
    async with sql_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    columns = UserColumns(display_name="name", phone_number="mobile")
    by_class = PasswordlessSQLUserStore(sql_engine, table=Member, columns=columns)
    by_table = PasswordlessSQLUserStore(sql_engine, table=Member.__table__, columns=columns)
    assert by_class.table is by_table.table is Member.__table__
    ann = await by_class.create(display_name="Ann", phone_number=PHONE)
    assert await by_table.find_by_phone(PHONE) == ann and ann.id == "1"
    with pytest.raises(ValueError, match="Plain is not a mapped SQLAlchemy class"):

        class Plain:
            pass

        PasswordlessSQLUserStore(sql_engine, table=Plain, columns=columns)
    joined = Member.__table__.join(users_table, users_table.c.id == Member.__table__.c.name)
    with pytest.raises(ValueError, match="not a join or a select"):
        PasswordlessSQLUserStore(sql_engine, table=joined, columns=columns)


def test_a_mapping_otp_flow_cannot_use_is_refused_when_built() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    ids = Column("id", Integer, primary_key=True)
    with pytest.raises(ValueError, match="no email column 'email'"):
        SQLUserStore(
            engine,
            table=app_table(ids),
            columns=UserColumns(display_name="name", phone_number="mobile"),
        )
    no_unique = Table(
        "accounts", MetaData(), Column("id", Integer, primary_key=True),
        Column("display_name", String), Column("phone_number", String, unique=True),
        Column("email", String), Column("password_hash", String),
    )  # fmt: skip
    with pytest.raises(ValueError, match="email column 'email' must have a unique constraint"):
        SQLUserStore(engine, table=no_unique)
    required = users_table.to_metadata(MetaData())
    required.append_column(Column("tenant", String, nullable=False))
    with pytest.raises(ValueError, match="'tenant' is NOT NULL without a default"):
        SQLUserStore(engine, table=required)
    manual_ids = users_table.to_metadata(MetaData())
    manual_ids.c.id.type = Integer()
    manual_ids.c.id.autoincrement = False
    with pytest.raises(ValueError, match="must autoincrement or have a default"):
        SQLUserStore(engine, table=manual_ids)


async def test_postgresql_names_the_violated_constraint(postgres_engine: AsyncEngine) -> None:
    """On PostgreSQL a duplicate is recognised by the constraint's name, not by its message."""
    async with postgres_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    row = {"id": "a", "display_name": "Ann", "email": EMAIL}
    async with postgres_engine.begin() as conn:
        await conn.execute(insert(users_table).values(row))
    with pytest.raises(IntegrityError) as duplicate:
        async with postgres_engine.begin() as conn:
            await conn.execute(insert(users_table).values({**row, "id": "b"}))
    assert constraint_name(duplicate.value) == "otp_flow_users_email_key"


async def test_sqlite_names_no_constraint_and_the_store_still_knows(
    sqlite_engine: AsyncEngine,
) -> None:
    users = SQLUserStore(sqlite_engine, passwords=CHEAP)
    await users.create_table()
    await users.create(display_name="Ann", phone_number=PHONE, email=EMAIL)
    row = {"id": "b", "display_name": "Bo", "email": EMAIL}
    with pytest.raises(IntegrityError) as duplicate:
        async with sqlite_engine.begin() as conn:
            await conn.execute(insert(users_table).values(row))
    assert constraint_name(duplicate.value) is None
    with pytest.raises(IdentifierTaken) as taken:
        await users.create(display_name="Bo", phone_number=OTHER_PHONE, email=EMAIL)
    assert taken.value.field == "email"


async def test_another_constraint_is_not_mistaken_for_a_duplicate(
    sql_engine: AsyncEngine,
) -> None:
    table = users_table.to_metadata(MetaData())
    table.append_column(Column("nickname", String, server_default="x"))
    table.append_constraint(UniqueConstraint("nickname", name="nickname_unique"))
    await create(sql_engine, table)
    users = SQLUserStore(sql_engine, table=table, passwords=CHEAP)
    await users.create(display_name="Ann", email=EMAIL)
    with pytest.raises(IntegrityError):  # a mapping mistake surfaces, it is not "email taken"
        await users.create(display_name="Bo", email="bo@example.com")


async def test_a_stopped_postgresql_is_store_unavailable() -> None:
    server = PostgresServer()
    server.start()
    users = SQLUserStore.from_url(server.url, passwords=CHEAP)
    try:
        await users.create_table()
        ann = await users.create(display_name="Ann", email=EMAIL)
        server.stop()
        attempts = [
            users.get(ann.id),
            users.find_by_email(EMAIL),
            users.create(display_name="Bo", phone_number=PHONE),
            users.update(ann.id, display_name="Annie"),
            users.set_password(ann.id, "long enough"),
            users.check_password(ann.id, "long enough"),
        ]
        for attempt in attempts:
            with pytest.raises(StoreUnavailable) as outage:
                await attempt
            assert isinstance(outage.value, ServiceUnavailable)  # the web layer's 503
        server.start()  # back: the pool replaces its dead connections
        assert await users.get(ann.id) == ann
    finally:
        await users.aclose()
        server.cleanup()


async def test_an_sqlite_file_that_cannot_be_opened_is_store_unavailable(tmp_path: Path) -> None:
    users = SQLUserStore.from_url(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'users.db'}")
    try:
        with pytest.raises(StoreUnavailable):
            await users.create_table()
        with pytest.raises(StoreUnavailable):
            await users.find_by_phone(PHONE)
    finally:
        await users.aclose()


async def test_rows_the_application_wrote_are_read(sql_engine: AsyncEngine) -> None:
    table = app_table(Column("id", Integer, primary_key=True))
    await create(sql_engine, table)
    async with sql_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO accounts (id, name, mail, plan) VALUES (41, 'Di', :mail, 'pro')"),
            {"mail": "di@example.com"},
        )
    users = SQLUserStore(sql_engine, table=table, columns=APP_COLUMNS, passwords=CHEAP)
    di = await users.find_by_email("di@example.com")
    assert di == User("41", "Di", None, "di@example.com", False, {"plan": "pro"})
    # A row the application keeps without phone and email can still be renamed (only removing
    # an identifier needs the other one).
    async with sql_engine.begin() as conn:
        await conn.execute(text("INSERT INTO accounts (id, name) VALUES (42, 'Eve')"))
    assert (await users.update("42", display_name="Eva")).display_name == "Eva"
    with pytest.raises(IdentifierRequired):
        await users.update("41", email=CLEAR)


async def test_the_readme_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the example's users.db lands here
    blocks = [block for block in python_blocks() if "otp_flow.users.sql" in block]
    assert len(blocks) == 2
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    await namespace["startup"]()
    own = await namespace["users"].create(display_name="Ann", email=EMAIL)
    assert await namespace["users"].get(own.id) == own
    exec(compile(blocks[1], "README.md", "exec"), namespace)
    await create(namespace["engine"], namespace["accounts"])
    mapped = await namespace["users"].create(display_name="Bo", phone_number=PHONE)
    assert mapped.id == "1" and (tmp_path / "users.db").exists()
    await namespace["engine"].dispose()
