"""An ASGI app served by uvicorn on a free loopback port, on the test's own event loop.

Real HTTP (sockets, uvicorn's parser, real cookies) while the test keeps direct access to the
stores and the outbox the app uses: they live on the same loop, so a Redis client is shared
without crossing loops. ``tests/uvicorn_harness.py`` is the child-process variant.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from otp_flow.stores.base import OTPStore
from tests.conftest import FakeClock
from tests.redis_harness import free_port
from tests.web_helpers import Site, build_app

__all__ = ["open_live_site", "serve"]


@asynccontextmanager
async def serve(app: ASGIApp, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` until the block ends (``options`` go to ``uvicorn.Config``, e.g.
    ``root_path``); yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)  # polling the server's start-up, not passing test time
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def open_live_site(store: OTPStore, clock: FakeClock, **options: Any) -> AsyncIterator[Site]:
    """``tests.web_helpers.open_site`` over real HTTP: the same ``Site`` helpers work."""
    app, auth, engine, outbox, users, sessions, hooks = build_app(store, clock, **options)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield Site(app, auth, engine, outbox, users, sessions, hooks, clock, client)
