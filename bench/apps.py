"""The two apps ``bench/http.py`` serves with uvicorn (``--factory bench.apps:bare_app`` ...).

``bare_app``: the floor — a Starlette endpoint that parses the same JSON body and returns a fixed
JSON answer, on the same paths. ``otp_app``: otp_flow's API app on Redis (URL from the
``OTP_BENCH_REDIS_URL`` environment variable) with rate limits off.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bench.common import bench_engine
from otp_flow.stores.redis import RedisStore
from otp_flow.web.api import create_api_app

REDIS_URL_VARIABLE = "OTP_BENCH_REDIS_URL"

_FIXED = {"otp_token": "bench"}


async def _parse_and_answer(request: Request) -> Response:
    body = await request.json()
    if not isinstance(body, dict):
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    return JSONResponse(_FIXED)


def bare_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/otp/send", _parse_and_answer, methods=["POST"]),
            Route("/otp/verify", _parse_and_answer, methods=["POST"]),
        ]
    )


def otp_app() -> Starlette:
    store = RedisStore.from_url(os.environ[REDIS_URL_VARIABLE], socket_timeout=2.0)
    engine = bench_engine(store)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.aclose()

    api = create_api_app(engine)
    return Starlette(routes=[Mount("/", app=api)], lifespan=lifespan)
