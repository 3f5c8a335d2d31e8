"""GET /openapi.json is a valid OpenAPI 3.1 document, and the running app keeps to it.

Real responses of every endpoint (successes and errors) are validated against the document, and
schemathesis throws generated requests at a live uvicorn server: no 5xx, every answer conforms.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis import checks
from schemathesis.specs.openapi.schemas import OpenApiSchema

from otp_flow import OTPEngine
from otp_flow.senders import OutboxSender
from otp_flow.service import create_app
from otp_flow.stores.memory import MemoryStore
from otp_flow.web.openapi import openapi_document
from tests.api_helpers import (
    EMAIL,
    ONLYID_APP,
    TENANT,
    YP_SEND_APP,
    SeedApp,
    basic,
    other_code,
    seed_settings,
)
from tests.conftest import FakeClock
from tests.redis_harness import free_port

NO_LIMITS = {
    "app_per_day": 0,
    "recipient_per_minute": 0,
    "recipient_per_hour": 0,
    "recipient_per_day": 0,
    "resend_interval_seconds": 0,
}
ONLYID = {"clientId": ONLYID_APP[0], "clientSecret": ONLYID_APP[1]}
YP = {"x-app-id": YP_SEND_APP[0], "x-app-key": YP_SEND_APP[1]}
#: Paths whose clients authenticate with HTTP Basic.
BASIC_PATHS = ("/otp/", "/signup", "/reset_user_password")
DIALECT_PATHS = [
    "/otp/send",
    "/otp/verify",
    "/api/sms/sendCode",
    "/api/sms/verifyCode",
    "/api/open/send-otp",
    "/api/open/verify-otp",
]


@pytest.mark.parametrize("dev", [True, False])
def test_the_document_is_valid_openapi_3_1(dev: bool) -> None:
    document = openapi_document(dev=dev)
    validate(document)
    assert document["openapi"].startswith("3.1")


async def test_every_route_is_documented_and_every_path_served(clock: FakeClock) -> None:
    seed = SeedApp(clock)
    async with seed.client() as http:
        document = (await http.get("/openapi.json")).json()
    served = {route.path for route in seed.app.routes}  # type: ignore[attr-defined]
    assert served == set(document["paths"])
    for route in seed.app.routes:
        methods = {m.lower() for m in route.methods or ()} - {"head"}  # type: ignore[attr-defined]
        assert methods == set(document["paths"][route.path]), route.path  # type: ignore[attr-defined]


async def test_real_responses_conform_to_the_document(clock: FakeClock) -> None:
    seed = SeedApp(clock, settings=seed_settings(limits=NO_LIMITS))
    schema = schemathesis.openapi.from_dict(openapi_document(dev=True))
    responses: list[tuple[str, str, httpx.Response]] = []

    async with seed.client() as http:

        async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = await http.request(method, path, **kwargs)
            responses.append((method, path.split("?")[0], response))
            return response

        sent = await call(
            "POST", "/otp/send", json={"phone_number": "13612345678"}, headers=basic(*TENANT)
        )
        code = await seed.last_code("+8613612345678")
        token = sent.json()["otp_token"]
        await call(
            "POST",
            "/otp/verify",
            json={"otp_token": token, "code": other_code(code)},
            headers=basic(*TENANT),
        )
        await call(
            "POST", "/otp/verify", json={"otp_token": token, "code": code}, headers=basic(*TENANT)
        )
        await call(
            "POST", "/otp/verify", json={"otp_token": token, "code": code}, headers=basic(*TENANT)
        )
        await call("POST", "/otp/send", json={"email": EMAIL}, headers={})
        await call("POST", "/otp/send", json={"email": 1}, headers=basic(*TENANT))
        await call("POST", "/otp/send", content=b"x" * 70_000, headers=basic(*TENANT))

        await call("POST", "/api/sms/sendCode?phone=13612345679", headers=YP)
        code = await seed.last_code("+8613612345679")
        await call(
            "POST", f"/api/sms/verifyCode?phone=13612345679&code={other_code(code)}", headers=YP
        )
        await call("POST", f"/api/sms/verifyCode?phone=13612345679&code={code}", headers=YP)
        await call("POST", "/api/sms/sendCode?phone=1", headers=YP)
        await call("POST", "/api/sms/sendCode?phone=13612345679", headers={"x-app-id": "nope"})

        await call(
            "POST", "/api/open/send-otp", json={**ONLYID, "recipient": EMAIL, "code": "1234"}
        )
        await call(
            "POST", "/api/open/verify-otp", json={**ONLYID, "recipient": EMAIL, "code": "1234"}
        )
        await call(
            "POST", "/api/open/verify-otp", json={**ONLYID, "recipient": EMAIL, "code": "1234"}
        )
        await call("POST", "/api/open/send-otp", json={"recipient": EMAIL})

        await call("GET", "/dev/outbox.json")
        await call("GET", "/dev/outbox")
        await call("GET", "/openapi.json")

    statuses = set()
    for method, path, response in responses:
        schema[path][method].validate_response(response)
        statuses.add((path, response.status_code))
    # The scenario reached a success and a refusal of every endpoint, and the other documented
    # answers of /otp/send (no credentials, an oversized body), so each was checked above.
    expected = {path: {200, 400} for path in DIALECT_PATHS} | {"/otp/send": {200, 400, 401, 413}}
    for path, codes in expected.items():
        seen = {status for answered, status in statuses if answered == path}
        assert codes <= seen, (path, seen)


async def test_real_ciam_token_and_account_responses_conform(clock: FakeClock) -> None:
    seed = SeedApp(clock, settings=seed_settings(limits=NO_LIMITS))
    schema = schemathesis.openapi.from_dict(openapi_document(dev=True))
    responses: list[tuple[str, str, httpx.Response]] = []
    creds = {"client_id": TENANT[0], "client_secret": TENANT[1]}
    sms_grant = "http://tencentciam.com/oauth2/grant-type/otp/sms"

    async with seed.client() as http:

        async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = await http.request(method, path, **kwargs)
            responses.append((method, path, response))
            return response

        async def sent(usage: str, **to: str) -> tuple[str, str]:
            answer = await http.post(
                "/otp/send", json={"usage": usage, **to}, headers=basic(*TENANT)
            )
            return answer.json()["otp_token"], await seed.last_code(next(iter(to.values())))

        token, code = await sent("login", phone_number="+8613612345678")
        grant = {"grant_type": sms_grant, "phone_number": "13612345678", "otp_token": token}
        await call("POST", "/oauth2/token", json={**creds, **grant, "otp": other_code(code)})
        await call("POST", "/oauth2/token", json={**grant, "otp": code})  # no client: 401
        issued = await call(
            "POST", "/oauth2/token", data={**creds, **grant, "otp": code, "auto_signup": "true"}
        )
        tokens = issued.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        await call("GET", "/userinfo", headers=bearer)
        await call("GET", "/userinfo")
        await call("PATCH", "/userinfo", json={"nickname": "Ann"}, headers=bearer)
        await call("PATCH", "/userinfo", json={"colour": "red"}, headers=bearer)
        await call(
            "POST", "/oauth2/token",
            json={**creds, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )  # fmt: skip
        await call("POST", "/oauth2/revoke", json={**creds, "token": tokens["refresh_token"]})
        await call("POST", "/oauth2/revoke", json={"token": "x"})
        await call("POST", "/oauth2/token", content=b"x" * 70_000)

        token, code = await sent("signup", email=EMAIL)
        signup = {"email": EMAIL, "email_otp_token": token, "email_otp": code}
        await call("POST", "/signup", json={**signup, "email_otp": other_code(code)},
                   headers=basic(*TENANT))  # fmt: skip
        await call("POST", "/signup", json={**signup, "password": "a long password"},
                   headers=basic(*TENANT))  # fmt: skip
        await call("POST", "/signup", json=signup)
        token, code = await sent("reset_password", email=EMAIL)
        reset = {"email": EMAIL, "email_otp_token": token, "email_otp": code}
        await call("POST", "/reset_user_password", json={**reset, "password": "x"},
                   headers=basic(*TENANT))  # fmt: skip
        await call("POST", "/reset_user_password", json={**reset, "password": "another password"},
                   headers=basic(*TENANT))  # fmt: skip
        await call("POST", "/reset_user_password", json=reset)
        await call("GET", "/.well-known/jwks.json")
        await call("GET", "/.well-known/openid-configuration")

    statuses = set()
    for method, path, response in responses:
        schema[path][method].validate_response(response)
        statuses.add((path, method, response.status_code))
    for path, method, codes in (
        ("/oauth2/token", "POST", {200, 400, 401, 413}),
        ("/oauth2/revoke", "POST", {200, 401}),
        ("/userinfo", "GET", {200, 401}),
        ("/userinfo", "PATCH", {200, 400}),
        ("/signup", "POST", {200, 400, 401}),
        ("/reset_user_password", "POST", {200, 400, 401}),
        ("/.well-known/jwks.json", "GET", {200}),
        ("/.well-known/openid-configuration", "GET", {200}),
    ):
        seen = {status for p, m, status in statuses if (p, m) == (path, method)}
        assert codes <= seen, (path, method, seen)


# ------------------------------------------------------------- schemathesis on a live server


class LiveServer:
    """uvicorn serving an app from a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)  # polling the server's start-up, not passing test time
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_schema() -> Iterator[OpenApiSchema]:
    app = create_app(seed_settings(limits=NO_LIMITS), clock=FakeClock())
    with LiveServer(app) as server:
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("live_schema")

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def credentials(case: schemathesis.Case[Any]) -> dict[str, str]:
    """Valid credentials for about half the cases (chosen by the generated data), so generated
    requests get past authentication and reach parameter validation."""
    headers = dict(case.headers or {})
    if case.path.startswith(BASIC_PATHS) and len(repr(case.body)) % 2 == 0:
        headers.update(basic(*TENANT))
    if case.path.startswith("/oauth2/") and isinstance(case.body, dict) and len(case.body) % 2:
        case.body = {**case.body, "client_id": TENANT[0], "client_secret": TENANT[1]}
    if case.path.startswith("/api/sms/") and "x-app-id" not in headers:
        headers.update(YP)
    if case.path.startswith("/api/open/") and isinstance(case.body, dict) and len(case.body) % 2:
        case.body = {**case.body, **ONLYID}
    return headers


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_never_get_a_5xx_and_conform(case: schemathesis.Case[Any]) -> None:
    headers = credentials(case)
    response = case.call(headers=headers, timeout=10)
    case.validate_response(response, checks=CHECKS, headers=headers)


async def test_outbox_notices_and_codes_fit_the_documented_message_shape(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    outbox = OutboxSender(store, clock=clock)
    engine = OTPEngine(secret_keys=["k" * 32], store=store, sender=outbox, clock=clock)
    await engine.send("13612345678")
    notice = engine.renderer.render_notice(
        channel="sms",
        recipient="+8613612345678",
        locale="en",
        client_id="default",
        changed="phone_number",
        new_value_masked="+86139****0000",
    )
    await engine.notify(notice)
    entries = await outbox.messages()
    assert [e.get("kind", "code") for e in entries] == ["notice", "code"]
    schema = openapi_document(dev=True)["components"]["schemas"]["OutboxMessage"]
    for entry in entries:
        jsonschema.validate(entry, schema)


def test_ciam_usages_are_its_contracts_not_the_registrys() -> None:
    # A usage added to otp_flow._usages for a page flow must not widen what CIAM's
    # POST /otp/send accepts or answers: its four usages are written in the dialect.
    schemas = openapi_document(dev=False)["components"]["schemas"]
    contract = ["login", "signup", "update_userinfo", "reset_password"]
    for name in ("CiamSendRequest", "CiamVerifyResponse"):
        assert sorted(schemas[name]["properties"]["usage"]["enum"]) == sorted(contract)
