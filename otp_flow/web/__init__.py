"""The Starlette web layer of otp_flow: sign-in pages, the auth middleware, the JSON APIs.

auth = create_auth_app(engine, users=MemoryUserStore(), secret_keys=["..."])
app = Starlette(
    routes=[Mount("/auth", app=auth, name="otp_flow")],
    middleware=[Middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])],
)
"""

from otp_flow.web._app import create_auth_app
from otp_flow.web._csrf import CSRFError
from otp_flow.web._dependencies import current_user, require_user
from otp_flow.web._devoutbox import outbox_routes
from otp_flow.web._forms import safe_next
from otp_flow.web._i18n import LOCALES, negotiate
from otp_flow.web._metrics import MetricsEndpoint
from otp_flow.web._middleware import AuthUser, LoginRequired, OTPAuthMiddleware, login_required
from otp_flow.web._requester import ClientAddress, RequesterKey
from otp_flow.web._sessions import MemorySessionStore, RedisSessionStore, Session, SessionStore
from otp_flow.web._settings import AuthSettings
from otp_flow.web._templating import Pages, auth_pages

__all__ = [
    "LOCALES",
    "AuthSettings",
    "AuthUser",
    "CSRFError",
    "ClientAddress",
    "LoginRequired",
    "MemorySessionStore",
    "MetricsEndpoint",
    "OTPAuthMiddleware",
    "Pages",
    "RedisSessionStore",
    "RequesterKey",
    "Session",
    "SessionStore",
    "auth_pages",
    "create_auth_app",
    "current_user",
    "login_required",
    "negotiate",
    "outbox_routes",
    "require_user",
    "safe_next",
]
