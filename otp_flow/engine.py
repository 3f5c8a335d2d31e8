"""OTPEngine: issue codes, deliver them, verify them. No web framework in sight.

The engine owns policy (code shape, lifetimes, limits, time zone, the clock) and turns it into
plain numbers for the store, which does each send and each verify atomically in one call.

``send`` reads top to bottom here: the store's ``IssueRequest`` (``_windows.py``,
``_requesters.py``), the otp_token (``_otp_token.py``), the delivery (``_delivery.py``). ``verify``
and ``verify_recipient`` check what they were given and hand the code to ``_verifying.py``.
None of those modules calls back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from otp_flow import defaults
from otp_flow._checks import check_timeout
from otp_flow._clients import Client, by_id
from otp_flow._codes import CodeHasher, generate_code, new_challenge_id
from otp_flow._delivery import deliver_code, deliver_notice
from otp_flow._otp_token import OTPTokens
from otp_flow._requesters import requester_checks, requester_sends, requester_stats
from otp_flow._signing import normalise_keys
from otp_flow._verifying import verify_code
from otp_flow._windows import rate_windows, window_counts
from otp_flow.errors import (
    DeliveryFailed,
    InvalidRequest,
    InvalidToken,
    QuotaExhausted,
    RateLimited,
)
from otp_flow.events import EventLog
from otp_flow.identifiers import IdentifierParser, limit_key
from otp_flow.messages import MessageRenderer, default_renderer
from otp_flow.observers import Observer, observed_send, observed_verify, observed_verify_recipient
from otp_flow.policy import (
    CALLER_MAX_FAILURES,
    CALLER_TTL_SECONDS,
    CODE_LENGTH,
    CodePolicy,
    Limits,
    RequesterLimits,
    caller_int,
    check_channel,
    check_code_input,
    check_usage,
    is_caller_code,
)
from otp_flow.senders._base import Message, Sender
from otp_flow.stores.base import IssueRequest, NonceStore, OTPStore, ThrottleOutcome, ThrottleStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.types import (
    Channel,
    Clock,
    Recipient,
    SendResult,
    TokenClaims,
    Usage,
    VerifyResult,
    system_clock,
)

__all__ = ["OTPEngine"]


class OTPEngine:
    """Sends and verifies one-time codes.

    Keyword-only configuration; every default is the seeds' (see ``CodePolicy`` and ``Limits``).
    ``secret_keys``: oldest first, newest last (rotation: old keys still verify tokens).
    ``sender``: when given, ``send`` renders the message and delivers it; a failed delivery kills
    the code, gives the quota unit back and raises ``DeliveryFailed``. Without a sender the caller
    delivers ``SendResult.code`` itself. ``requester_limits``: what one requester may do, for
    the sends and checks that name one (``send(requester=...)``, as the pages do).
    ``observers``: called with one event after each send, refusal and verify (see
    ``otp_flow.observers``); default: ``EventLog()``, ``()`` for none.
    ``nonces`` / ``throttles``: where ``remember_nonce`` and ``throttle`` keep their counts
    (the pages and the signed APIs use them); default: ``store`` when it implements them.
    """

    def __init__(
        self,
        *,
        secret_keys: Sequence[str | bytes] | str | bytes,
        store: OTPStore | None = None,
        policy: CodePolicy | None = None,
        limits: Limits | None = None,
        requester_limits: RequesterLimits | None = None,
        identifiers: IdentifierParser | None = None,
        clients: Iterable[Client] = (),
        sender: Sender | None = None,
        renderer: MessageRenderer | None = None,
        delivery_timeout: float = defaults.DELIVERY_TIMEOUT_SECONDS,
        clock: Clock = system_clock,
        observers: Iterable[Observer] | None = None,
        nonces: NonceStore | None = None,
        throttles: ThrottleStore | None = None,
    ) -> None:
        delivery_timeout = check_timeout(delivery_timeout, "delivery_timeout")
        keys = normalise_keys(secret_keys)
        self.store: OTPStore = store if store is not None else MemoryStore()
        if nonces is None and isinstance(self.store, NonceStore):
            nonces = self.store
        if throttles is None and isinstance(self.store, ThrottleStore):
            throttles = self.store
        self._nonces = nonces
        self._throttles = throttles
        self.policy = policy or CodePolicy()
        self.limits = limits or Limits()
        self.requester_limits = requester_limits or RequesterLimits()
        self.identifiers = identifiers or IdentifierParser()
        self.clients: dict[str, Client] = by_id(clients, "client")
        self.sender = sender
        self.renderer: MessageRenderer = renderer or default_renderer()
        self.delivery_timeout = delivery_timeout
        self.clock = clock
        self.observers: list[Observer] = [EventLog()] if observers is None else list(observers)
        self._tz = ZoneInfo(self.limits.timezone)
        self._secret_keys = tuple(keys)
        # Newest first: codes are digested with the newest key; a verify also tries the older
        # ones, so a code issued by a worker that had not rotated yet still verifies.
        self._hashers = [CodeHasher(key) for key in reversed(keys)]
        self._tokens = OTPTokens(keys, max_age=self.policy.token_ttl_seconds, clock=clock)

    @property
    def secret_keys(self) -> tuple[bytes, ...]:
        """The keys, oldest first, for a web layer that signs with the same ones
        (``create_auth_app`` without ``secret_keys=``). Read-only and never in ``repr``: do not log
        it."""
        return self._secret_keys

    # ------------------------------------------------------------------ send

    @observed_send
    async def send(
        self,
        recipient: str | Recipient,
        *,
        channel: Channel | None = None,
        usage: Usage = "login",
        client_id: str = "default",
        code: str | None = None,
        code_length: int | None = None,
        ttl_seconds: int | None = None,
        max_failures: int | None = None,
        locale: str | None = None,
        deliver: bool = True,
        requester: str | None = None,
    ) -> SendResult:
        """Issue a code for ``recipient`` and (with a sender, unless ``deliver`` is False)
        deliver it.

        ``deliver=False`` issues and counts the code exactly like a real send but sends nothing:
        the pages use it for identifiers with no account, so that a stranger cannot tell from
        limits or timing which identifiers exist.

        ``requester``: who is asking (``otp_flow.web._requester``); when given, the engine's
        ``requester_limits`` apply too, counted in the same store call. Limits and codes are
        kept under the recipient's folded key (``identifiers.limit_key``), so every spelling of
        one inbox shares them; the message goes to the address as typed.

        Raises ``InvalidRequest``, an ``IdentifierError``, ``RateLimited``, ``QuotaExhausted``,
        ``StoreUnavailable`` or ``DeliveryFailed``.
        """
        check_usage(usage)
        target = (
            recipient
            if isinstance(recipient, Recipient)
            else (self.identifiers.parse(recipient, channel))
        )
        check_channel(usage, target.channel)
        length = caller_int("code_length", code_length, CODE_LENGTH, self.policy.code_length)
        ttl = caller_int("ttl_seconds", ttl_seconds, CALLER_TTL_SECONDS, self.policy.ttl_seconds)
        failures = caller_int(
            "max_failures", max_failures, CALLER_MAX_FAILURES, self.policy.max_failures
        )
        if code is None:
            code = generate_code(length, self.policy.alphabet)
        elif not is_caller_code(code):
            raise InvalidRequest("code must be a string of 4 to 8 digits")

        now = self.clock()
        now_ms = int(now * 1000)
        client = self.clients.get(client_id)
        quota = client.quota(target.channel) if client else None
        challenge_id = new_challenge_id()
        key = limit_key(target)
        sends = requester_sends(self.requester_limits, requester, usage)
        request = IssueRequest(
            client_id=client_id,
            recipient=key,
            channel=target.channel,
            usage=usage,
            challenge_id=challenge_id,
            digest=self._hashers[0].digest(client_id, usage, key, code),
            now_ms=now_ms,
            expires_ms=now_ms + ttl * 1000,
            max_failures=failures,
            resend_interval_ms=self.limits.resend_interval_seconds * 1000,
            resend_backoff_max_ms=self.limits.resend_backoff_max_seconds * 1000,
            quota=quota,
            requester=sends,
            **rate_windows(now, self.limits, self._tz),
        )
        outcome = await self.store.issue(request)
        windows = window_counts(outcome, self.limits)
        stats_of_requester = requester_stats(outcome, sends)
        if not outcome.accepted:
            if outcome.refused_by == "quota":
                raise QuotaExhausted(target.channel)
            retry_after = max(math.ceil(outcome.retry_after_ms / 1000), 1)
            raise RateLimited(
                outcome.refused_by or "unknown",
                retry_after,
                target.channel,
                windows,
                stats_of_requester,
            )

        token = self._tokens.sign(client_id, target, usage, challenge_id)
        if deliver and self.sender is not None:
            try:
                await deliver_code(
                    self.sender,
                    self.renderer,
                    self.delivery_timeout,
                    self.store,
                    target,
                    usage,
                    client_id,
                    code,
                    ttl,
                    locale,
                    challenge_id,
                    quota,
                )
            except DeliveryFailed as exc:
                exc.otp_token = token  # names the killed challenge (see DeliveryFailed)
                raise
        return SendResult(
            otp_token=token,
            recipient=target,
            usage=usage,
            client_id=client_id,
            challenge_id=challenge_id,
            code=code,
            created_at=now_ms / 1000,
            expires_at=request.expires_ms / 1000,
            max_failures=failures,
            windows=windows,
            requester=stats_of_requester,
        )

    async def notify(self, message: Message) -> None:
        """Deliver a notice (``message.kind == "notice"``, e.g. from ``renderer.render_notice``)
        with the same timeout as a code. No code, no store: nothing is issued or counted.

        Raises ``DeliveryFailed`` when the sender fails or times out. Without a sender there is
        nowhere to deliver, so nothing happens (as ``send`` delivers nothing then).
        """
        if message.kind != "notice":
            raise ValueError("notify delivers notices; codes go out through send()")
        if self.sender is not None:
            await deliver_notice(self.sender, message, self.delivery_timeout)

    # ---------------------------------------------------------------- verify

    def read_token(self, otp_token: str) -> TokenClaims:
        """(client_id, recipient, usage, challenge_id) of a valid token, else ``InvalidToken``."""
        return self._tokens.read(otp_token)

    @observed_verify
    async def verify(
        self,
        otp_token: str | TokenClaims,
        code: str,
        *,
        client_id: str | None = None,
        requester: str | None = None,
    ) -> VerifyResult:
        """Check ``code`` against the challenge ``otp_token`` names (or its ``read_token``).

        ``client_id``: when given, a token issued to another client is ``InvalidToken``.
        ``requester``: when given, the check counts against its ``checks_per_window``
        (``TooManyChecks`` past it), in the same store call.
        Raises a ``VerificationFailed`` subclass, ``InvalidRequest`` or ``StoreUnavailable``.
        """
        check_code_input(code)
        claims = otp_token if isinstance(otp_token, TokenClaims) else self._tokens.read(otp_token)
        token_client, recipient, usage, challenge_id = claims
        if client_id is not None and client_id != token_client:
            raise InvalidToken()
        return await verify_code(
            self.store,
            self._hashers,
            token_client,
            recipient,
            usage,
            code,
            challenge_id,
            int(self.clock() * 1000),
            requester_checks(self.requester_limits, requester),
        )

    @observed_verify_recipient
    async def verify_recipient(
        self,
        recipient: str | Recipient,
        code: str,
        *,
        client_id: str = "default",
        usage: Usage = "login",
        channel: Channel | None = None,
    ) -> VerifyResult:
        """Check ``code`` against whatever code is current for (client, recipient, usage)."""
        check_usage(usage)
        check_code_input(code)
        target = (
            recipient
            if isinstance(recipient, Recipient)
            else (self.identifiers.parse(recipient, channel))
        )
        return await verify_code(
            self.store,
            self._hashers,
            client_id,
            target,
            usage,
            code,
            None,
            int(self.clock() * 1000),
            None,
        )

    # ------------------------------------------------------- nonces, throttles

    async def remember_nonce(self, scope: str, nonce: str, *, now_ms: int, ttl_ms: int) -> bool:
        """Record ``nonce`` in ``scope``; False when it was already seen within ``ttl_ms`` (a
        replay). The engine is a ``NonceStore``. Raises ``StoreUnavailable``."""
        if self._nonces is None:
            raise TypeError("this engine's store keeps no nonces: pass nonces=")
        return await self._nonces.remember_nonce(scope, nonce, now_ms=now_ms, ttl_ms=ttl_ms)

    async def throttle(
        self,
        scope: str,
        key: str,
        *,
        now_ms: int,
        window_ms: int,
        limit: int,
        also: Sequence[tuple[str, int]] = (),
    ) -> ThrottleOutcome:
        """Count one attempt at something that is not a code (see ``otp_flow.stores.base``).
        The engine is a ``ThrottleStore``. Raises ``StoreUnavailable``."""
        throttles = self._throttles_or_refuse()
        return await throttles.throttle(
            scope, key, now_ms=now_ms, window_ms=window_ms, limit=limit, also=also
        )

    async def clear_throttle(self, scope: str, key: str) -> None:
        await self._throttles_or_refuse().clear_throttle(scope, key)

    def _throttles_or_refuse(self) -> ThrottleStore:
        if self._throttles is None:
            raise TypeError("this engine's store keeps no throttles: pass throttles=")
        return self._throttles

    async def aclose(self) -> None:
        await self.store.aclose()
