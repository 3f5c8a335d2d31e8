"""Rendering the pages: the shared Jinja environment plus what every page needs.

Each page gets ``_`` / ``n_`` (translations for the request's language), ``duration``, ``lang``,
``csrf_token``, ``url(name)`` (links into the auth sub-app, wherever it is mounted), ``user``
(the signed-in ``otp_flow.users.User`` or None), ``site_name``, and the page's own context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse

from otp_flow.templating import make_environment
from otp_flow.users import User
from otp_flow.web.csrf import CSRF
from otp_flow.web.forms import safe_next
from otp_flow.web.i18n import Texts, Translator, negotiate

__all__ = ["SECURITY_HEADERS", "SITE_PREFIX_KEY", "Pages"]

#: Where the middleware leaves the application's ``root_path`` (behind a proxy prefix).
SITE_PREFIX_KEY = "otp_flow.site_prefix"

SECURITY_HEADERS = {
    # Pages carry CSRF tokens and personal data: never cache them, never frame them.
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept-Language, Cookie",
}


class Pages:
    """Renders page templates; ``app`` is the auth sub-app (set once it is built)."""

    def __init__(
        self,
        *,
        template_dirs: Sequence[str | Path],
        translator: Translator,
        csrf: CSRF,
        site_name: str,
        mount_path: str,
        home_url: str = "/",
        password_min_length: int = 8,
    ) -> None:
        self.env = make_environment(template_dirs)
        self.home_url = home_url
        self.env.globals.update(
            site_name=site_name, home_url=home_url, password_min=password_min_length
        )
        self.translator = translator
        self.csrf = csrf
        self.site_name = site_name
        self.mount_path = mount_path
        self.app: Starlette | None = None

    def base(self, conn: HTTPConnection) -> str:
        """Path of the auth sub-app: its real mount inside it, the configured one elsewhere."""
        if self.app is not None and conn.scope.get("app") is self.app:
            return str(conn.scope.get("root_path") or "")
        return self.mount_path

    def url(self, conn: HTTPConnection, name: str, **query: str) -> str:
        if self.app is None:
            raise RuntimeError("Pages.app is not set: build pages with create_auth_app")
        path = self.base(conn) + str(self.app.url_path_for(name))
        query = {k: v for k, v in query.items() if v}
        return f"{path}?{urlencode(query)}" if query else path

    def home(self, conn: HTTPConnection) -> str:
        """``home_url`` as the browser must ask for it (behind a ``root_path``, prefixed)."""
        return str(conn.scope.get(SITE_PREFIX_KEY) or "") + self.home_url

    def back_url(self, conn: HTTPConnection) -> str:
        """Where "try again" leads: the page the person came from (this site only), else home."""
        return _same_site_referer(conn) or self.home(conn)

    def texts(self, conn: HTTPConnection) -> Texts:
        """The request's language (from ``Accept-Language``) and its translation functions."""
        return self.translator.texts(negotiate(conn.headers.get("accept-language")))

    def render(
        self,
        conn: HTTPConnection,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
    ) -> HTMLResponse:
        texts = self.texts(conn)
        token, new_cookie = self.csrf.token(conn)
        page: dict[str, Any] = {
            "request": conn,
            "lang": texts.locale,
            "_": texts.gettext,
            "n_": texts.ngettext,
            "duration": texts.duration,
            "csrf_token": token,
            "url": lambda name, **query: self.url(conn, name, **query),
            "user": current_user(conn),
            "notice": None,
            "form_error": None,
            "errors": {},
            "values": {},
            "next": "",
            "back_url": self.back_url(conn),
            "home_url": self.home(conn),
        }
        page.update(context or {})
        html = self.env.get_template(template).render(page)
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if new_cookie is not None:
            self.csrf.set_cookie(response, conn, new_cookie, path=self.base(conn) or "/")
        return response


def _same_site_referer(conn: HTTPConnection) -> str | None:
    try:
        referer = urlsplit(conn.headers.get("referer", ""))
    except ValueError:  # "http://[::1" and the like: a malformed header is no referer
        return None
    if referer.netloc != conn.url.netloc or referer.scheme != conn.url.scheme:
        return None
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), "") or None


def current_user(conn: HTTPConnection) -> User | None:
    """The signed-in user the middleware (or the sub-app itself) put in the scope, if any."""
    user = conn.scope.get("user")
    return getattr(user, "user", None) if getattr(user, "is_authenticated", False) else None
