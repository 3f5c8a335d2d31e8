"""Signing in and out: the session cookie and the server-side session behind it."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response

from otp_flow.users import User
from otp_flow.web._cookies import PENDING_COOKIE, delete_cookie, set_cookie
from otp_flow.web._sessions import Session
from otp_flow.web._settings import AuthSettings

__all__ = ["SCOPE_KEY", "resolve", "sign_in", "sign_out"]

#: Where the middleware leaves (session, user) for the pages (and for itself, run twice).
SCOPE_KEY = "otp_flow.session"


def _cookie_ids(settings: AuthSettings, conn: HTTPConnection) -> tuple[str, str] | None:
    payload: Any = settings.session_signer.loads(conn.cookies.get(settings.session_cookie))
    if (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(part, str) and part for part in payload)
    ):
        return payload[0], payload[1]
    return None


async def resolve(settings: AuthSettings, conn: HTTPConnection) -> tuple[Session, User] | None:
    """The live session and its user named by the session cookie, or None."""
    if SCOPE_KEY in conn.scope:
        found: tuple[Session, User] | None = conn.scope[SCOPE_KEY]
        return found
    ids = _cookie_ids(settings, conn)
    if ids is None:
        return None
    session = await settings.sessions.get(*ids)
    if session is None:
        return None
    user = await settings.users.get(session.user_id)
    return (session, user) if user is not None else None


async def sign_in(
    settings: AuthSettings, conn: HTTPConnection, response: Response, user: User
) -> None:
    """Start a new session (a fresh id at every sign-in: no session fixation)."""
    await _end_current(settings, conn)
    ttl = settings.session_ttl_seconds
    session = await settings.sessions.create(user.id, ttl_seconds=ttl)
    value = settings.session_signer.dumps([user.id, session.id])
    set_cookie(response, conn, settings.session_cookie, value, max_age=ttl, path="/")
    _fresh_start(settings, conn, response)


async def sign_out(settings: AuthSettings, conn: HTTPConnection, response: Response) -> None:
    await _end_current(settings, conn)
    delete_cookie(response, conn, settings.session_cookie, path="/")
    _fresh_start(settings, conn, response)


def _fresh_start(settings: AuthSettings, conn: HTTPConnection, response: Response) -> None:
    """Nothing from before the sign-in or sign-out carries over: no half-done flow (its
    ``otp_token``), no CSRF secret (a token planted by another site stops working)."""
    path = settings.pages.base(conn) or "/"
    delete_cookie(response, conn, PENDING_COOKIE, path=path)
    settings.csrf.rotate(response, conn, path=path)


async def _end_current(settings: AuthSettings, conn: HTTPConnection) -> None:
    ids = _cookie_ids(settings, conn)
    if ids is not None:
        await settings.sessions.delete(*ids)
