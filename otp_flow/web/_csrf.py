"""CSRF protection for the pages: a signed double-submit token.

The browser holds a random secret in a signed, HttpOnly cookie; every form carries a token that
is the same secret signed for another purpose (and timestamped). A POST is accepted only when both
verify and name the same secret — a page on another site can make the browser send the cookie but
cannot read it, so it cannot forge the form field. This works before sign-in too (login CSRF).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence

from starlette.requests import HTTPConnection
from starlette.responses import Response

from otp_flow.errors import OTPError
from otp_flow.types import Clock
from otp_flow.web._cookies import CSRF_COOKIE, Signed, set_cookie

__all__ = ["CSRF", "CSRFError"]

#: A form left open longer than this must be reloaded before it can be sent.
FORM_TOKEN_MAX_AGE = 12 * 3600
#: The cookie lives for the browser session; the signature still expires after a month.
COOKIE_MAX_AGE = 31 * 24 * 3600


class CSRFError(OTPError):
    """A POST came without a valid CSRF token (answered with the 403 page)."""


class CSRF:
    def __init__(self, secret_keys: Sequence[bytes], *, clock: Clock) -> None:
        self._cookie = Signed(
            secret_keys, purpose="csrf-cookie", max_age=COOKIE_MAX_AGE, clock=clock
        )
        self._form = Signed(
            secret_keys, purpose="csrf-form", max_age=FORM_TOKEN_MAX_AGE, clock=clock
        )

    def _secret(self, conn: HTTPConnection) -> str | None:
        secret = self._cookie.loads(conn.cookies.get(CSRF_COOKIE))
        return secret if isinstance(secret, str) else None

    def token(self, conn: HTTPConnection) -> tuple[str, str | None]:
        """(form token, new cookie value or None when the browser already has a good one)."""
        secret = self._secret(conn)
        if secret is not None:
            return self._form.dumps(secret), None
        secret = secrets.token_urlsafe(24)
        return self._form.dumps(secret), self._cookie.dumps(secret)

    def rotate(self, response: Response, conn: HTTPConnection, *, path: str) -> None:
        """A new secret for this browser (at sign-in and sign-out): tokens from before, which a
        page of another site may have planted, stop matching."""
        self.set_cookie(response, conn, self._cookie.dumps(secrets.token_urlsafe(24)), path=path)

    def set_cookie(
        self, response: Response, conn: HTTPConnection, value: str, *, path: str
    ) -> None:
        # A browser-session cookie: no Max-Age, gone when the browser closes.
        set_cookie(response, conn, CSRF_COOKIE, value, max_age=None, path=path)

    def check(self, conn: HTTPConnection, form_token: object) -> None:
        """Raise ``CSRFError`` unless ``form_token`` matches this browser's cookie."""
        secret = self._secret(conn)
        claimed = self._form.loads(form_token) if isinstance(form_token, str) else None
        if (
            secret is None
            or not isinstance(claimed, str)
            or not hmac.compare_digest(secret.encode(), claimed.encode())
        ):
            raise CSRFError()
