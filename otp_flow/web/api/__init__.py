"""The seeds' JSON APIs as one mountable Starlette app.

    from otp_flow.web.api import create_api_app
    api = create_api_app(engine, auth_sources=sources, users=users)
    app = Starlette(routes=[..., Mount("/", app=api)])

All three dialects share one engine (codes are scoped per client) and its clients: the API
authenticates exactly the clients whose quotas the engine enforces.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from otp_flow.config import AuthSource
from otp_flow.engine import OTPEngine
from otp_flow.senders.outbox import OutboxSender
from otp_flow.web.api.ciam import CIAMApi, UserLookup
from otp_flow.web.api.common import MAX_BODY_BYTES
from otp_flow.web.api.onlyid import OnlyIDApi
from otp_flow.web.api.yunpian import YunpianApi
from otp_flow.web.clientauth import ClientDirectory, SignedRequestAuthenticator
from otp_flow.web.devoutbox import outbox_routes

__all__ = ["UserLookup", "create_api_app"]


def create_api_app(
    engine: OTPEngine,
    *,
    auth_sources: Iterable[AuthSource] = (),
    users: UserLookup | None = None,
    outbox: OutboxSender | None = None,
    dev: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    signature_window_seconds: int = 300,
    onlyid_language: str = "zh",
    onlyid_expire_minutes: int = 10,
    onlyid_max_fail_count: int = 10,
) -> Starlette:
    """The CIAM, Yunpian and OnlyID endpoints, ``/openapi.json`` and, when ``dev`` and an
    ``outbox`` is given, ``/dev/outbox`` and ``/dev/outbox.json``.

    Who may call is ``engine.clients``, the same registry the engine charges quotas to.
    ``users``: consulted by CIAM signup
    (``phone_number_is_used`` / ``email_is_used``); None skips that check.
    Timestamps of signed Yunpian requests are checked against the engine's clock.
    """
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
        raise ValueError("max_body_bytes must be an integer")
    if max_body_bytes < 1024:
        raise ValueError("max_body_bytes must be at least 1024")
    directory = ClientDirectory(engine.clients)
    sources: dict[str, AuthSource] = {}
    for source in auth_sources:
        if source.id in sources:
            raise ValueError(f"auth source id {source.id!r} is configured twice")
        sources[source.id] = source
    signed = SignedRequestAuthenticator(
        directory, engine.store, window_seconds=signature_window_seconds, clock=engine.clock
    )
    # Imported here: the document reads the dialect modules, which import this package.
    from otp_flow.web.openapi import openapi_routes

    served_dev = dev and outbox is not None
    routes: list[BaseRoute] = [
        *CIAMApi(
            engine, directory, auth_sources=sources, users=users, max_body_bytes=max_body_bytes
        ).routes(),
        *YunpianApi(engine, signed, max_body_bytes=max_body_bytes).routes(),
        *OnlyIDApi(
            engine,
            directory,
            language=onlyid_language,
            expire_minutes=onlyid_expire_minutes,
            max_fail_count=onlyid_max_fail_count,
            max_body_bytes=max_body_bytes,
        ).routes(),
        *openapi_routes(dev=served_dev),
    ]
    if served_dev and outbox is not None:
        routes += outbox_routes(outbox)
    return Starlette(routes=routes)
