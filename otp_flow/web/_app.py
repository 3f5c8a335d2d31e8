"""``create_auth_app``: the mountable sub-app with the sign-in pages.

    auth = create_auth_app(engine, users=MemoryUserStore(), secret_keys=["..."])
    app = Starlette(
        routes=[Mount("/auth", app=auth, name="otp_flow"), ...],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth, protected=["/account"])],
    )

FastAPI: ``app.mount("/auth", auth, name="otp_flow")`` and
``app.add_middleware(OTPAuthMiddleware, auth=auth, ...)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from otp_flow import defaults
from otp_flow._signing import normalise_keys
from otp_flow.challenges import ASK_AFTER_SENDS, ASK_SITE_SHARE, Challenge
from otp_flow.engine import OTPEngine
from otp_flow.errors import ServiceUnavailable
from otp_flow.identifiers import IdentifierParser
from otp_flow.passwords import Passwords
from otp_flow.types import Clock
from otp_flow.users import UserHooks, UserStore, check_user_store
from otp_flow.web import flows
from otp_flow.web._challenge_gate import ChallengeGate
from otp_flow.web._cookies import Signed
from otp_flow.web._csrf import CSRF, CSRFError
from otp_flow.web._devoutbox import dev_outbox_of, outbox_routes
from otp_flow.web._forms import FormError
from otp_flow.web._i18n import Translator
from otp_flow.web._requester import ClientAddress, RequesterKey
from otp_flow.web._sessions import MemorySessionStore, SessionStore
from otp_flow.web._settings import AuthSettings, check_cookie_name, check_local_path
from otp_flow.web._templating import Pages
from otp_flow.web._throttle import PasswordThrottle

__all__ = ["create_auth_app"]

_DAY = 24 * 3600


def create_auth_app(
    engine: OTPEngine,
    *,
    users: UserStore,
    secret_keys: Sequence[str | bytes] | str | bytes | None = None,
    sessions: SessionStore | None = None,
    template_dirs: Sequence[str | Path] = (),
    client_id: str = "otp_flow.web",
    hooks: UserHooks | None = None,
    passwords: Passwords | bool | None = None,
    allowed_regions: Sequence[str] | None = None,
    default_region: str | None = None,
    locales: Sequence[str] | None = None,
    translations: Mapping[str, Mapping[str, str]] | None = None,
    locale_dirs: Sequence[str | Path] = (),
    template_globals: Mapping[str, Any] | None = None,
    mount_path: str = defaults.MOUNT_PATH,
    home_url: str = "/",
    site_name: str = defaults.SITE_NAME,
    session_cookie: str = defaults.SESSION_COOKIE,
    session_ttl_seconds: int = defaults.SESSION_TTL_SECONDS,
    password_attempts: int = defaults.PASSWORD_ATTEMPTS,
    password_window_seconds: int = defaults.PASSWORD_WINDOW_SECONDS,
    password_requester_attempts: int = defaults.PASSWORD_REQUESTER_ATTEMPTS,
    requester: RequesterKey | None = None,
    trusted_proxies: Sequence[str] = (),
    clock: Clock | None = None,
    send_timer: flows.SendTimer | None = None,
    challenge: Challenge | None = None,
    challenge_after_sends: int = ASK_AFTER_SENDS,
    challenge_site_threshold: float = ASK_SITE_SHARE,
    dev_outbox: bool = False,
) -> Starlette:
    """Build the sub-app serving every page flow of ``otp_flow.web.flows.FLOWS`` (one module each
    in ``otp_flow/web/flows/``; docs/pages.md shows them).

    ``users``: where accounts live. ``secret_keys``: sign the cookies (oldest first, newest last;
    at least 16 bytes each). ``sessions``: server-side sessions (default: in this process; use
    ``RedisSessionStore`` with several workers). ``template_dirs``: the application's folders,
    searched before the packaged templates. ``client_id``: the engine client the codes are
    issued for. ``hooks``: guards run before a send or a signup (they may refuse) and hooks run
    after signup, login, update and reset. ``passwords``: ``False`` for passwordless pages (no
    password field anywhere, no password sign-in, no reset flow; the store then needs no password
    methods); a ``Passwords`` for the password rules; default (``None`` or ``True``) passwords on
    with the user store's own rules, if it has them. ``allowed_regions`` / ``default_region``:
    whose mobile numbers the pages accept and which region a number without ``+`` is read in
    (default: the engine's ``IdentifierParser``, mainland China). ``locales``: the page languages
    offered (default every locale with a catalog; ``["en"]`` for an English-only site, so a
    Chinese browser does not get Chinese errors under English labels). ``translations``: extra
    or replaced strings per locale. ``locale_dirs``: folders of the application's gettext
    catalogs (``<locale>/LC_MESSAGES/otp_flow.po``), read before the packaged ones; a catalog of
    a new locale adds that language (docs/languages.md). ``template_globals``: extra variables
    every page sees (for the application's overriding templates). ``mount_path``: where the app
    is mounted, used only when the application's routes do not show it (the pages and the
    middleware find the real ``Mount`` themselves). ``home_url``: where a person goes after
    signing in without a ``next``. ``password_attempts`` per
    ``password_window_seconds``: how many password sign-ins may be tried at one identifier from
    one requester (counted in the engine's store, known and unknown identifiers alike; a
    successful one starts afresh), and ``password_requester_attempts`` how many one requester
    may try across all identifiers. ``requester``: who is asking, a callable ``scope -> str``
    (default: the client address, see ``otp_flow.web._requester.ClientAddress``); the engine's
    ``requester_limits`` apply per requester key. ``trusted_proxies``: addresses or CIDR
    networks whose ``X-Forwarded-For`` / ``Forwarded`` the default key believes.
    ``clock``: default the engine's. ``send_timer``: how long a silent send (no account) waits,
    learnt per channel from real sends (default: a fresh ``SendTimer``).
    ``challenge``: a widget ``Challenge`` (Turnstile, hCaptcha, reCAPTCHA v2; v3 is refused: it
    needs an inline script) the code-sending forms ask for when needed: from a requester that
    has made ``challenge_after_sends`` sends in its current window (0: always), and from
    everyone once ``challenge_site_threshold`` of the site's day budget is spent; its provider's
    origins join the pages' CSP. It stays the caller's to ``aclose``. Without one the limits
    refuse with 429 and ``Retry-After``. See ``otp_flow.web._challenge_gate``.
    ``secret_keys`` left out: the engine's (``OTPEngine.secret_keys``), so they are given once.
    ``dev_outbox``: development only (it shows codes): also serve the engine's ``OutboxSender``
    at ``<mount>/dev/outbox`` (a page) and ``<mount>/dev/outbox.json``; refused when the
    engine's sender is not an ``OutboxSender``.
    """
    keys = normalise_keys(engine.secret_keys if secret_keys is None else secret_keys)
    check_local_path("mount_path", mount_path)
    check_local_path("home_url", home_url)
    check_cookie_name("session_cookie", session_cookie)
    if not 60 <= session_ttl_seconds <= 400 * _DAY:
        raise ValueError("session_ttl_seconds must be between 60 s and 400 days")
    if not site_name:
        raise ValueError("site_name must not be empty")
    if not callable(getattr(engine.renderer, "render_notice", None)):
        # Checked now, not when someone changes their phone: the old address must hear of it.
        raise ValueError(
            "the engine's renderer has no render_notice (see otp_flow.messages.MessageRenderer); "
            "the pages need it to tell an old address that it was replaced"
        )
    if passwords is not None and not isinstance(passwords, (bool, Passwords)):
        raise ValueError("passwords must be True, False or a Passwords (the password rules)")
    password_signin = passwords is not False
    check_user_store(users, passwords=password_signin)
    identifiers = engine.identifiers
    if allowed_regions is not None or default_region is not None:
        identifiers = IdentifierParser(
            allowed_regions=identifiers.allowed_regions
            if allowed_regions is None
            else allowed_regions,
            default_region=default_region,
            blocked_email_domains=identifiers.blocked_email_domains,
            check_email_deliverability=identifiers.check_email_deliverability,
        )
    outbox = dev_outbox_of(engine) if dev_outbox else None
    if requester is not None and trusted_proxies:
        raise ValueError("give requester or trusted_proxies, not both")
    requester = requester or ClientAddress(trusted_proxies=trusted_proxies)
    clock = clock or engine.clock
    csrf = CSRF(keys, clock=clock)
    rules = passwords if isinstance(passwords, Passwords) else None
    rules = rules or getattr(users, "passwords", None) or Passwords()
    pages = Pages(
        template_dirs=template_dirs,
        translator=Translator(translations, locales=locales, locale_dirs=locale_dirs),
        csrf=csrf,
        site_name=site_name,
        mount_path=mount_path.rstrip("/"),
        home_url=home_url,
        password_min_length=rules.min_length,
        password_signin=password_signin,
        challenge=challenge,
    )
    gate = None
    if challenge is not None:
        gate = ChallengeGate(
            challenge,
            after_sends=challenge_after_sends,
            site_threshold=challenge_site_threshold,
            window_seconds=engine.requester_limits.window_seconds,
            timezone=engine.limits.timezone,
            clock=clock,
        )
    pages.env.globals.update(template_globals or {})
    settings = AuthSettings(
        engine=engine,
        users=users,
        sessions=sessions or MemorySessionStore(clock=clock),
        hooks=hooks or UserHooks(),
        passwords=rules,
        pages=pages,
        csrf=csrf,
        pending=Signed(
            keys, purpose="pending", max_age=engine.policy.token_ttl_seconds, clock=clock
        ),
        session_signer=Signed(keys, purpose="session", max_age=session_ttl_seconds, clock=clock),
        client_id=client_id,
        mount_path=mount_path.rstrip("/"),
        home_url=home_url,
        session_cookie=session_cookie,
        session_ttl_seconds=session_ttl_seconds,
        clock=clock,
        password_throttle=PasswordThrottle(
            engine,
            clock,
            password_attempts,
            password_window_seconds,
            password_requester_attempts,
        ),
        identifiers=identifiers,
        password_signin=password_signin,
        requester=requester,
        challenge_gate=gate,
    )

    async def forbidden(request: Request, exc: Exception) -> Response:
        return pages.render(request, "error.html", {"kind": "csrf"}, status=403)

    async def unreadable(request: Request, exc: Exception) -> Response:
        return pages.render(request, "error.html", {"kind": "form"}, status=422)

    async def unavailable(request: Request, exc: Exception) -> Response:
        response = pages.render(request, "error.html", {"kind": "unavailable"}, status=503)
        response.headers["Retry-After"] = "30"
        return response

    app = Starlette(
        # No middleware of its own: the pages find the signed-in user themselves
        # (middleware.authenticate) when the application has no OTPAuthMiddleware.
        routes=[
            *flows.routes(settings, send_timer or flows.SendTimer()),
            *(outbox_routes(outbox) if outbox is not None else ()),
        ],
        exception_handlers={
            CSRFError: forbidden,
            FormError: unreadable,
            ServiceUnavailable: unavailable,
        },
    )
    app.state.otp_flow = settings
    pages.app = app
    return app
