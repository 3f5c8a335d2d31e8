"""Tencent Cloud SMS: the ``SendSms`` action (API version 2021-01-11), signed with TC3-HMAC-SHA256.

Tencent Cloud sends pre-approved templates only, so the rendered text is not sent: the template
chosen for the message's usage gets two parameters, the code and the lifetime in minutes (write
the template as e.g. ``验证码{1}，{2}分钟内有效``). A notice (an account's phone number was
changed) uses the template configured as ``notice_identifier_changed``, with one parameter, the
masked new value (e.g. ``您账号的手机号已改为{1}，如非本人操作请立即联系我们``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import httpx

from otp_flow import defaults
from otp_flow._checks import check_text, check_timeout
from otp_flow._usages import sent_by
from otp_flow.errors import DeliveryFailed
from otp_flow.senders._base import NOTICE_IDENTIFIER_CHANGED, Message
from otp_flow.senders._fields import ttl_minutes
from otp_flow.types import Clock, system_clock

__all__ = ["TC3Signature", "TencentSMSSender", "tc3_sign"]

_ALGORITHM = "TC3-HMAC-SHA256"
#: What ``template_ids`` may name: one template per usage sent by SMS, and the notice's.
_TEMPLATE_KEYS = (*sent_by("sms"), NOTICE_IDENTIFIER_CHANGED)
_CONTENT_TYPE = "application/json; charset=utf-8"


class TC3Signature(NamedTuple):
    canonical_request: str
    string_to_sign: str
    signature: str
    authorization: str


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_sign(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    payload: bytes,
    method: str = "POST",
    path: str = "/",
    query: str = "",
) -> TC3Signature:
    """Tencent Cloud API signature v3 over ``headers`` (all of them are signed)."""
    signed = sorted((name.lower(), value.strip().lower()) for name, value in headers.items())
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in signed)
    signed_headers = ";".join(name for name, _ in signed)
    canonical_request = "\n".join(
        (
            method,
            path,
            query,
            canonical_headers,
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        )
    )
    # The scope's date is the UTC date of the timestamp, whatever the server's time zone.
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        (
            _ALGORITHM,
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        )
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"{_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return TC3Signature(canonical_request, string_to_sign, signature, authorization)


class TencentSMSSender:
    """Sends SMS through Tencent Cloud's ``SendSms``.

    ``template_ids``: usage (or ``notice_identifier_changed``) → approved template ID; a message
    whose usage (or notice) has none fails.
    A non-2xx answer, ``Response.Error``, or a ``SendStatusSet`` entry whose ``Code`` is not
    ``"Ok"`` is a delivery failure.
    """

    ACTION = "SendSms"
    VERSION = "2021-01-11"
    SERVICE = "sms"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        template_ids: Mapping[str, str],
        region: str = defaults.TENCENT_REGION,
        endpoint: str = defaults.TENCENT_ENDPOINT,
        timeout: float = defaults.SENDER_TIMEOUT_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        for name, value in (
            ("secret_id", secret_id),
            ("secret_key", secret_key),
            ("sdk_app_id", sdk_app_id),
            ("sign_name", sign_name),
            ("region", region),
        ):
            check_text(name, value)
        if not template_ids:
            raise ValueError("template_ids must map at least one usage to a template ID")
        for usage, template_id in template_ids.items():
            if usage not in _TEMPLATE_KEYS:
                raise ValueError(
                    f"template_ids: {usage!r} is not one of {', '.join(_TEMPLATE_KEYS)}"
                )
            check_text(f"template_ids[{usage!r}]", template_id)
        url = httpx.URL(endpoint) if isinstance(endpoint, str) else None
        if url is None or url.scheme not in ("http", "https") or not url.host or url.query:
            raise ValueError(f"endpoint must be an http(s) URL without a query, got {endpoint!r}")
        timeout = check_timeout(timeout)
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_ids = dict(template_ids)
        self.region = region
        self.endpoint = endpoint
        self.timeout = float(timeout)
        # Built once: loading the CA bundle costs more than a whole loopback request.
        self._tls = httpx.create_ssl_context()
        self.clock = clock
        self._host = url.netloc.decode("ascii")
        self._path = url.path or "/"

    def __repr__(self) -> str:
        # Never show the secret key, e.g. in a traceback or a debug dump of the configuration.
        return f"TencentSMSSender(secret_id={self.secret_id!r}, endpoint={self.endpoint!r})"

    def build_request(self, message: Message) -> tuple[dict[str, str], bytes]:
        """The headers (Authorization included) and body for ``message``."""
        if message.kind == "notice":
            purpose, params = NOTICE_IDENTIFIER_CHANGED, list(message.template_params)
        else:
            purpose, params = message.usage, [message.code, str(ttl_minutes(message.ttl_seconds))]
        template_id = self.template_ids.get(purpose)
        if template_id is None:
            raise DeliveryFailed(f"no Tencent Cloud SMS template is configured for {purpose}")
        body = {
            "PhoneNumberSet": [message.recipient],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": params,
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self.clock())
        # Signing the action too binds the signature to SendSms: it cannot be replayed on
        # another action within its validity window.
        signed = {"Content-Type": _CONTENT_TYPE, "Host": self._host, "X-TC-Action": self.ACTION}
        signature = tc3_sign(
            secret_id=self.secret_id,
            secret_key=self._secret_key,
            service=self.SERVICE,
            timestamp=timestamp,
            headers=signed,
            payload=payload,
            path=self._path,
        )
        headers = {
            **signed,
            "Authorization": signature.authorization,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": self.VERSION,
            "X-TC-Region": self.region,
        }
        return headers, payload

    async def send(self, message: Message) -> None:
        if message.channel != "sms":
            raise DeliveryFailed(f"Tencent Cloud SMS cannot deliver {message.channel} messages")
        headers, payload = self.build_request(message)
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, verify=self._tls, follow_redirects=False
            ) as client:
                response = await client.post(self.endpoint, headers=headers, content=payload)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed("Tencent Cloud SMS did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"Tencent Cloud SMS request failed: {type(exc).__name__}") from exc
        _check_answer(response)


def _check_answer(response: httpx.Response) -> None:
    if not response.is_success:
        raise DeliveryFailed(f"Tencent Cloud SMS answered HTTP {response.status_code}")
    try:
        data: Any = response.json()
    except ValueError as exc:
        raise DeliveryFailed("Tencent Cloud SMS answered something that is not JSON") from exc
    answer = data.get("Response") if isinstance(data, dict) else None
    if not isinstance(answer, dict):
        raise DeliveryFailed("Tencent Cloud SMS answered without a Response object")
    request_id = answer.get("RequestId", "?")
    error = answer.get("Error")
    if error is not None:
        code = error.get("Code", "?") if isinstance(error, dict) else "?"
        # Only the error code and request ID: Tencent's message may quote our parameters.
        raise DeliveryFailed(f"Tencent Cloud SMS error {code} (request {request_id})")
    statuses = answer.get("SendStatusSet")
    if not isinstance(statuses, list) or not statuses:
        raise DeliveryFailed(f"Tencent Cloud SMS reported no send status (request {request_id})")
    for status in statuses:
        code = status.get("Code") if isinstance(status, dict) else None
        if code != "Ok":
            raise DeliveryFailed(f"Tencent Cloud SMS refused the message: {code} ({request_id})")
