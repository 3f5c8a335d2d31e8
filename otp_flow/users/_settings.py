"""The ``[users]`` table of the configuration file: where ``otp-flow serve`` keeps users."""

from __future__ import annotations

from otp_flow._tables import Table

__all__ = ["SQL_SCHEMES", "UserSettings"]

#: The SQLAlchemy drivers otp_flow ships extras for (``otp-flow[sql]``, ``otp-flow[postgres]``).
SQL_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class UserSettings(Table, frozen=True):
    """Where `otp-flow serve` and the demo keep users; absent: beside the codes (in memory, or
    in the `store`'s Redis)."""

    url: str | None = None
    """An SQLAlchemy URL, `sqlite+aiosqlite:///users.db` (`pip install 'otp-flow[sql]'`) or
    `postgresql+asyncpg://user:password@host/db` (`'otp-flow[postgres]'`): users live in
    otp_flow's `users` table there (`otp_flow.users.sql.SQLUserStore`), created at start-up."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.url is None:
            return
        if not self.url.startswith(SQL_SCHEMES):
            raise ValueError(f"url must start with {' or '.join(SQL_SCHEMES)}")
        try:
            from sqlalchemy.engine import make_url  # only SQL deployments import SQLAlchemy
        except ImportError as exc:
            raise ValueError("url needs SQLAlchemy: pip install 'otp-flow[sql]'") from exc
        try:
            make_url(self.url)
        except ValueError as exc:  # sqlalchemy's ArgumentError is one too
            raise ValueError(f"url is not a valid SQLAlchemy URL: {exc}") from exc
