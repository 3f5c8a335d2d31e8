"""The apps the benchmarks serve with uvicorn (``--factory bench.apps:bare_app`` ...).

``bare_app``: the floor — a Starlette endpoint that parses the same JSON body and returns a fixed
JSON answer, on the same paths. ``otp_app``: otp_flow's API app on Redis (URL from the
``OTP_BENCH_REDIS_URL`` environment variable) with rate limits off (``OTP_BENCH_LIMITS=on``: the
default limits, the app-per-day one raised out of the way).

For the whole sign-ins (bench/signin.py): ``pages_app`` is an application with otp_flow's pages
mounted at ``/auth`` and a protected ``/account``, users, sessions and codes all in Redis;
``ciam_app`` is the API app with an SMS auth source and those users. Their sender hands each code
to the driver in one UDP datagram to ``OTP_BENCH_CODE_SINK`` (a loopback port): the driver reads
codes as a person reads SMS, and the provider's network call stays out of the server's figures.
``bare_pages_app`` is their floor: a fixed page for GET, a form read and a redirect for POST.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from bench.common import SECRET_KEY, bench_engine
from otp_flow.config import AuthSource
from otp_flow.engine import OTPEngine
from otp_flow.policy import Limits
from otp_flow.senders._base import Message
from otp_flow.stores.redis import RedisStore
from otp_flow.users import RedisUserStore
from otp_flow.web import OTPAuthMiddleware, RedisSessionStore, create_auth_app
from otp_flow.web.api import create_api_app

REDIS_URL_VARIABLE = "OTP_BENCH_REDIS_URL"
LIMITS_VARIABLE = "OTP_BENCH_LIMITS"
CODE_SINK_VARIABLE = "OTP_BENCH_CODE_SINK"
#: The CIAM auth source the API sign-in sends by.
AUTH_SOURCE = AuthSource("bench-sms", "sms")
#: Where a signed-in person lands; the middleware protects it.
PROTECTED = "/account"

_FIXED = {"otp_token": "bench"}
_PAGE = HTMLResponse("<!doctype html><title>bench</title><p>" + "bench " * 200 + "</p>").body


async def _parse_and_answer(request: Request) -> Response:
    body = await request.json()
    if not isinstance(body, dict):
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    return JSONResponse(_FIXED)


async def _page(request: Request) -> Response:
    return HTMLResponse(_PAGE)


async def _form_and_redirect(request: Request) -> Response:
    form = await request.form()
    return RedirectResponse(f"/page?n={len(form)}", status_code=303)


def bare_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/otp/send", _parse_and_answer, methods=["POST"]),
            Route("/otp/verify", _parse_and_answer, methods=["POST"]),
            Route("/oauth2/token", _parse_and_answer, methods=["POST"]),
        ]
    )


def bare_pages_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/page", _page, methods=["GET"]),
            Route("/form", _form_and_redirect, methods=["POST"]),
        ]
    )


def _redis_store() -> RedisStore:
    return RedisStore.from_url(os.environ[REDIS_URL_VARIABLE], socket_timeout=2.0)


def _closing(engine: OTPEngine) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A lifespan that closes the engine's store on shutdown."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.aclose()

    return lifespan


def otp_app() -> Starlette:
    limits = Limits(app_per_day=10**9) if os.environ.get(LIMITS_VARIABLE) == "on" else None
    engine = bench_engine(_redis_store(), limits=limits)
    api = create_api_app(engine)
    # The API's routes directly (as otp_flow.service does): one middleware stack, not two.
    return Starlette(routes=api.routes, lifespan=_closing(engine))


class UDPCodeSink:
    """Delivers each code in one datagram ``<recipient> <code>`` to the driver (loopback)."""

    def __init__(self, port: int) -> None:
        self.address = ("127.0.0.1", port)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setblocking(False)

    async def send(self, message: Message) -> None:
        self.socket.sendto(f"{message.recipient} {message.code}".encode(), self.address)


def signin_engine(store: RedisStore) -> OTPEngine:
    """Production's limits per recipient (each flow signs in another person), the app-per-day
    limit out of the way, and the code sent to the driver."""
    sink = UDPCodeSink(int(os.environ[CODE_SINK_VARIABLE]))
    return bench_engine(store, limits=Limits(app_per_day=10**9), sender=sink)


async def _account(request: Request) -> Response:
    return HTMLResponse(f"<p>Signed in as {request.user.display_name}</p>")


def pages_app() -> Starlette:
    store = _redis_store()
    engine = signin_engine(store)
    auth = create_auth_app(
        engine,
        users=RedisUserStore(store),
        sessions=RedisSessionStore(store),
        secret_keys=[SECRET_KEY],
        # The driver is the site's proxy: each flow names its person in X-Forwarded-For.
        trusted_proxies=["127.0.0.1"],
    )
    return Starlette(
        routes=[Route(PROTECTED, _account), Mount("/auth", app=auth, name="otp_flow")],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth, protected=[PROTECTED])],
        lifespan=_closing(engine),
    )


def ciam_app() -> Starlette:
    store = _redis_store()
    engine = signin_engine(store)
    api = create_api_app(engine, auth_sources=[AUTH_SOURCE], users=RedisUserStore(store))
    return Starlette(routes=api.routes, lifespan=_closing(engine))
