"""What a database failure means to the user store: an outage, or a duplicate identifier."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from otp_flow.errors import StoreUnavailable

__all__ = ["constraint_name", "unavailable"]


@contextmanager
def unavailable() -> Iterator[None]:
    """Turn the database's failures into ``StoreUnavailable`` (the web layer answers 503).

    ``IntegrityError`` passes through: the store turns the ones it understands into
    ``IdentifierTaken``, and any other one is a mapping the application got wrong, which must be
    seen, not retried. Drivers raise ``OSError`` / ``TimeoutError`` for a refused or slow
    connection before any DBAPI error class applies; the pool raises its own timeout.
    """
    try:
        yield
    except IntegrityError:
        raise
    except (DBAPIError, PoolTimeout, OSError, TimeoutError) as exc:
        raise StoreUnavailable("the user store (SQL) failed") from exc


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the violated constraint, when the driver reports it.

    asyncpg's ``UniqueViolationError`` carries ``constraint_name``; psycopg 3 has
    ``diag.constraint_name``. SQLAlchemy wraps the driver's exception (``exc.orig``, which for
    asyncpg wraps it once more: its ``__cause__`` / ``orig``). SQLite reports no name at all,
    only an English message, which is not read here (see ``SQLUserStore._taken``).
    """
    seen: list[object] = [exc.orig]
    seen += [getattr(exc.orig, "orig", None), getattr(exc.orig, "__cause__", None)]
    for error in seen:
        if error is None:
            continue
        name = getattr(error, "constraint_name", None)
        if name is None:
            name = getattr(getattr(error, "diag", None), "constraint_name", None)
        if isinstance(name, str) and name:
            return name
    return None
