"""Hostile but well-formed input: lone surrogates, non-ASCII credentials, arbitrary JSON.

Every such request is the caller's mistake, so every dialect answers it with a 4xx of its own and
nothing is logged as an error (an ERROR record would mean a traceback and a 503).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otp_flow.stores.memory import MemoryStore
from otp_flow.web._clientauth import (
    ClientAuthError,
    ClientDirectory,
    SignedRequestAuthenticator,
    parse_basic,
)
from tests.api_helpers import (
    ONLYID_APP,
    SMS_SOURCE,
    TENANT,
    YP_SEND_APP,
    SeedApp,
    basic,
    seed_settings,
)
from tests.conftest import FakeClock

SURROGATES = ["\ud800", "1361234\udfff5678", "a\udc80@example.com"]
ONLYID = {"clientId": ONLYID_APP[0], "clientSecret": ONLYID_APP[1]}
YP_HEADERS = {"x-app-id": YP_SEND_APP[0], "x-app-key": YP_SEND_APP[1]}
NO_LIMITS = {
    "app_per_day": 0,
    "recipient_per_minute": 0,
    "recipient_per_hour": 0,
    "recipient_per_day": 0,
    "resend_interval_seconds": 0,
}

# Each JSON endpoint with its credentials and a valid body: every string field gets its turn.
JSON_BODIES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("/otp/send", basic(*TENANT), {"usage": "login", "phone_number": "13612345678"}),
    ("/otp/send", basic(*TENANT), {"usage": "signup", "email": "a@example.com"}),
    (
        "/otp/send",
        basic(*TENANT),
        {"usage": "login", "phone_number": "13612345678", "auth_source_id": "X"},
    ),
    ("/otp/verify", basic(*TENANT), {"otp_token": "token", "code": "123456"}),
    ("/api/open/send-otp", {}, {**ONLYID, "recipient": "13612345678", "code": "1234"}),
    ("/api/open/verify-otp", {}, {**ONLYID, "recipient": "13612345678", "code": "1234"}),
]
JSON_CASES = [
    (path, headers, {**body, field: bad})
    for path, headers, body in JSON_BODIES
    for field in body
    for bad in SURROGATES
]


def ascii_json(value: object) -> bytes:
    """JSON text as a client would send it: a lone surrogate is the valid escape ``\\ud800``."""
    # Python refuses to print ints over 4300 digits by default; lift that only while writing,
    # so the app still reads the body under the default limit.
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return json.dumps(value, ensure_ascii=True).encode("ascii")
    finally:
        sys.set_int_max_str_digits(limit)


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(("path", "headers", "body"), JSON_CASES)
async def test_lone_surrogates_in_json_strings_are_refused_as_bad_input(
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    path: str,
    headers: dict[str, str],
    body: dict[str, str],
) -> None:
    caplog.set_level(logging.WARNING)
    seed = SeedApp(clock)
    async with seed.client() as http:
        response = await http.post(
            path, content=ascii_json(body), headers={**headers, "Content-Type": "application/json"}
        )
    assert 400 <= response.status_code < 500, response.text
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("path", ["/api/sms/sendCode", "/api/sms/verifyCode"])
@pytest.mark.parametrize(
    "header", ["x-app-id", "x-app-key", "x-signature", "x-timestamp", "x-nonce"]
)
async def test_surrogate_bytes_in_yunpian_parameters_and_headers_are_4xx(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, path: str, header: str
) -> None:
    caplog.set_level(logging.WARNING)
    # UTF-8-encoded surrogates, percent-escaped in the query and the body and raw in a header.
    bad = b"\xed\xa0\x80"
    raw_headers: dict[str, str | bytes] = {**YP_HEADERS, header: bad}
    query = urlencode({"phone": "\ud800", "code": "1\udfff"}, errors="surrogatepass")
    async with SeedApp(clock).client() as http:
        for response in (
            await http.post(f"{path}?{query}", headers=raw_headers),
            await http.post(
                path,
                content=query.encode(),
                headers={**YP_HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
            ),
        ):
            assert 400 <= response.status_code < 500, response.text
    assert errors_logged(caplog) == []


def test_the_authenticators_refuse_surrogates_they_are_handed_directly() -> None:
    directory = ClientDirectory(seed_settings().clients)
    with pytest.raises(ClientAuthError):
        directory.authenticate(TENANT[0], "\ud800")
    with pytest.raises(ClientAuthError):
        directory.authenticate("\ud800", TENANT[1])


async def test_signed_request_headers_with_surrogates_are_refused(clock: FakeClock) -> None:
    signed = SignedRequestAuthenticator(
        ClientDirectory(seed_settings().clients), MemoryStore(), clock=clock
    )
    for name in ("x-app-id", "x-app-key", "x-nonce", "x-timestamp"):
        headers = {**YP_HEADERS, "x-nonce": "n1", name: "\ud800"}
        with pytest.raises(ClientAuthError):
            await signed.authenticate(headers)


@pytest.mark.parametrize(
    "credentials",
    [b"\xc3\xa9\xc3\xa9", "TENANT_CLIENT_ID:é".encode(), b"\xff\xfe", b"\xed\xa0\x80"],
    ids=["utf8", "utf8-with-colon", "latin1", "surrogate"],
)
async def test_a_non_ascii_basic_header_is_invalid_client(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, credentials: bytes
) -> None:
    caplog.set_level(logging.WARNING)
    async with SeedApp(clock).client() as http:
        for path in ("/otp/send", "/otp/verify"):
            response = await http.post(
                path,
                json={"phone_number": "13612345678"},
                headers={"Authorization": b"Basic " + credentials},
            )
            assert response.status_code == 401, response.text
            assert response.json() == {"error": "invalid_client"}
    assert errors_logged(caplog) == []


def test_parse_basic_refuses_non_ascii_text() -> None:
    with pytest.raises(ClientAuthError):
        parse_basic("Basic éé")


# ------------------------------------------------- arbitrary JSON, valid credentials, no 5xx

# The fields each endpoint reads (credentials apart: valid ones are added to every request).
FIELDS = {
    "/otp/send": ["usage", "phone_number", "email", "auth_source_id"],
    "/otp/verify": ["otp_token", "code"],
    "/api/open/send-otp": ["recipient", "code", "expireMin", "maxFailCount"],
    "/api/open/verify-otp": ["recipient", "code"],
    "/api/sms/sendCode": ["phone"],
    "/api/sms/verifyCode": ["phone", "code"],
}
# Every code point, lone surrogates included (and drawn often: they are what breaks encoders).
CHARACTERS = st.characters(exclude_categories=()) | st.characters(categories=["Cs"])
TEXT = st.text(alphabet=CHARACTERS, max_size=40)
PLAUSIBLE = st.sampled_from(
    ["13612345678", "+8613612345678", "a@example.com", "1234", "login", "signup", SMS_SOURCE]
)
STRINGS = TEXT | PLAUSIBLE | st.tuples(PLAUSIBLE, TEXT).map("".join)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    # Built by map: hypothesis reprs sampled values, and a 5000-digit int has no repr.
    | st.tuples(st.sampled_from([1, -1]), st.sampled_from([20, 64, 5000])).map(
        lambda sign_digits: sign_digits[0] * 10 ** sign_digits[1]
    )
    | st.floats()
    | STRINGS
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
# A field's value: a string more often than not, since strings get furthest into the code.
FIELD_VALUES = STRINGS | STRINGS | VALUES


def bodies(path: str) -> st.SearchStrategy[object]:
    """Mostly objects of the endpoint's own fields with arbitrary values; sometimes strangers'
    keys, and sometimes a body that is not an object at all."""
    every = st.fixed_dictionaries(dict.fromkeys(FIELDS[path], FIELD_VALUES))
    some = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS[path], FIELD_VALUES))
    extra = st.dictionaries(TEXT, VALUES, max_size=3)
    mixed = st.tuples(some, extra).map(lambda parts: {**parts[1], **parts[0]})
    return every | some | mixed | VALUES


def _request(path: str, body: object) -> dict[str, Any]:
    """The keyword arguments of one request to ``path`` carrying ``body`` with valid credentials."""
    if path.startswith("/otp/"):
        return {"content": ascii_json(body), "headers": basic(*TENANT)}
    if path.startswith("/api/open/"):
        if isinstance(body, dict):
            body = {**body, **ONLYID}
        return {"content": ascii_json(body)}
    # Yunpian reads forms: each top-level value goes in as its JSON text (strings as they are).
    fields = body if isinstance(body, dict) else {"phone": body}
    form = {k: v if isinstance(v, str) else ascii_json(v).decode() for k, v in fields.items()}
    encoded = urlencode(form, errors="surrogatepass")
    return {
        "content": encoded.encode(),
        "headers": {**YP_HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
    }


@pytest.mark.parametrize("path", list(FIELDS))
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_arbitrary_json_with_valid_credentials_never_gets_a_5xx(
    path: str, data: st.DataObject
) -> None:
    body = data.draw(bodies(path), label="body")
    seed = SeedApp(FakeClock(), settings=seed_settings(limits=NO_LIMITS))
    async with seed.client() as http:
        response = await http.post(path, **_request(path, body))
    assert response.status_code < 500, (path, ascii_json(body)[:300], response.text)
