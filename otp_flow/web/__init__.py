"""The Starlette web layer of otp_flow: sign-in pages, the auth middleware, the JSON APIs.

auth = create_auth_app(engine, users=MemoryUserStore(), secret_keys=["..."])
app = Starlette(
    routes=[Mount("/auth", app=auth, name="otp_flow")],
    middleware=[Middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])],
)
"""

from otp_flow.web.app import create_auth_app
from otp_flow.web.csrf import CSRFError
from otp_flow.web.dependencies import current_user, require_user
from otp_flow.web.forms import safe_next
from otp_flow.web.i18n import LOCALES, negotiate
from otp_flow.web.middleware import AuthUser, LoginRequired, OTPAuthMiddleware, login_required
from otp_flow.web.requester import ClientAddress, RequesterKey
from otp_flow.web.sessions import MemorySessionStore, RedisSessionStore, Session, SessionStore
from otp_flow.web.settings import AuthSettings
from otp_flow.web.templating import Pages, auth_pages

__all__ = [
    "LOCALES",
    "AuthSettings",
    "AuthUser",
    "CSRFError",
    "ClientAddress",
    "LoginRequired",
    "MemorySessionStore",
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
    "require_user",
    "safe_next",
]
