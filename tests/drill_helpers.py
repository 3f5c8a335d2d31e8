"""What the fault drills share: the app in a real uvicorn process, the dialects as calls, a tally.

The app runs as ``uvicorn --factory tests.drill_helpers:drill_app`` in a child process (its own
interpreter and event loop, as in production), configured through ``DRILL_*`` environment
variables. The drills' clients therefore time the app as a real caller would: a hang in the app
is a slow answer, never a stalled test loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette

from otp_flow._clients import Client
from otp_flow.engine import OTPEngine
from otp_flow.policy import CodePolicy, Limits
from otp_flow.senders._base import Sender
from otp_flow.senders._outbox import OutboxEntry, OutboxSender
from otp_flow.senders._router import ChannelRouter
from otp_flow.senders._smtp import SMTPSender
from otp_flow.stores.redis import RedisStore
from otp_flow.web.api import _onlyid as onlyid_dialect
from otp_flow.web.api import _yunpian as yunpian_dialect
from otp_flow.web.api import create_api_app
from tests.api_helpers import basic
from tests.conftest import T0
from tests.uvicorn_harness import UvicornProcess

KEY = "drill-secret-key-0123456789abcdef"
CIAM = Client("drill-ciam", "drill-ciam-secret", email_quota=3)
YUNPIAN = Client("drill-yunpian", "drill-yunpian-key")
ONLYID = Client("drill-onlyid", "drill-onlyid-secret", email_quota=3)
DIALECTS = ("ciam", "yunpian", "onlyid")
OUTBOX_SIZE = 1000


# ------------------------------------------------------------------------------ the app


def drill_app() -> Starlette:
    """The API app of a drill, from the environment (see ``DrillServer``)."""
    env = os.environ
    store = RedisStore.from_url(env["DRILL_REDIS_URL"], socket_timeout=float(env["DRILL_TIMEOUT"]))
    outbox = OutboxSender(store, max_messages=OUTBOX_SIZE)
    sender: Sender = outbox
    if env.get("DRILL_SMTP_PORT"):
        smtp = SMTPSender(
            host="127.0.0.1",
            port=int(env["DRILL_SMTP_PORT"]),
            from_address="codes@example.com",
            timeout=10.0,  # the server is up or refuses at once: never a slow failure
        )
        sender = ChannelRouter(sms=outbox, email=smtp)
    limits = json.loads(env.get("DRILL_LIMITS", "{}"))
    fixed = env.get("DRILL_FIXED_CLOCK") == "1"
    engine = OTPEngine(
        secret_keys=[KEY],
        store=store,
        policy=CodePolicy(
            ttl_seconds=300, token_ttl_seconds=600, max_failures=int(env["DRILL_MAX_FAILURES"])
        ),
        limits=Limits(**limits) if limits else Limits.off(),
        clients=[CIAM, YUNPIAN, ONLYID],
        sender=sender,
        # A clock that stands still: a drill never crosses a rate-limit window by bad luck.
        clock=(lambda: T0) if fixed else time.time,
    )
    api = create_api_app(engine)

    async def close(app: Starlette) -> AsyncIterator[None]:
        yield
        await engine.aclose()

    return Starlette(routes=api.routes, lifespan=asynccontextmanager(close))


class DrillServer(UvicornProcess):
    """``drill_app`` in one uvicorn worker on a free loopback port (a context manager)."""

    def __init__(
        self,
        redis_url: str,
        *,
        timeout: float = 0.5,
        limits: Mapping[str, Any] | None = None,
        fixed_clock: bool = False,
        max_failures: int = 5,
        smtp_port: int | None = None,
    ) -> None:
        env = {
            "DRILL_REDIS_URL": redis_url,
            "DRILL_TIMEOUT": str(timeout),
            "DRILL_LIMITS": json.dumps(dict(limits or {})),
            "DRILL_FIXED_CLOCK": "1" if fixed_clock else "0",
            "DRILL_MAX_FAILURES": str(max_failures),
            "DRILL_SMTP_PORT": str(smtp_port or ""),
        }
        super().__init__(
            "tests.drill_helpers:drill_app",
            env=env,
            log_level="error",
            options=("--ws", "none"),
            start_timeout=20,
        )


class Outbox:
    """Reads codes back from the app's outbox in Redis, many per read.

    Each read opens its own connection: a pooled one may have gone stale in an outage drill.
    """

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.codes: dict[str, str] = {}

    async def messages(self, limit: int = 200) -> list[OutboxEntry]:
        """The newest ``limit`` messages, newest first."""
        store = RedisStore.from_url(self.redis_url)
        try:
            return await OutboxSender(store, max_messages=OUTBOX_SIZE).messages(limit)
        finally:
            await store.aclose()

    async def code(self, recipient: str) -> str:
        """The code sent to ``recipient`` (normalised form); each recipient gets one."""
        if recipient not in self.codes:
            for message in reversed(await self.messages()):  # oldest first: the newest wins
                self.codes[message["recipient"]] = message["code"]
        return self.codes[recipient]


def e164(national: str) -> str:
    return "+86" + national


# ------------------------------------------------------------------------ raw HTTP load


def ciam_request(path: str, payload: Mapping[str, str]) -> bytes:
    """One CIAM POST as bytes on the wire (HTTP/1.1, keep-alive)."""
    body = json.dumps(payload).encode()
    auth = basic(CIAM.id, CIAM.secret)["Authorization"]
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: {auth}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def post_all(
    port: int, requests: list[bytes], *, connections: int, depth: int = 1
) -> list[tuple[int, Any]]:
    """(status, JSON body) of each request, in order, sent over ``connections`` keep-alive
    connections with up to ``depth`` pipelined requests in flight on each.

    A bare client, because thousands of requests through httpx would cost the client more CPU
    than the app under test, on a machine of two cores.
    """
    answers: list[tuple[int, Any]] = [(0, None)] * len(requests)

    async def one_connection(indexes: list[int]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for start in range(0, len(indexes), depth):
                batch = indexes[start : start + depth]
                writer.write(b"".join(requests[i] for i in batch))
                await writer.drain()
                for i in batch:
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head.split(b" ", 2)[1])
                    length = int(_header(head, b"content-length") or 0)
                    answers[i] = (status, json.loads(await reader.readexactly(length)))
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(
        *(one_connection(list(range(c, len(requests), connections))) for c in range(connections))
    )
    return answers


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


# ------------------------------------------------------------------------ the dialects


@dataclass(frozen=True)
class Answer:
    dialect: str
    operation: str
    status: int
    body: Any
    seconds: float


async def call(
    http: httpx.AsyncClient,
    dialect: str,
    operation: str,
    recipient: str,
    *,
    code: str = "",
    token: str = "",
) -> Answer:
    """One send or verify of ``dialect`` for ``recipient`` (a national mobile number, or an
    email address for CIAM and OnlyID). An OnlyID send with ``code`` asks for that code."""
    started = time.monotonic()
    if dialect == "ciam":
        auth = basic(CIAM.id, CIAM.secret)
        if operation == "send":
            field = "email" if "@" in recipient else "phone_number"
            response = await http.post("/otp/send", json={field: recipient}, headers=auth)
        else:
            pair = {"otp_token": token, "code": code}
            response = await http.post("/otp/verify", json=pair, headers=auth)
    elif dialect == "yunpian":
        headers = {"x-app-id": YUNPIAN.id, "x-app-key": YUNPIAN.secret}
        path = "/api/sms/sendCode" if operation == "send" else "/api/sms/verifyCode"
        form = {"phone": recipient} if operation == "send" else {"phone": recipient, "code": code}
        response = await http.post(path, data=form, headers=headers)
    else:
        payload = {"clientId": ONLYID.id, "clientSecret": ONLYID.secret, "recipient": recipient}
        if code:
            payload["code"] = code
        path = "/api/open/send-otp" if operation == "send" else "/api/open/verify-otp"
        response = await http.post(path, json=payload)
    body: Any = None
    try:
        body = response.json()
    except json.JSONDecodeError:
        body = response.text
    return Answer(dialect, operation, response.status_code, body, time.monotonic() - started)


def is_dialect_503(answer: Answer) -> bool:
    """A 503 in the shape its dialect documents for an outage."""
    if answer.status != 503:
        return False
    expected: dict[str, object]
    if answer.dialect == "ciam":
        return isinstance(answer.body, dict) and answer.body.get("error") == (
            "temporarily_unavailable"
        )
    if answer.dialect == "yunpian":
        expected = {"code": 50300, "msg": yunpian_dialect.MESSAGES[50300], "meta": {}, "data": {}}
    else:
        expected = {"error": onlyid_dialect.MESSAGES["zh"]["unavailable"]}
    return bool(answer.body == expected)


@dataclass
class Tally:
    """Counts answers by (operation, status) and prints them in one line."""

    name: str
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)

    def add(self, answer: Answer) -> None:
        self.counts[answer.operation, answer.status] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        parts = ", ".join(f"{op} {st}: {n}" for (op, st), n in sorted(self.counts.items()))
        return f"{self.name}: {self.total} requests ({parts})"
