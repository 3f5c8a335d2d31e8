"""The seeds' clients and auth sources as a configuration, and helpers to drive the API app."""

from __future__ import annotations

import base64
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote_plus

import httpx
from starlette.applications import Starlette

from otp_flow.config import Settings
from otp_flow.runtime import Runtime, build_engine, build_senders, build_store
from otp_flow.stores.base import OTPStore
from otp_flow.users import MemoryUserStore, UserHooks, UserStore
from otp_flow.web.api import create_api_app
from tests.conftest import FakeClock

# The CIAM seed's Basic headers decode to these (checked in tests/test_api_ciam.py).
TENANT = ("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET")
CLIENT_4 = ("CLIENT_4_ID", "CLIENT_4_SECRET")
SMS_SOURCE = "MOCK_SMS_OTP_AUTH_SOURCE_ID"
EMAIL_SOURCE = "MOCK_EMAIL_OTP_AUTH_SOURCE_ID"
# The Yunpian seed's two apps (x-app-id, appKey).
YP_SEND_APP = ("7bc548ae10394f23b7d76a48cec23dec", "5d2ae085c72f4ac8b91562d9b628c1e5")
YP_SIGN_APP = ("40685513ea3446debdd5e04d03301e2a", "1f63ee1d8e4547b7b9060fb9fa44a766")
# The OnlyID seed's app.
ONLYID_APP = ("98d44b4a3543db79", "8d08fbbd89a547df8bda56eba12fac2e")
# Quota tests: one message per channel.
QUOTA_CLIENT = ("QUOTA_CLIENT", "QUOTA_SECRET")
# A secret that only survives Basic auth when url-encoded and decoded (":" "+" " " "%").
ODD_CLIENT = ("odd.client", "p@ss:w rd+%/é")

PHONE = "13612345678"
E164 = "+8613612345678"
EMAIL = "mock_username@example.com"

SEED_CONFIG: dict[str, Any] = {
    "secret_keys": ["test-secret-key-0123456789abcdef"],
    "store": "memory",
    "timezone": "Asia/Shanghai",
    "dev": True,
    "allowed_regions": ["CN"],
    "blocked_email_domains": ["mailinator.com"],
    "clients": [
        {"id": cid, "secret": secret}
        for cid, secret in (TENANT, CLIENT_4, YP_SEND_APP, YP_SIGN_APP, ONLYID_APP, ODD_CLIENT)
    ]
    + [{"id": QUOTA_CLIENT[0], "secret": QUOTA_CLIENT[1], "sms_quota": 1, "email_quota": 1}],
    "auth_sources": [
        {"id": SMS_SOURCE, "channel": "sms", "code_length": 6, "ttl_seconds": 300},
        {"id": EMAIL_SOURCE, "channel": "email", "code_length": 8, "ttl_seconds": 300},
    ],
    "senders": {"sms": {"type": "outbox"}, "email": {"type": "outbox"}},
}


def seed_settings(**overrides: Any) -> Settings:
    """The seed configuration; each keyword replaces one top-level key (tables merge)."""
    data = copy.deepcopy(SEED_CONFIG)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return Settings.from_mapping(data)


class SeedApp:
    """The API app over a runtime built from the seed settings, plus what tests look at."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        settings: Settings | None = None,
        store: OTPStore | None = None,
        users: UserStore | None = None,
        hooks: UserHooks | None = None,
    ) -> None:
        self.settings = settings or seed_settings()
        store = store if store is not None else build_store(self.settings)
        sender, outbox = build_senders(self.settings, store, clock=clock)
        engine = build_engine(self.settings, store=store, sender=sender, clock=clock)
        self.users = users if users is not None else MemoryUserStore()
        self.runtime = Runtime(self.settings, engine, store, self.users, outbox)
        self.app: Starlette = create_api_app(
            self.runtime.engine,
            auth_sources=self.settings.auth_sources,
            users=self.users,
            hooks=hooks,
            outbox=self.runtime.outbox,
            dev=self.settings.dev,
        )

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    async def last_code(self, recipient: str) -> str:
        """The code of the newest outbox message to ``recipient`` (normalised form)."""
        assert self.runtime.outbox is not None
        for message in await self.runtime.outbox.messages():
            if message["recipient"] == recipient:
                return message["code"]
        raise LookupError(f"no message to {recipient}")


def basic(client_id: str, secret: str) -> dict[str, str]:
    """The CIAM seed's header: base64(url_encode(id) + ":" + url_encode(secret))."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def other_code(code: str) -> str:
    """A code of the same shape that is certainly wrong."""
    return "0" * len(code) if code != "0" * len(code) else "1" * len(code)
