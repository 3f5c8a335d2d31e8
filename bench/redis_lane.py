"""A prototype, not used by otp_flow: script calls pipelined on one connection per worker.

``Lane`` keeps one asyncio stream to Redis. Each call packs its command with hiredis, appends it
to the outgoing buffer and a future to a FIFO; the first call in an event-loop turn schedules a
single write of everything queued in that turn, so N concurrent EVALSHA calls cost one
``write`` and their replies are parsed by hiredis from as few ``read`` calls as arrive. Replies
come back in order, so the FIFO matches each to its caller.

The outage semantics otp_flow's RedisStore has, kept:

- fail closed: every error (refused connection, dropped connection, a reply error) reaches the
  caller as an exception (the store turns it into StoreUnavailable);
- a dropped connection fails every call waiting on it; each is retried once, on a fresh
  connection (as RedisStore's one retry: after a Redis restart no request is lost; should the
  script have run before the drop, it runs twice, which errs on the safe side);
- ``timeout`` bounds connecting, writing and waiting for the reply together and is never
  retried; a late reply is still read and dropped, so the FIFO stays aligned;
- NOSCRIPT (after a restart or SCRIPT FLUSH) loads the script and calls it again.

What it does not do (why the lead would rather keep redis-py): TLS, AUTH/ACL, RESP3, Cluster
(a lane per node and MOVED/ASK handling), Sentinel, health checks of idle connections.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Sequence

import hiredis

Arg = str | bytes | int


class LaneConnectionError(ConnectionError):
    """The connection to Redis failed or dropped (the store's StoreUnavailable)."""


class LaneReplyError(Exception):
    """Redis answered with an error."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.waiting: deque[asyncio.Future[object]] = deque()
        self.outgoing: list[bytes] = []
        self.broken: BaseException | None = None
        self.reading = asyncio.get_running_loop().create_task(self._read(reader))

    def submit(self, packed: bytes) -> asyncio.Future[object]:
        if self.broken is not None:
            raise LaneConnectionError("connection lost") from self.broken
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        if not self.outgoing:
            asyncio.get_running_loop().call_soon(self._flush)
        self.outgoing.append(packed)
        return future

    def _flush(self) -> None:
        if self.broken is None and self.outgoing:
            try:
                self.writer.write(b"".join(self.outgoing))
            except (OSError, RuntimeError) as exc:
                self._break(exc)
        self.outgoing.clear()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        parser = hiredis.Reader()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    raise LaneConnectionError("Redis closed the connection")
                parser.feed(data)
                while (reply := parser.gets()) is not False:
                    future = self.waiting.popleft()
                    if not future.done():  # a caller that timed out left its future
                        future.set_result(reply)
        except (OSError, LaneConnectionError, hiredis.ProtocolError, IndexError) as exc:
            self._break(exc)

    def _break(self, exc: BaseException) -> None:
        if self.broken is None:
            self.broken = exc
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(LaneConnectionError(str(exc)))
        self.writer.close()

    def close(self) -> None:
        self._break(LaneConnectionError("closed"))
        self.reading.cancel()


class Lane:
    """One pipelined connection to ``host:port`` (per worker process)."""

    def __init__(self, host: str, port: int, *, timeout: float = 2.0) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.host, self.port, self.timeout = host, port, timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Lock | None = None

    async def _open(self) -> _Connection:
        connection = self._connection
        if connection is not None and connection.broken is None:
            return connection
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # one reconnect for all the callers that found it broken
            connection = self._connection
            if connection is None or connection.broken is not None:
                try:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                except OSError as exc:
                    raise LaneConnectionError(f"cannot connect: {exc}") from exc
                connection = self._connection = _Connection(reader, writer)
            return connection

    async def execute(self, *args: Arg) -> object:
        """One command; a reply error raises LaneReplyError."""
        packed = hiredis.pack_command(args)  # type: ignore[arg-type]  # its stub says 1-tuple
        for attempt in range(2):
            try:
                async with asyncio.timeout(self.timeout):
                    connection = await self._open()
                    reply = await connection.submit(packed)
            except LaneConnectionError:
                if attempt:
                    raise
                continue  # once, on a fresh connection
            if isinstance(reply, hiredis.ReplyError):
                raise LaneReplyError(str(reply))
            return reply
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class LaneScript:
    """EVALSHA of ``source`` on a lane; on NOSCRIPT, SCRIPT LOAD and once more."""

    def __init__(self, lane: Lane, source: str) -> None:
        self.lane = lane
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, *, keys: Sequence[Arg], args: Sequence[Arg]) -> object:
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        try:
            return await self.lane.execute(*command)
        except LaneReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        await self.lane.execute("SCRIPT", "LOAD", self.source)
        return await self.lane.execute(*command)
