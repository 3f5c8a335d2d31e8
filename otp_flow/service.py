"""The standalone service behind ``otp-flow serve``: the JSON APIs over one configured runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from otp_flow.config import Settings
from otp_flow.runtime import Runtime, build_runtime, build_tokens
from otp_flow.types import Clock, system_clock
from otp_flow.web.api import create_api_app

__all__ = ["create_api", "create_app"]


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    clock: Clock = system_clock,
) -> Starlette:
    """The service app. Without ``runtime`` it is built from ``settings`` (default: the
    development settings) and closed on shutdown; a given ``runtime`` stays the caller's.
    ``/metrics`` is served when the runtime has metrics (``[metrics] enabled = true``).
    """
    owned = runtime is None
    if runtime is None:
        runtime = build_runtime(settings or Settings.development(), clock=clock)
    config = runtime.settings
    api = create_api(runtime)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.open()  # e.g. the SQL users table of [users] url
        try:
            yield
        finally:
            if owned:
                await runtime.aclose()

    # The API's routes directly, not Mount("/", api): one middleware stack per request, not two.
    routes: list[BaseRoute] = list(api.routes)
    if runtime.metrics is not None:
        from otp_flow.web._metrics import MetricsEndpoint

        token = config.metrics.bearer_token
        routes.append(Route("/metrics", MetricsEndpoint(runtime.metrics, bearer_token=token)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app


def create_api(runtime: Runtime, **shared: Any) -> Starlette:
    """The JSON APIs over ``runtime``, configured by its settings: the one place the service
    and the demo build them, so both honour every ``[api]`` key. ``shared``: further
    ``create_api_app`` keywords (the demo's ``sessions``, ``hooks``, ``passwords``)."""
    config = runtime.settings
    return create_api_app(
        runtime.engine,
        auth_sources=config.auth_sources,
        users=runtime.users,
        tokens=build_tokens(config, runtime.store, clock=runtime.engine.clock),
        outbox=runtime.outbox,
        dev=config.dev,
        # The [api] table's keys are create_api_app's keyword names, one for one.
        **msgspec.structs.asdict(config.api),
        **shared,
    )
