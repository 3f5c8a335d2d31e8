"""``create_api_app``: the routes of every dialect (``_dialects.DIALECTS``) over one engine, its
clients and one set of accounts (exported from ``otp_flow.web.api``, whose docstring shows how
to serve it)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from otp_flow import defaults
from otp_flow._clients import by_id
from otp_flow.config import AuthSource
from otp_flow.engine import OTPEngine
from otp_flow.passwords import Passwords
from otp_flow.senders._outbox import OutboxSender
from otp_flow.tokens import SigningKeys, TokenService, token_store_beside
from otp_flow.users import MemoryUserStore, UserEvent, UserHooks, UserStore
from otp_flow.web._clientauth import ClientDirectory, SignedRequestAuthenticator
from otp_flow.web._devoutbox import outbox_routes
from otp_flow.web._sessions import SessionStore
from otp_flow.web.api._common import MAX_BODY_BYTES
from otp_flow.web.api._context import ApiContext
from otp_flow.web.api._dialects import DIALECTS
from otp_flow.web.api._document import openapi_routes

__all__ = ["create_api_app"]


def create_api_app(
    engine: OTPEngine,
    *,
    auth_sources: Iterable[AuthSource] = (),
    users: UserStore | None = None,
    tokens: TokenService | None = None,
    sessions: SessionStore | None = None,
    hooks: UserHooks | None = None,
    passwords: Passwords | None = None,
    outbox: OutboxSender | None = None,
    dev: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    signature_window_seconds: int = defaults.SIGNATURE_WINDOW_SECONDS,
    onlyid_language: str = defaults.ONLYID_LANGUAGE,
    onlyid_expire_minutes: int = defaults.ONLYID_EXPIRE_MINUTES,
    onlyid_max_fail_count: int = defaults.ONLYID_MAX_FAIL_COUNT,
) -> Starlette:
    """The endpoints of every dialect (CIAM, Yunpian, OnlyID), ``/openapi.json`` and, when
    ``dev`` and an ``outbox`` is given, ``/dev/outbox`` and ``/dev/outbox.json``.

    Who may call is ``engine.clients``, the same registry the engine charges quotas to.
    ``users``: the accounts CIAM signs in, signs up, resets and updates (default: a new one in
    memory). ``tokens``: mints and checks CIAM's tokens (default: a key generated now, which
    is logged loudly, and families beside the codes; see ``otp_flow.tokens``); a password reset
    by any side (these endpoints or the pages sharing ``hooks``) ends the user's tokens.
    ``sessions``: the pages' sessions, ended by a password reset here. ``hooks``: the pages'
    hooks, fired for signups, logins, updates and resets made here; their guards
    (``before_signup``, ``before_send``) run before every ``POST /otp/send``. ``passwords``:
    the password rules (default: the user store's own). Timestamps of signed Yunpian requests
    are checked against the engine's clock.
    """
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
        raise ValueError("max_body_bytes must be an integer")
    low, high = defaults.MAX_BODY_BYTES_BOUNDS
    if not low <= max_body_bytes <= high:
        raise ValueError(f"max_body_bytes must be between {low} and {high}")
    if users is None:
        users = MemoryUserStore()
    elif not isinstance(users, UserStore):
        raise ValueError("users must implement otp_flow.users.UserStore")
    if tokens is None:
        tokens = TokenService(
            keys=SigningKeys.ephemeral(),
            store=token_store_beside(engine.store),
            clock=engine.clock,
        )
    hooks = hooks if hooks is not None else UserHooks()
    directory = ClientDirectory(engine.clients)
    context = ApiContext(
        engine=engine,
        clients=directory,
        signed=SignedRequestAuthenticator(
            directory, engine, window_seconds=signature_window_seconds, clock=engine.clock
        ),
        users=users,
        tokens=tokens,
        hooks=hooks,
        passwords=passwords or getattr(users, "passwords", None) or Passwords(),
        auth_sources=by_id(auth_sources, "auth source"),
        sessions=sessions,
        max_body_bytes=max_body_bytes,
        onlyid_language=onlyid_language,
        onlyid_expire_minutes=onlyid_expire_minutes,
        onlyid_max_fail_count=onlyid_max_fail_count,
    )
    _end_tokens_on_reset(hooks, tokens)
    served_dev = dev and outbox is not None
    routes: list[BaseRoute] = [
        *(route for dialect in DIALECTS for route in dialect(context).routes()),
        *openapi_routes(dev=served_dev),
    ]
    if served_dev and outbox is not None:
        routes += outbox_routes(outbox)
    return Starlette(routes=routes)


def _end_tokens_on_reset(hooks: UserHooks, tokens: TokenService) -> None:
    """A password reset on the pages (which share ``hooks``) ends the user's tokens too."""

    async def end_tokens(event: UserEvent) -> None:
        await tokens.end_user(event.user.id)

    hooks.after_reset_password(end_tokens)
