"""The application's own data: a ``users`` table it had before otp_flow came along.

Nothing here knows about otp_flow. The columns are named the application's way (``name``,
``mobile``); otp_flow is told those names in ``app.py``. ``mobile`` and ``email`` are unique,
which otp_flow requires (the database itself refuses a second account for one address).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "User"]


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    # The application's own columns: otp_flow never writes them, so they need defaults.
    plan: Mapped[str] = mapped_column(String(20), default="free")
    joined_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
