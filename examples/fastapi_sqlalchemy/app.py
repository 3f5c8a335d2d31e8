"""A FastAPI site with its own SQLAlchemy ``users`` table, signing people in with otp_flow.

    /            redirects to the dashboard
    /dashboard   protected: the signed-in person's row of the application's ``users`` table
    /auth/...    otp_flow's pages: login, signup, update_userinfo (profile), logout
    /auth/dev/outbox  the codes "sent" (development only: nothing leaves the machine)

Everything otp_flow needs is between the ``# --- otp_flow glue`` and ``# --- end`` comments
(tests/test_example_app.py counts those lines and checks nothing of otp_flow is used outside them).

Passwordless (``passwords=False``): the site signs people in with a code sent to their phone or
email, and its table has no password column. With passwords on, the code would still be the way
to reset a forgotten password, so a password adds a second secret to keep (and a hash to leak)
without a second factor; off, there is no password field, no password guessing and no reset flow.
"""

# No "from __future__ import annotations": FastAPI reads the annotations at run time, and the
# dashboard's depends on signed_in, a name local to create_app that a string could not resolve.
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from examples.fastapi_sqlalchemy import models

# --- otp_flow glue
from otp_flow import OTPEngine
from otp_flow.senders import OutboxSender
from otp_flow.stores.memory import MemoryStore
from otp_flow.users import User
from otp_flow.users.sql import PasswordlessSQLUserStore, UserColumns
from otp_flow.web import OTPAuthMiddleware, auth_pages, create_auth_app, require_user

# --- end

__all__ = ["create_app"]

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_DATABASE = "sqlite+aiosqlite:///example.db"


def create_app(
    database_url: str | None = None,
    *,
    secret_key: str | None = None,
    clock: Callable[[], float] = time.time,  # tests move time instead of waiting
) -> FastAPI:
    """The site. ``database_url`` (else ``DATABASE_URL``, else ``example.db`` here) holds the
    ``users`` table; ``secret_key`` (else ``SECRET_KEY``, else a random one: everyone is
    signed out at a restart, as the sessions are in memory anyway) signs the cookies."""
    db = create_async_engine(database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE)
    db_session = async_sessionmaker(db, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with db.begin() as conn:  # the application's own tables (Alembic in real life)
            await conn.run_sync(models.Base.metadata.create_all)
        yield
        await db.dispose()

    app = FastAPI(title="Acme", lifespan=lifespan)

    # --- otp_flow glue
    key = secret_key or os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)
    store = MemoryStore()  # codes and limits; RedisStore.from_url(...) with several workers
    # Development: messages go to the outbox, not to people (production: real SMS and email).
    engine = OTPEngine(secret_keys=[key], store=store, sender=OutboxSender(store), clock=clock)
    columns = UserColumns(display_name="name", phone_number="mobile")
    users = PasswordlessSQLUserStore(db, table=models.User, columns=columns)
    auth = create_auth_app(  # dev_outbox: /auth/dev/outbox shows the codes (development only)
        engine, users=users, passwords=False, template_dirs=[TEMPLATES], dev_outbox=True
    )
    app.mount("/auth", auth)  # /auth/login, /auth/signup, /auth/update_userinfo, /auth/logout
    app.add_middleware(OTPAuthMiddleware, auth=auth)
    pages = auth_pages(auth)  # renders the site's pages with its base.html, _() and url()

    async def signed_in(user: Annotated[User, Depends(require_user)]) -> models.User:
        async with db_session() as session:  # otp_flow's user id is the row's id, as text
            return await session.get_one(models.User, int(user.id))

    # --- end

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dashboard", status_code=303)

    @app.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(
        request: Request, account: Annotated[models.User, Depends(signed_in)]
    ) -> HTMLResponse:
        return pages.render(request, "dashboard.html", {"account": account})

    return app
