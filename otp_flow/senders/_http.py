"""A generic HTTP SMS gateway: one configurable request per message (httpx)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

import httpx

from otp_flow import defaults
from otp_flow._checks import check_timeout
from otp_flow.errors import DeliveryFailed
from otp_flow.senders._base import Message
from otp_flow.senders._fields import check_placeholders, fill_placeholders

__all__ = ["HTTPSender"]

log = logging.getLogger("otp_flow.senders")

# No GET: the code would travel in the URL, which access logs and httpx's own log record.
_METHODS = ("POST", "PUT", "PATCH")
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_DEFAULT_BODY: Mapping[str, str] = MappingProxyType({"recipient": "{recipient}", "text": "{text}"})


class HTTPSender:
    """Sends each message as one HTTP request to a gateway.

    ``body``: field name → template; placeholders ``{recipient} {code} {text} {ttl_minutes}
    {usage} {locale}`` (write ``{{`` for a literal brace), sent as JSON or as a form. Success is
    a 2xx answer and, when ``success_field`` is set, that JSON field (dots reach into objects:
    ``"result.code"``) equal to ``success_value`` (compared as text, so ``0`` matches ``"0"``).

    A connect error is retried once: the request never reached the gateway, so the retry cannot
    send a second SMS. A timeout or any answer is never retried — the gateway may have sent it.
    """

    def __init__(
        self,
        *,
        url: str,
        method: str = "POST",
        headers: Mapping[str, str] = _NO_HEADERS,
        body_format: Literal["json", "form"] = "json",
        body: Mapping[str, str] = _DEFAULT_BODY,
        success_field: str | None = None,
        success_value: str | None = None,
        timeout: float = defaults.SENDER_TIMEOUT_SECONDS,
    ) -> None:
        parsed = httpx.URL(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"url must be an http:// or https:// URL, got {url!r}")
        method = method.upper() if isinstance(method, str) else ""
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}")
        if body_format not in ("json", "form"):
            raise ValueError("body_format must be 'json' or 'form'")
        if not body:
            raise ValueError("body must name at least one field")
        for name, template in body.items():
            if not isinstance(name, str) or not isinstance(template, str):
                raise ValueError("body field names and values must be strings")
            check_placeholders(template, what=f"body field {name!r}")
        for name, value in headers.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise ValueError("header names and values must be strings")
        if (success_field is None) != (success_value is None):
            raise ValueError("success_field and success_value must be given together")
        timeout = check_timeout(timeout)
        self.url = url
        self.method = method
        self.headers = dict(headers)
        self.body_format = body_format
        self.body = dict(body)
        self.success_field = success_field
        self.success_value = success_value
        self.timeout = float(timeout)
        # Built once: loading the CA bundle costs more than a whole loopback request.
        self._tls = httpx.create_ssl_context()

    def _request_args(self, message: Message) -> dict[str, Any]:
        fields = {name: fill_placeholders(t, message) for name, t in self.body.items()}
        if self.body_format == "json":
            return {"json": fields}
        return {"data": fields}

    async def send(self, message: Message) -> None:
        args = self._request_args(message)
        async with httpx.AsyncClient(
            timeout=self.timeout, verify=self._tls, follow_redirects=False
        ) as client:
            for attempt in (1, 2):
                try:
                    response = await client.request(
                        self.method, self.url, headers=self.headers, **args
                    )
                    break
                except httpx.ConnectError as exc:
                    if attempt == 2:
                        raise DeliveryFailed("could not connect to the SMS gateway") from exc
                    log.warning("could not connect to the SMS gateway; retrying once")
                except httpx.TimeoutException as exc:
                    raise DeliveryFailed("the SMS gateway did not answer in time") from exc
                except httpx.HTTPError as exc:
                    raise DeliveryFailed(
                        f"SMS gateway request failed: {type(exc).__name__}"
                    ) from exc
        self._check(response)

    def _check(self, response: httpx.Response) -> None:
        if not response.is_success:
            raise DeliveryFailed(f"the SMS gateway answered HTTP {response.status_code}")
        if self.success_field is None:
            return
        try:
            value: Any = response.json()
        except ValueError as exc:
            raise DeliveryFailed("the SMS gateway answered something that is not JSON") from exc
        for part in self.success_field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if _as_text(value) != self.success_value:
            # The value itself stays out of the error (and so out of the logs): a misconfigured
            # field could point at an echo of the message, code included.
            raise DeliveryFailed(f"the SMS gateway did not report success in {self.success_field}")


def _as_text(value: object) -> str | None:
    """A JSON value as the text a configuration would write for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
