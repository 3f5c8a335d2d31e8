"""``current_user`` and ``require_user``: the signed-in user for FastAPI and Starlette endpoints.

FastAPI (no import of FastAPI here: a dependency is any callable taking the request)::

    @app.get("/me")
    async def me(user: Annotated[User, Depends(require_user)]) -> dict[str, str]:
        return {"id": user.id}

Starlette: ``user = await require_user(request)`` inside an endpoint. Both need
``OTPAuthMiddleware`` in front of the endpoint (as ``login_required`` does). ``require_user``
turns an anonymous visitor away exactly like a protected path: a browser is redirected (303) to
the login page with ``next``, an API client gets 401 JSON ``{"error": "login_required", ...}``.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from otp_flow.users import User
from otp_flow.web._middleware import LoginRequired
from otp_flow.web._signin import SCOPE_KEY

__all__ = ["current_user", "require_user"]


async def current_user(request: HTTPConnection) -> User | None:
    """The signed-in user's record, or None for an anonymous visitor."""
    if SCOPE_KEY not in request.scope:
        raise RuntimeError("current_user needs OTPAuthMiddleware in front of the endpoint")
    found = request.scope[SCOPE_KEY]
    return found[1] if found else None


async def require_user(request: HTTPConnection) -> User:
    """The signed-in user's record; an anonymous visitor is turned away (``LoginRequired``)."""
    user = await current_user(request)
    if user is None:
        raise LoginRequired()
    return user
