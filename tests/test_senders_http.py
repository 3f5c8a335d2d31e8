"""HTTPSender against a real local HTTP server that records each request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from otp_flow.errors import DeliveryFailed
from otp_flow.senders._base import Message
from otp_flow.senders._http import HTTPSender
from tests.http_harness import RecordingHTTPServer
from tests.redis_harness import free_port

SMS = Message(
    channel="sms",
    recipient="+8613800138000",
    usage="login",
    code="482913",
    ttl_seconds=300,
    locale="zh-CN",
    text="482913是您的登录验证码，5分钟内有效，请勿泄露。",
)


@pytest.fixture
def gateway() -> Iterator[RecordingHTTPServer]:
    with RecordingHTTPServer() as server:
        yield server


async def test_posts_a_json_body_built_from_the_message(gateway: RecordingHTTPServer) -> None:
    sender = HTTPSender(
        url=f"{gateway.url}/v1/sms?account=demo",
        headers={"X-Api-Key": "k-123"},
        body={
            "to": "{recipient}",
            "content": "{text}",
            "vars": "{code}|{ttl_minutes}|{usage}|{locale}",
            "literal": "{{not a placeholder}}",
        },
    )
    await sender.send(SMS)

    [request] = gateway.requests
    assert request.method == "POST"
    assert request.target == "/v1/sms?account=demo"
    assert request.headers["x-api-key"] == "k-123"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "to": "+8613800138000",
        "content": SMS.text,
        "vars": "482913|5|login|zh-CN",
        "literal": "{not a placeholder}",
    }


async def test_default_body_is_recipient_and_text(gateway: RecordingHTTPServer) -> None:
    await HTTPSender(url=gateway.url).send(SMS)
    assert gateway.requests[0].json() == {"recipient": SMS.recipient, "text": SMS.text}


async def test_form_body(gateway: RecordingHTTPServer) -> None:
    sender = HTTPSender(
        url=gateway.url, method="put", body_format="form", body={"mobile": "{recipient}"}
    )
    await sender.send(SMS)
    [request] = gateway.requests
    assert request.method == "PUT"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {"mobile": "+8613800138000"}


async def test_success_field_must_match(gateway: RecordingHTTPServer) -> None:
    sender = HTTPSender(url=gateway.url, success_field="result.code", success_value="0")
    gateway.respond(200, {"result": {"code": 0, "msg": "ok"}})
    await sender.send(SMS)

    gateway.respond(200, {"result": {"code": 4001, "msg": "482913 rejected"}})
    with pytest.raises(DeliveryFailed, match=r"result\.code") as failure:
        await sender.send(SMS)
    assert "482913" not in str(failure.value)

    gateway.respond(200, "not json")
    with pytest.raises(DeliveryFailed, match="not JSON"):
        await sender.send(SMS)


async def test_boolean_success_values_compare_as_json_text(gateway: RecordingHTTPServer) -> None:
    gateway.respond(200, {"ok": True})
    await HTTPSender(url=gateway.url, success_field="ok", success_value="true").send(SMS)
    assert len(gateway.requests) == 1  # delivered, and accepted as a success
    # JSON's spelling, not Python's: "True" is not what the gateway said.
    with pytest.raises(DeliveryFailed, match="ok"):
        await HTTPSender(url=gateway.url, success_field="ok", success_value="True").send(SMS)
    gateway.respond(200, {"ok": False})
    with pytest.raises(DeliveryFailed, match="ok"):
        await HTTPSender(url=gateway.url, success_field="ok", success_value="true").send(SMS)


@pytest.mark.parametrize("status", [500, 503, 400, 301])
async def test_a_non_2xx_answer_fails_without_a_retry(
    gateway: RecordingHTTPServer, status: int
) -> None:
    gateway.respond(status, {"error": "nope"}, Location="http://127.0.0.1:1/elsewhere")
    with pytest.raises(DeliveryFailed, match=str(status)):
        await HTTPSender(url=gateway.url).send(SMS)
    assert len(gateway.requests) == 1


async def test_a_timeout_fails_without_a_retry(gateway: RecordingHTTPServer) -> None:
    gateway.hang()
    with pytest.raises(DeliveryFailed, match="in time"):
        await HTTPSender(url=gateway.url, timeout=0.2).send(SMS)
    assert len(gateway.requests) == 1


async def test_a_connect_error_is_retried_once(caplog: pytest.LogCaptureFixture) -> None:
    sender = HTTPSender(url=f"http://127.0.0.1:{free_port()}/sms")  # nobody listens there
    with (
        caplog.at_level(logging.WARNING, "otp_flow.senders"),
        pytest.raises(DeliveryFailed, match="connect"),
    ):
        await sender.send(SMS)
    retries = [r for r in caplog.records if "retrying once" in r.getMessage()]
    assert len(retries) == 1
    assert all("482913" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"url": "ftp://example.com"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"method": "DELETE"}, "method"),
        ({"method": "GET"}, "method"),
        ({"body_format": "xml"}, "body_format"),
        ({"body": {}}, "body"),
        ({"body": {"to": "{phone}"}}, "phone"),
        ({"body": {"to": "{code.__class__}"}}, "placeholder"),
        ({"body": {"to": "{code!r}"}}, "placeholder"),
        ({"body": {"to": "{}"}}, "placeholder"),
        ({"body": {"to": "{code"}}, "body field"),
        ({"success_field": "ok"}, "together"),
        ({"timeout": -1}, "timeout"),
    ],
)
def test_rejects_bad_configuration(options: dict[str, object], error: str) -> None:
    config: dict[str, object] = {"url": "https://sms.example.com/send", **options}
    with pytest.raises(ValueError, match=error):
        HTTPSender(**config)  # type: ignore[arg-type]
