"""Rendering the pages: the shared Jinja environment plus what every page needs.

Each page gets ``_`` / ``n_`` (translations for the request's language), ``duration``, ``lang``,
``csrf_token``, ``url(name)`` (links into the auth sub-app, wherever it is mounted), ``user``
(the signed-in ``otp_flow.users.User`` or None), ``site_name``, ``passwords`` (False in
passwordless mode), ``challenge`` (the widget to show in the form, or None), and the page's own
context. docs/templates.md is the full contract;
``auth_pages(auth)`` gives an application the same rendering for its own pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse
from starlette.routing import Mount

from otp_flow import defaults
from otp_flow._templating import make_environment
from otp_flow.challenges import Challenge, csp_with_challenge
from otp_flow.users import User
from otp_flow.web._csrf import CSRF
from otp_flow.web._forms import safe_next
from otp_flow.web._i18n import Texts, Translator

__all__ = ["SECURITY_HEADERS", "SITE_PREFIX_KEY", "Pages", "auth_pages", "find_mount"]

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
        password_min_length: int = defaults.PASSWORD_MIN_LENGTH,
        password_signin: bool = True,
        challenge: Challenge | None = None,
    ) -> None:
        self.env = make_environment(template_dirs)
        #: The pages' headers; with a challenge configured, its provider's origins join the CSP
        #: (on every page, so a widget shown after a refusal or on the code page can load).
        csp = csp_with_challenge(SECURITY_HEADERS["Content-Security-Policy"], challenge)
        self.headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp}
        self.home_url = home_url
        self.env.globals.update(
            site_name=site_name,
            home_url=home_url,
            password_min=password_min_length,
            passwords=password_signin,
        )
        self.translator = translator
        self.csrf = csrf
        self.site_name = site_name
        self.mount_path = mount_path
        self.app: Starlette | None = None
        #: Where the sub-app was found in each application that served a request (by id).
        self._mounts: dict[int, tuple[object, str]] = {}

    def base(self, conn: HTTPConnection) -> str:
        """Path of the auth sub-app: its real mount inside it, the one found in the application's
        routes (else the configured ``mount_path``) elsewhere."""
        if self.app is not None and conn.scope.get("app") is self.app:
            return str(conn.scope.get("root_path") or "")
        return self.mount_in(conn.scope)

    def mount_in(self, scope: Mapping[str, Any]) -> str:
        """The sub-app's mount path (without any site prefix) as seen from ``scope``."""
        app = scope.get("app")
        if app is None:
            return self.mount_path
        if app is self.app:  # inside: Mount put the site prefix in app_root_path
            root = str(scope.get("root_path") or "")
            return root[len(str(scope.get("app_root_path") or "")) :] or self.mount_path
        cached = self._mounts.get(id(app))
        if cached is None or cached[0] is not app:
            cached = (app, find_mount(app, self.app) or self.mount_path)
            self._mounts[id(app)] = cached
        return cached[1]

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
        """The request's language (from ``Accept-Language``, among the offered ``locales``)
        and its translation functions."""
        return self.translator.texts(self.translator.negotiate(conn.headers.get("accept-language")))

    def context(self, conn: HTTPConnection) -> dict[str, Any]:
        """What every page sees except ``csrf_token`` (which may need a cookie on the response):
        for rendering an application's own templates with another Jinja environment."""
        texts = self.texts(conn)
        return {
            **self.env.globals,
            "request": conn,
            "lang": texts.locale,
            "_": texts.gettext,
            "n_": texts.ngettext,
            "duration": texts.duration,
            "url": lambda name, **query: self.url(conn, name, **query),
            "user": current_user(conn),
            "back_url": self.back_url(conn),
            "home_url": self.home(conn),
        }

    def render(
        self,
        conn: HTTPConnection,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
    ) -> HTMLResponse:
        token, new_cookie = self.csrf.token(conn)
        page: dict[str, Any] = {
            **self.context(conn),
            "csrf_token": token,
            "notice": None,
            "form_error": None,
            "errors": {},
            "values": {},
            "next": "",
            "challenge": None,
        }
        page.update(context or {})
        html = self.env.get_template(template).render(page)
        response = HTMLResponse(html, status_code=status, headers=self.headers)
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
    return getattr(user, "record", None) if getattr(user, "is_authenticated", False) else None


def find_mount(app: object, target: object, prefix: str = "") -> str | None:
    """The path at which ``target`` is mounted inside ``app`` (through nested ``Mount``s of
    Starlette, FastAPI or a Router), or None."""
    for route in getattr(app, "routes", None) or ():
        if isinstance(route, Mount):
            path = prefix + route.path
            if route.app is target:
                return path
            found = find_mount(route.app, target, path)
            if found is not None:
                return found
    return None


def auth_pages(auth: Starlette) -> Pages:
    """The pages of the sub-app ``create_auth_app`` returned, for an application's own pages:
    ``auth_pages(auth).render(request, "home.html", {...})`` renders with otp_flow's Jinja
    environment (the application's ``template_dirs`` first), ``_``, ``url()``, ``user`` and
    ``csrf_token``; ``.context(request)`` gives the same variables (without ``csrf_token``) to
    another environment, e.g. Starlette's ``Jinja2Templates``; ``.env`` is the environment."""
    pages = getattr(getattr(getattr(auth, "state", None), "otp_flow", None), "pages", None)
    if not isinstance(pages, Pages):
        raise ValueError("auth must be the app create_auth_app returned")
    return pages
