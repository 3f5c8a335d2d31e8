"""Who is calling the JSON APIs: HTTP Basic, Yunpian app keys and signatures, body credentials.

Every secret is compared in constant time, and an unknown client id costs the same comparison as a
known one, so response times do not tell which ids exist. Signed Yunpian requests also carry a
timestamp (refused outside a window around the server's clock) and a nonce (refused when seen
before, for as long as the same request's timestamp could still be accepted); nonces live in the
OTP store, so the check holds across workers. Text that does not encode as UTF-8 (JSON's lone
surrogates) is refused before it reaches an encoder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_plus

from otp_flow import defaults
from otp_flow._clients import Client, by_id
from otp_flow.errors import OTPError
from otp_flow.stores.base import NonceStore
from otp_flow.types import Clock, system_clock

__all__ = [
    "ClientAuthError",
    "ClientDirectory",
    "SignedRequestAuthenticator",
    "is_text",
    "parse_basic",
    "yunpian_signature",
]

Reason = Literal["missing", "unknown_client", "bad_secret", "bad_timestamp", "replayed_nonce"]

# Compared against when the client id is unknown, so that path does the same work.
_DUMMY_SECRET = b"otp_flow.no-such-client.0123456789abcdef"
_MAX_HEADER = 1024


def is_text(value: str) -> bool:
    """Whether ``value`` encodes as UTF-8. JSON may spell lone surrogates (``"\\ud800"``),
    which no encoder, hasher or signer downstream accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ClientAuthError(OTPError):
    """The caller is not an authenticated client. ``reason`` lets a dialect pick its error code."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


class ClientDirectory:
    """The configured API clients, looked up by id and checked by secret.

    Given a mapping (``OTPEngine.clients``) it reads that mapping itself rather than a copy, so
    authentication and quotas always agree on who the clients are.
    """

    def __init__(self, clients: Mapping[str, Client] | Iterable[Client]) -> None:
        self.clients: Mapping[str, Client] = (
            clients if isinstance(clients, Mapping) else by_id(clients, "client")
        )

    def get(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    def authenticate(self, client_id: str, secret: str) -> Client:
        """The client whose id and secret these are, else ``ClientAuthError``."""
        client = self.clients.get(client_id)
        expected = client.secret.encode() if client is not None and client.secret else None
        # surrogatepass: a lone surrogate cannot crash the compare, and its bytes are never
        # valid UTF-8, so they match no configured secret.
        given = secret.encode("utf-8", "surrogatepass")
        matches = hmac.compare_digest(expected or _DUMMY_SECRET, given)
        if client is None:
            raise ClientAuthError("unknown_client")
        if expected is None or not matches:
            raise ClientAuthError("bad_secret")
        return client


def parse_basic(header: str | None) -> tuple[str, str]:
    """(client_id, client_secret) of an ``Authorization: Basic`` header.

    Per the CIAM seed (and RFC 6749 section 2.3.1) both halves are form-url-encoded before they
    are joined with ``:`` and base64-encoded, so each is url-decoded after the split.
    """
    if not header or len(header) > _MAX_HEADER:
        raise ClientAuthError("missing")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise ClientAuthError("missing")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except ValueError as exc:  # bad base64, non-ASCII header text, or bytes that are not UTF-8
        raise ClientAuthError("missing") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise ClientAuthError("missing")
    return unquote_plus(client_id), unquote_plus(secret)


def yunpian_signature(app_id: str, timestamp: str, nonce: str, app_key: str) -> str:
    """Hex HMAC-SHA256 keyed with the app key over ``app_id + timestamp + nonce``."""
    message = (app_id + timestamp + nonce).encode()
    return hmac.new(app_key.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class _Headers:
    app_id: str
    app_key: str | None
    signature: str | None
    timestamp: str | None
    nonce: str | None


class SignedRequestAuthenticator:
    """The Yunpian scheme: ``x-app-id`` with ``x-app-key`` or ``x-signature``.

    A signature needs ``x-timestamp`` (milliseconds) and ``x-nonce``; with an app key they are
    optional but checked when sent. ``window_seconds``: how far the timestamp may be from the
    server's clock either way. ``nonces``: where seen nonces are remembered (the application
    passes its engine, an ``OTPEngine`` being a ``NonceStore``), shared by every worker.
    """

    def __init__(
        self,
        directory: ClientDirectory,
        nonces: NonceStore,
        *,
        window_seconds: int = defaults.SIGNATURE_WINDOW_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        if isinstance(window_seconds, bool) or not isinstance(window_seconds, int):
            raise ValueError("window_seconds must be an integer")
        low, high = defaults.SIGNATURE_WINDOW_BOUNDS
        if not low <= window_seconds <= high:
            raise ValueError(f"window_seconds must be between {low} and {high}")
        self.directory = directory
        self.nonces = nonces
        self.window_ms = window_seconds * 1000
        self.clock = clock

    async def authenticate(self, headers: Mapping[str, str]) -> Client:
        """The calling client, else ``ClientAuthError``; may raise ``StoreUnavailable``."""
        h = _read_headers(headers)
        client = self.directory.get(h.app_id)
        if h.signature is not None:
            if h.timestamp is None or h.nonce is None:
                raise ClientAuthError("missing")
            key = client.secret if client is not None and client.secret else _DUMMY_SECRET.decode()
            expected = yunpian_signature(h.app_id, h.timestamp, h.nonce, key)
            matches = hmac.compare_digest(expected.encode(), h.signature.lower().encode())
            if client is None:
                raise ClientAuthError("unknown_client")
            if not matches or not client.secret:
                raise ClientAuthError("bad_secret")
        elif h.app_key is not None:
            client = self.directory.authenticate(h.app_id, h.app_key)
        else:
            raise ClientAuthError("missing" if client is not None else "unknown_client")
        now_ms = int(self.clock() * 1000)
        if h.timestamp is not None:
            self._check_timestamp(h.timestamp, now_ms)
        if h.nonce is not None:
            await self._remember_nonce(client.id, h.nonce, now_ms)
        return client

    def _check_timestamp(self, raw: str, now_ms: int) -> None:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 16:
            raise ClientAuthError("bad_timestamp")
        if abs(int(raw) - now_ms) > self.window_ms:
            raise ClientAuthError("bad_timestamp")

    async def _remember_nonce(self, client_id: str, nonce: str, now_ms: int) -> None:
        if not nonce or len(nonce) > 128:
            raise ClientAuthError("replayed_nonce")
        # A timestamp accepted now (at most one window ahead) stays acceptable up to and
        # including two windows from now, as the check is inclusive. The nonce is remembered
        # one millisecond longer than that, so no instant remains at which a replay passes.
        fresh = await self.nonces.remember_nonce(
            f"yunpian:{client_id}", nonce, now_ms=now_ms, ttl_ms=2 * self.window_ms + 1
        )
        if not fresh:
            raise ClientAuthError("replayed_nonce")


def _read_headers(headers: Mapping[str, str]) -> _Headers:
    def get(name: str) -> str | None:
        value = headers.get(name)
        if value is None:
            return None
        if len(value) > _MAX_HEADER or not is_text(value):
            raise ClientAuthError("missing")
        return value.strip()

    app_id = get("x-app-id")
    if not app_id:
        raise ClientAuthError("missing")
    return _Headers(
        app_id, get("x-app-key"), get("x-signature"), get("x-timestamp"), get("x-nonce")
    )
