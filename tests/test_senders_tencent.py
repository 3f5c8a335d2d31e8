"""TencentSMSSender: TC3-HMAC-SHA256 signing and SendSms against a real local HTTP server."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from otp_flow.errors import DeliveryFailed
from otp_flow.messages import default_renderer
from otp_flow.senders._base import Message
from otp_flow.senders._tencent import TencentSMSSender, tc3_sign
from tests.conftest import T0, FakeClock
from tests.http_harness import RecordedRequest, RecordingHTTPServer

SMS = Message(
    channel="sms",
    recipient="+8613800138000",
    usage="login",
    code="482913",
    ttl_seconds=300,
    locale="zh-CN",
    text="unused: Tencent Cloud sends its approved template",
)

OK = {
    "Response": {
        "SendStatusSet": [
            {
                "SerialNo": "5000:1045710669157053657849499619",
                "PhoneNumber": "+8613800138000",
                "Fee": 1,
                "SessionContext": "",
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
        ],
        "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
    }
}


def test_signature_matches_tencent_clouds_worked_example() -> None:
    # The worked example of "Signature v3" in Tencent Cloud's API documentation (CVM
    # DescribeInstances, with the documentation's masked demo credentials): every
    # intermediate value and the final Authorization header are the documented ones.
    signature = tc3_sign(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
        service="cvm",
        timestamp=1551113065,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Host": "cvm.tencentcloudapi.com",
        },
        payload=(
            b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
            b'"Name": "instance-name"}]}'
        ),
    )
    assert signature.canonical_request == (
        "POST\n/\n\n"
        "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
        "content-type;host\n"
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert signature.string_to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert signature.authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


def expected_authorization(request: RecordedRequest, secret_id: str, secret_key: str) -> str:
    """Tencent's documented steps, written out again from what the server received."""
    signed = ("content-type", "host", "x-tc-action")
    canonical = "\n".join(
        [
            request.method,
            request.path,
            "",
            "".join(f"{name}:{request.headers[name].lower()}\n" for name in signed),
            ";".join(signed),
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    timestamp = int(request.headers["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
    scope = f"{date}/sms/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    )

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(b"TC3" + secret_key.encode(), date), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={';'.join(signed)}, Signature={signature}"
    )


@pytest.fixture
def tencent() -> Iterator[RecordingHTTPServer]:
    with RecordingHTTPServer() as server:
        server.respond(200, OK)
        yield server


def sender_for(
    server: RecordingHTTPServer, clock: FakeClock, **options: object
) -> TencentSMSSender:
    config: dict[str, object] = {
        "secret_id": "AKIDtestsecretid",
        "secret_key": "testsecretkey",
        "sdk_app_id": "1400006666",
        "sign_name": "示例科技",
        "template_ids": {"login": "449739", "reset_password": "449740"},
        "endpoint": server.url,
        "clock": clock,
        "timeout": 5,
    }
    return TencentSMSSender(**(config | options))  # type: ignore[arg-type]


async def test_sends_a_signed_sendsms_request(
    tencent: RecordingHTTPServer, clock: FakeClock
) -> None:
    await sender_for(tencent, clock, region="ap-beijing").send(SMS)

    [request] = tencent.requests
    assert (request.method, request.target) == ("POST", "/")
    headers = request.headers
    assert headers["host"] == f"127.0.0.1:{tencent.port}"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-tc-action"] == "SendSms"
    assert headers["x-tc-version"] == "2021-01-11"
    assert headers["x-tc-region"] == "ap-beijing"
    assert headers["x-tc-timestamp"] == str(int(T0))
    assert headers["authorization"].startswith(
        "TC3-HMAC-SHA256 Credential=AKIDtestsecretid/2026-03-10/sms/tc3_request, "
        "SignedHeaders=content-type;host;x-tc-action, Signature="
    )
    assert headers["authorization"] == expected_authorization(
        request, "AKIDtestsecretid", "testsecretkey"
    )
    assert request.json() == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "示例科技",
        "TemplateId": "449739",
        "TemplateParamSet": ["482913", "5"],
    }


async def test_template_follows_the_usage(tencent: RecordingHTTPServer, clock: FakeClock) -> None:
    sender = sender_for(tencent, clock)
    await sender.send(Message("sms", "+8613800138000", "reset_password", "1234", 60, "en", "x"))
    assert tencent.requests[0].json()["TemplateId"] == "449740"
    assert tencent.requests[0].json()["TemplateParamSet"] == ["1234", "1"]

    with pytest.raises(DeliveryFailed, match="signup"):
        await sender.send(Message("sms", "+8613800138000", "signup", "1234", 60, "en", "x"))
    assert len(tencent.requests) == 1


async def test_a_notice_uses_its_own_template_with_the_masked_value(
    tencent: RecordingHTTPServer, clock: FakeClock
) -> None:
    notice = default_renderer().render_notice(
        channel="sms",
        recipient="+8613800138000",
        locale="zh-CN",
        client_id="default",
        changed="phone_number",
        new_value_masked="+86139****5678",
    )
    ids = {"login": "449739", "notice_identifier_changed": "449800"}
    await sender_for(tencent, clock, template_ids=ids).send(notice)

    [request] = tencent.requests
    assert request.json() == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "示例科技",
        "TemplateId": "449800",
        "TemplateParamSet": ["+86139****5678"],
    }
    assert request.headers["authorization"] == expected_authorization(
        request, "AKIDtestsecretid", "testsecretkey"
    )

    # Without a notice template configured the notice cannot go out: fail, send nothing.
    with pytest.raises(DeliveryFailed, match="notice_identifier_changed"):
        await sender_for(tencent, clock).send(notice)
    assert len(tencent.requests) == 1


async def test_an_error_in_the_response_is_a_delivery_failure(
    tencent: RecordingHTTPServer, clock: FakeClock
) -> None:
    tencent.respond(
        200,
        {
            "Response": {
                "Error": {
                    "Code": "AuthFailure.SignatureFailure",
                    "Message": "The provided credentials could not be validated.",
                },
                "RequestId": "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6",
            }
        },
    )
    with pytest.raises(DeliveryFailed, match=r"AuthFailure\.SignatureFailure"):
        await sender_for(tencent, clock).send(SMS)


async def test_a_refused_number_is_a_delivery_failure(
    tencent: RecordingHTTPServer, clock: FakeClock
) -> None:
    refused = {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "",
                    "PhoneNumber": "+8613800138000",
                    "Fee": 0,
                    "SessionContext": "",
                    "Code": "LimitExceeded.PhoneNumberDailyLimit",
                    "Message": "the number of sms messages sent from a single mobile number "
                    "every day exceeds the upper limit",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "b5c9a1c4-22bd-4d63-a8f9-4dd1d0b4e2d1",
        }
    }
    tencent.respond(200, refused)
    with pytest.raises(DeliveryFailed, match="PhoneNumberDailyLimit"):
        await sender_for(tencent, clock).send(SMS)


@pytest.mark.parametrize(
    "answer", [{"Response": {"RequestId": "x"}}, {"unexpected": 1}, [], "<html>oops</html>"]
)
async def test_an_unreadable_answer_is_a_delivery_failure(
    tencent: RecordingHTTPServer, clock: FakeClock, answer: object
) -> None:
    tencent.respond(200, answer)
    with pytest.raises(DeliveryFailed):
        await sender_for(tencent, clock).send(SMS)


async def test_5xx_and_timeouts_are_delivery_failures(
    tencent: RecordingHTTPServer, clock: FakeClock
) -> None:
    tencent.queue(502, b"bad gateway")
    with pytest.raises(DeliveryFailed, match="502"):
        await sender_for(tencent, clock).send(SMS)

    tencent.hang()
    with pytest.raises(DeliveryFailed, match="in time"):
        await sender_for(tencent, clock, timeout=0.2).send(SMS)
    assert len(tencent.requests) == 2


async def test_sends_sms_only(tencent: RecordingHTTPServer, clock: FakeClock) -> None:
    email = Message("email", "a@example.com", "login", "123456", 60, "en", "text", "subject")
    with pytest.raises(DeliveryFailed, match="email"):
        await sender_for(tencent, clock).send(email)
    assert tencent.requests == []


def test_the_secret_key_stays_out_of_repr(tencent: RecordingHTTPServer, clock: FakeClock) -> None:
    assert "testsecretkey" not in repr(sender_for(tencent, clock))


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"secret_id": ""}, "secret_id"),
        ({"secret_key": " "}, "secret_key"),
        ({"sign_name": ""}, "sign_name"),
        ({"template_ids": {}}, "template_ids"),
        ({"template_ids": {"logon": "1"}}, "logon"),
        ({"template_ids": {"notice": "1"}}, "notice_identifier_changed"),
        ({"template_ids": {"login": ""}}, "login"),
        ({"endpoint": "sms.tencentcloudapi.com"}, "endpoint"),
        ({"endpoint": "https://sms.tencentcloudapi.com/?a=1"}, "endpoint"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_rejects_bad_configuration(
    tencent: RecordingHTTPServer, clock: FakeClock, options: dict[str, object], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        sender_for(tencent, clock, **options)
