"""``create_api_app``: one client registry, the engine's, for authentication and quotas alike."""

from __future__ import annotations

import httpx

from otp_flow import Client, OTPEngine
from otp_flow.web.api import create_api_app
from tests.api_helpers import basic
from tests.conftest import FakeClock


async def test_the_api_authenticates_the_engines_clients_and_enforces_their_quotas(
    clock: FakeClock,
) -> None:
    engine = OTPEngine(
        secret_keys=["k" * 32], clients=[Client("q", "q-secret", sms_quota=1)], clock=clock
    )
    transport = httpx.ASGITransport(app=create_api_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        first, second = [
            await http.post(
                "/otp/send", json={"phone_number": phone}, headers=basic("q", "q-secret")
            )
            for phone in ("13612345678", "13612345679")
        ]
    assert first.status_code == 200
    assert (second.status_code, second.json()) == (400, {"error": "insufficient_sms_quota"})
