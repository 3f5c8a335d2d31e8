"""OTPAuthMiddleware: session cookie -> ``scope["user"]`` / ``scope["auth"]``, the Starlette way.

A plain ASGI class (no ``BaseHTTPMiddleware``): ``request.user.is_authenticated`` and
``request.user.display_name`` just work, and so does Starlette's own ``@requires``; a signed-in
``request.user`` also has the record's ``id``, ``email``, ``phone_number``, ``extra`` and the
whole record as ``.record``. Paths listed in ``protected`` (endpoints decorated with
``login_required``, and ``require_user`` raising ``LoginRequired``) turn anonymous visitors away:
a browser is redirected (303) to the login page with ``next``; an API client gets 401 JSON.

The login page is found where the application really mounted the sub-app (its ``Mount`` in the
application's routes), so ``Mount("/login-stuff", app=auth)`` needs no ``mount_path``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import ParamSpec, TypeVar
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, BaseUser, UnauthenticatedUser
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from otp_flow.errors import OTPError, ServiceUnavailable
from otp_flow.users import User
from otp_flow.web._sessions import Session
from otp_flow.web._settings import AuthSettings, check_local_path
from otp_flow.web._signin import SCOPE_KEY, resolve
from otp_flow.web._templating import SITE_PREFIX_KEY

__all__ = ["AuthUser", "LoginRequired", "OTPAuthMiddleware", "authenticate", "login_required"]

_LOGIN_URL_KEY = "otp_flow.login_url"
P = ParamSpec("P")
R = TypeVar("R")


class AuthUser(BaseUser):
    """A signed-in user as Starlette sees it (``request.user``).

    ``record`` is the ``otp_flow.users.User``; ``id``, ``email``, ``phone_number``, ``extra`` and
    ``has_password`` are the record's. ``display_name`` is what to show: the record's name, else
    its email, else its phone (``record.display_name`` is the raw name). ``identity`` is the id.
    """

    def __init__(self, record: User) -> None:
        self.record = record

    @property
    def user(self) -> User:
        """The record under its first name (kept so older code keeps working)."""
        return self.record

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.record.display_name or self.record.email or self.record.phone_number or ""

    @property
    def identity(self) -> str:
        return self.record.id

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def email(self) -> str | None:
        return self.record.email

    @property
    def phone_number(self) -> str | None:
        return self.record.phone_number

    @property
    def has_password(self) -> bool:
        return self.record.has_password

    @property
    def extra(self) -> dict[str, str]:
        return self.record.extra


class LoginRequired(OTPError):
    """Raised (by ``require_user``, or an endpoint) when a signed-in user is needed: the
    middleware turns the visitor away as for a protected path (303 to login, or 401 JSON)."""


def settings_of(auth: Starlette | AuthSettings) -> AuthSettings:
    settings = auth if isinstance(auth, AuthSettings) else getattr(auth.state, "otp_flow", None)
    if not isinstance(settings, AuthSettings):
        raise ValueError("auth must be the app create_auth_app returned (or its settings)")
    return settings


class OTPAuthMiddleware:
    """``auth``: the sub-app from ``create_auth_app``. ``protected``: path prefixes that need a
    signed-in user ("/account" covers "/account" and "/account/...", not "/accounts").
    ``login_url`` defaults to the login page wherever the application mounted the sub-app.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        auth: Starlette | AuthSettings,
        protected: Sequence[str] = (),
        login_url: str | None = None,
    ) -> None:
        self.app = app
        self.settings = settings_of(auth)
        self.protected = tuple(
            check_local_path("protected", p).rstrip("/") or "/" for p in protected
        )
        self.login_url = check_local_path("login_url", login_url) if login_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            await authenticate(self.settings, scope, self.login_url)
        except ServiceUnavailable:
            await self._unavailable(HTTPConnection(scope))(scope, receive, send)
            return
        if scope[SCOPE_KEY] is None and self._is_protected(route_path(scope)):
            await self._turn_away(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] in ("http.response.start", "websocket.accept")
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except LoginRequired:
            # Too late to answer, or raised for a signed-in user (the application's own mix-up,
            # which a redirect to login would only loop on): not ours to hide.
            if started or scope[SCOPE_KEY] is not None:
                raise
            await self._turn_away(scope, receive, send)

    async def _turn_away(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await turn_away(HTTPConnection(scope), scope[_LOGIN_URL_KEY])(scope, receive, send)

    def _is_protected(self, path: str) -> bool:
        return any(
            prefix == "/" or path == prefix or path.startswith(prefix + "/")
            for prefix in self.protected
        )

    def _unavailable(self, conn: HTTPConnection) -> Response:
        if wants_json(conn):
            return JSONResponse(
                {"error": "temporarily_unavailable", "error_description": "Try again later."},
                status_code=503,
                headers={"Retry-After": "30"},
            )
        return self.settings.pages.render(conn, "error.html", {"kind": "unavailable"}, status=503)


async def authenticate(
    settings: AuthSettings, scope: Scope, login_url: str | None = None
) -> tuple[Session, User] | None:
    """The session cookie's live session and user, found once per request and left in the
    scope (``request.user``, ``request.auth``, and what the pages and ``login_required`` need).

    The middleware calls it first; the pages call it too, so they know who is signed in even
    in an application without the middleware. Raises ``ServiceUnavailable`` when a store is down.
    """
    if SCOPE_KEY not in scope:
        found = await resolve(settings, HTTPConnection(scope))
        scope[SCOPE_KEY] = found
        scope["user"] = AuthUser(found[1]) if found else UnauthenticatedUser()
        scope["auth"] = AuthCredentials(["authenticated"] if found else [])
        scope.setdefault(SITE_PREFIX_KEY, _site_prefix(scope))
        login = login_url or settings.pages.mount_in(scope).rstrip("/") + "/login"
        scope.setdefault(_LOGIN_URL_KEY, scope[SITE_PREFIX_KEY] + login)
    found_now: tuple[Session, User] | None = scope[SCOPE_KEY]
    return found_now


def _site_prefix(scope: Scope) -> str:
    """Where the whole application is served (uvicorn ``--root-path``), "" at the root.

    Seen first by the application's middleware, ``root_path`` is just that; seen first from
    inside the sub-app (its pages, in an application without the middleware), ``root_path`` also
    holds the mount, and Starlette's Mount kept the prefix alone in ``app_root_path``."""
    return str(scope.get("app_root_path", scope.get("root_path")) or "").rstrip("/")


def route_path(scope: Scope) -> str:
    """The path the application routes on: ``scope["path"]`` includes ``root_path`` (uvicorn
    ``--root-path``, FastAPI ``root_path``), so "/app/account" is "/account" behind "/app".
    Same rule as Starlette's ``get_route_path``."""
    path: str = scope["path"]
    root = str(scope.get("root_path") or "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def wants_json(conn: HTTPConnection) -> bool:
    """An API client: asks for JSON (and not for HTML) or sent JSON."""
    accept = conn.headers.get("accept", "")
    if "text/html" in accept:
        return False
    return "json" in accept or "json" in conn.headers.get("content-type", "")


def turn_away(conn: HTTPConnection, login_url: str) -> Response:
    """Anonymous visitor of a protected page: 303 to login with ``next``, or 401 JSON."""
    if wants_json(conn):
        return JSONResponse(
            {"error": "login_required", "error_description": "Sign in to use this resource."},
            status_code=401,
        )
    target = conn.url.path + (f"?{conn.url.query}" if conn.url.query else "")
    return RedirectResponse(f"{login_url}?{urlencode({'next': target})}", status_code=303)


def login_required(endpoint: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | Response]]:
    """For an async endpoint taking a ``Request`` (Starlette, or FastAPI with ``request: Request``).

    Needs ``OTPAuthMiddleware`` in front of it (or the request comes from inside the sub-app).
    """

    @functools.wraps(endpoint)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        request = next(
            (a for a in (*args, *kwargs.values()) if isinstance(a, HTTPConnection)), None
        )
        if request is None:
            raise TypeError(f"{endpoint.__qualname__} must take the request to be login_required")
        if SCOPE_KEY not in request.scope:
            raise RuntimeError("login_required needs OTPAuthMiddleware in front of the endpoint")
        if request.scope[SCOPE_KEY] is None:
            return turn_away(request, request.scope[_LOGIN_URL_KEY])
        return await endpoint(*args, **kwargs)

    return guarded
