"""The demo site for ``uvicorn --factory tests.abuse_site:create``, configured by environment.

``OTP_ABUSE_STORE``: "memory" or a Redis URL. ``OTP_ABUSE_CONFIG``: JSON of extra top-level
configuration tables (e.g. ``{"limits": {"resend_interval_seconds": 0}}``). Development mode,
so every code lands in ``/dev/outbox.json`` where a test can count them.
"""

from __future__ import annotations

import json
import os

from starlette.applications import Starlette

from demo_app import create_demo_app
from otp_flow.config import Settings

__all__ = ["create"]

KEYS = ["abuse-test-secret-key-0123456789abcdef"]


def create() -> Starlette:
    config = {
        "secret_keys": KEYS,
        "store": os.environ.get("OTP_ABUSE_STORE", "memory"),
        "dev": True,
        "clients": [{"id": "abuse-client", "secret": "abuse-client-secret"}],
        **json.loads(os.environ.get("OTP_ABUSE_CONFIG", "{}")),
    }
    return create_demo_app(Settings.from_mapping(config))
