"""The signed cookies of the pages: one itsdangerous salt per purpose, keys rotate.

A value signed for one purpose (say the CSRF cookie) never verifies as another (say the session
cookie), even though all share the same secret keys. Keys are given oldest first, newest last:
new cookies are signed with the newest key, and cookies signed with an older one keep working.

Every cookie is HttpOnly and SameSite=Lax, and Secure when the request came over https (behind a
proxy, run uvicorn with ``--proxy-headers`` so the scheme is the client's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response

from otp_flow._signing import BadSignature, TimedSerializer
from otp_flow.types import Clock

__all__ = ["CSRF_COOKIE", "PENDING_COOKIE", "Signed", "delete_cookie", "set_cookie"]

#: The pending challenge between "send" and "verify" (the issue names it).
PENDING_COOKIE = "otp_token"
CSRF_COOKIE = "otp_csrf"


class Signed:
    """One purpose's serializer: ``dumps`` signs, ``loads`` returns None for anything not valid."""

    def __init__(
        self, secret_keys: Sequence[bytes], *, purpose: str, max_age: int, clock: Clock
    ) -> None:
        self.max_age = max_age
        self._serializer = TimedSerializer(
            secret_keys, salt=f"otp_flow.web.{purpose}", max_age=max_age, clock=clock
        )

    def dumps(self, payload: Any) -> str:
        return self._serializer.dumps(payload)

    def loads(self, value: str | None) -> Any:
        if not value:
            return None
        try:
            return self._serializer.loads(value)
        except BadSignature:
            return None


def set_cookie(
    response: Response,
    conn: HTTPConnection,
    name: str,
    value: str,
    *,
    max_age: int | None,
    path: str,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=conn.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )


def delete_cookie(response: Response, conn: HTTPConnection, name: str, *, path: str) -> None:
    response.delete_cookie(
        name, path=path, secure=conn.url.scheme == "https", httponly=True, samesite="lax"
    )
