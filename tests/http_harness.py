"""A real local HTTP server that records every request, for testing clients of paid HTTP APIs.

It runs ``http.server`` in a thread on a free loopback port, so the code under test makes real
requests over real sockets. Answers are scripted::

    with RecordingHTTPServer() as server:
        server.respond(200, {"ok": True})          # the default answer from now on
        server.queue(503, b"busy")                 # the next request only, then the default
        server.hang()                              # never answer (until the server stops)
        ... server.url ... server.requests[0].json() ...
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["RecordedRequest", "RecordingHTTPServer", "Reply"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    #: Path and query, as sent (``/send?x=1``).
    target: str
    #: Header names lower-cased; a repeated header keeps its last value.
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.target).query).items()}

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Never answer: hold the connection open until the server stops.
    hang: bool = False

    @classmethod
    def of(cls, status: int, body: object = b"", headers: dict[str, str] | None = None) -> Reply:
        """``body``: bytes as is, str as UTF-8 text, anything else as JSON."""
        extra = dict(headers or {})
        if isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode()
            extra.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            raw = json.dumps(body).encode()
            extra.setdefault("Content-Type", "application/json")
        return cls(status, raw, extra)


class RecordingHTTPServer:
    """Records requests and answers them as scripted. Thread-safe; start/stop or use ``with``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[RecordedRequest] = []
        self._default = Reply()
        self._queued: deque[Reply] = deque()
        self._lock = threading.Lock()
        # Set when the server stops, so hanging handlers can let go.
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, status: int = 200, body: object = b"", **headers: str) -> None:
        """The answer to every request from now on (after any queued ones)."""
        with self._lock:
            self._default = Reply.of(status, body, headers)

    def queue(self, status: int = 200, body: object = b"", **headers: str) -> None:
        """The answer to the next unanswered request only."""
        with self._lock:
            self._queued.append(Reply.of(status, body, headers))

    def hang(self) -> None:
        """Never answer from now on: the client's timeout is all that ends the request."""
        with self._lock:
            self._default = Reply(hang=True)

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._queued.popleft() if self._queued else self._default

    def start(self) -> None:
        # A short poll interval: stop() waits for one, and the suite starts many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"http-harness-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> RecordingHTTPServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        harness = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = RecordedRequest(
                    method=self.command,
                    target=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = harness._next_reply(recorded)
                if reply.hang:
                    harness._stopping.wait()
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean

        return Handler
