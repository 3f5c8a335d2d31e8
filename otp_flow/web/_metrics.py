"""``MetricsEndpoint``: the Prometheus scrape target, a plain ASGI app the operator mounts.

    app.mount("/metrics", MetricsEndpoint(metrics, bearer_token=os.environ["METRICS_TOKEN"]))

``otp-flow serve`` mounts it at ``/metrics`` when ``[metrics] enabled = true``. With a
``bearer_token`` a scrape must send ``Authorization: Bearer <token>`` (compared in constant
time); without one the endpoint is open, so keep it off the public internet.
"""

from __future__ import annotations

import hmac

from starlette.types import Receive, Scope, Send

from otp_flow.metrics import Metrics

__all__ = ["MetricsEndpoint"]


class MetricsEndpoint:
    def __init__(self, metrics: Metrics, *, bearer_token: str | None = None) -> None:
        if bearer_token is not None and len(bearer_token) < 16:
            raise ValueError("bearer_token must be at least 16 characters")
        self.metrics = metrics
        self._expected = f"Bearer {bearer_token}".encode() if bearer_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, b"method not allowed\n", [(b"allow", b"GET, HEAD")])
            return
        if self._expected is not None:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                challenge = [(b"www-authenticate", b'Bearer realm="metrics"')]
                await _answer(send, 401, b"unauthorized\n", challenge)
                return
        body, content_type = self.metrics.exposition()
        head = scope["method"] == "HEAD"
        await _answer(send, 200, body, [(b"content-type", content_type.encode())], head=head)


async def _answer(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]], *, head: bool = False
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *headers,
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})
