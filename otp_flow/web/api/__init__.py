"""The seeds' JSON APIs as one Starlette app (routes only: no middleware, no exception handlers).

    from otp_flow.web.api import create_api_app
    api = create_api_app(engine, auth_sources=sources, users=users, tokens=tokens)
    app = Starlette(routes=[..., *api.routes])  # or Mount("/api", app=api) under a prefix

Its routes go straight into the application's (the endpoints keep their seed paths): a
``Mount("/", app=api)`` would run a second middleware stack on every request for nothing.

Every dialect shares one engine (codes are scoped per client) and its clients: the API
authenticates exactly the clients whose quotas the engine enforces. Beside the pages, pass the
pages' ``users``, ``sessions`` and ``hooks`` so that both sides see one set of accounts.
"""

from otp_flow.web.api._app import create_api_app

__all__ = ["create_api_app"]
