"""What the engine reports after each send and verify: one event, to every observer.

    engine = OTPEngine(secret_keys=[...], observers=[EventLog(), metrics])

An observer is any callable taking a ``SendEvent`` or ``VerifyEvent``. It runs synchronously,
after the store and the sender have answered and before ``send``/``verify`` returns or raises;
it must be quick (count, log, enqueue). One that raises is logged and otherwise ignored: seeing
abuse must never break signing in. Events never hold a code; ``recipient`` is the normalised
identifier, left out of ``repr`` so that printing an event does not leak it (mask it with
``otp_flow.events.mask``).

The engine's methods are wrapped by ``observed_send``, ``observed_verify`` and
``observed_verify_recipient``, so the engine's own code stays about issuing and checking codes.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from otp_flow.errors import (
    AttemptsExceeded,
    CodeExpired,
    DeliveryFailed,
    InvalidToken,
    NoChallenge,
    OTPError,
    QuotaExhausted,
    RateLimited,
    SendRefused,
    ServiceUnavailable,
    TooManyChecks,
    VerificationFailed,
    WrongCode,
)
from otp_flow.types import Channel, Recipient, SendResult, TokenClaims, Usage, VerifyResult

if TYPE_CHECKING:
    from otp_flow.engine import OTPEngine

__all__ = [
    "Event",
    "Observer",
    "SendEvent",
    "SendOutcome",
    "VerifyEvent",
    "VerifyOutcomeName",
    "calling_code",
    "notify",
    "observed_send",
    "observed_verify",
    "observed_verify_recipient",
]

log = logging.getLogger("otp_flow")

#: ``sent``: delivered by the engine's sender. ``silent``: issued and counted but deliberately
#: not delivered (``deliver=False``: the pages' answer for an identifier with no account).
#: ``issued``: the engine has no sender; the caller delivers. ``refused``: a limit or the quota
#: said no (nothing issued). ``failed``: the sender failed or timed out. ``unavailable``: the
#: store failed.
SendOutcome = Literal["sent", "silent", "issued", "refused", "failed", "unavailable"]
VerifyOutcomeName = Literal[
    "verified",
    "wrong",
    "expired",
    "exceeded",
    "no_challenge",
    "invalid_token",
    "too_many_checks",
    "unavailable",
    "other",
]
_VERIFY_FAILURES: tuple[tuple[type[VerificationFailed], VerifyOutcomeName], ...] = (
    (WrongCode, "wrong"),
    (CodeExpired, "expired"),
    (AttemptsExceeded, "exceeded"),
    (NoChallenge, "no_challenge"),
    (InvalidToken, "invalid_token"),
    (TooManyChecks, "too_many_checks"),
)


def calling_code(recipient: Recipient | None) -> str:
    """The country calling code of a phone recipient ("86"), "none" for email or unknown."""
    if recipient is None or recipient.channel != "sms":
        return "none"
    digits = recipient.value.lstrip("+")
    # Calling codes are prefix-free, so the first known prefix is the code.
    for length in (1, 2, 3):
        if digits[:length].isdigit() and int(digits[:length]) in COUNTRY_CODE_TO_REGION_CODE:
            return digits[:length]
    return "none"


@dataclass(frozen=True, slots=True)
class SendEvent:
    outcome: SendOutcome
    recipient: Recipient = field(repr=False)
    usage: Usage
    client_id: str
    #: ``refused``: the limit's name (``RateLimited.limit``), or ``quota``.
    limit: str | None = None
    #: ``refused`` by a rate limit: seconds until a send may succeed.
    retry_after: int | None = None
    #: ``sent`` / ``failed``: seconds the whole send took, the delivery included.
    seconds: float | None = None

    @property
    def channel(self) -> Channel:
        return self.recipient.channel


@dataclass(frozen=True, slots=True)
class VerifyEvent:
    outcome: VerifyOutcomeName
    #: None when the otp_token could not be read (``invalid_token``).
    recipient: Recipient | None = field(repr=False)
    usage: Usage | None
    client_id: str | None

    @property
    def channel(self) -> Channel | None:
        return self.recipient.channel if self.recipient else None


Event: TypeAlias = SendEvent | VerifyEvent
Observer: TypeAlias = Callable[[Event], None]


def notify(observers: Iterable[Observer], event: Event) -> None:
    """Give ``event`` to each observer; one that raises is logged and skipped."""
    for observer in observers:
        try:
            observer(event)
        except Exception:
            log.exception("observer %r failed on a %s event", observer, type(event).__name__)


_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])


def _defaults(method: Callable[..., Any]) -> dict[str, Any]:
    """The keyword defaults of ``method``, read once from its signature (written only there)."""
    return {
        name: p.default
        for name, p in inspect.signature(method).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _parsed(
    engine: OTPEngine, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Recipient, dict[str, Any]] | None:
    """The call's recipient, parsed once here and handed on parsed: a refusal's event then
    costs no second parse (under attack, refusals are most of the traffic). None when it does
    not parse: the engine then reports the bad input itself, in its own order of checks."""
    kwargs = dict(kwargs)
    raw = args[0] if args else kwargs.pop("recipient", None)
    if isinstance(raw, Recipient):
        return raw, kwargs
    try:
        return engine.identifiers.parse(raw, kwargs.get("channel")), kwargs
    except OTPError:
        return None


def observed_send(send: _F) -> _F:
    """Wrap ``OTPEngine.send``: one ``SendEvent`` per call that got as far as the store."""
    defaults = _defaults(send)

    @functools.wraps(send)
    async def wrapper(engine: OTPEngine, *args: Any, **kwargs: Any) -> Any:
        if not engine.observers:
            return await send(engine, *args, **kwargs)
        parsed = _parsed(engine, args, kwargs)
        if parsed is None:
            return await send(engine, *args, **kwargs)
        target, kwargs = parsed
        options = {**defaults, **kwargs}
        started = time.perf_counter()
        try:
            result: SendResult = await send(engine, target, **kwargs)
        except (SendRefused, ServiceUnavailable) as exc:
            event = _failed_send(exc, target, options, time.perf_counter() - started)
            notify(engine.observers, event)
            raise
        if not options["deliver"]:
            outcome: SendOutcome = "silent"
        else:
            outcome = "sent" if engine.sender is not None else "issued"
        seconds = time.perf_counter() - started if outcome == "sent" else None
        notify(
            engine.observers,
            SendEvent(outcome, result.recipient, result.usage, result.client_id, seconds=seconds),
        )
        return result

    return wrapper  # type: ignore[return-value]


def _failed_send(
    exc: Exception, target: Recipient, call: dict[str, Any], seconds: float
) -> SendEvent:
    usage, client_id = call["usage"], call["client_id"]
    if isinstance(exc, RateLimited):
        return SendEvent("refused", target, usage, client_id, exc.limit, exc.retry_after)
    if isinstance(exc, QuotaExhausted):
        return SendEvent("refused", target, usage, client_id, "quota")
    if isinstance(exc, DeliveryFailed):
        return SendEvent("failed", target, usage, client_id, seconds=seconds)
    return SendEvent("unavailable", target, usage, client_id)


def _verify_outcome(exc: Exception) -> VerifyOutcomeName:
    if isinstance(exc, ServiceUnavailable):
        return "unavailable"
    # "other": a failure added to the tree later must still be counted, never crash the verify.
    return next((name for cls, name in _VERIFY_FAILURES if isinstance(exc, cls)), "other")


def _verified(result: VerifyResult) -> VerifyEvent:
    return VerifyEvent("verified", result.recipient, result.usage, result.client_id)


def observed_verify(verify: _F) -> _F:
    """Wrap ``OTPEngine.verify`` (by otp_token): one ``VerifyEvent`` per checked code."""

    @functools.wraps(verify)
    async def wrapper(engine: OTPEngine, *args: Any, **kwargs: Any) -> Any:
        if not engine.observers:
            return await verify(engine, *args, **kwargs)
        try:
            result: VerifyResult = await verify(engine, *args, **kwargs)
        except (VerificationFailed, ServiceUnavailable) as exc:
            event = VerifyEvent(_verify_outcome(exc), None, None, None)
            if not isinstance(exc, InvalidToken):  # then the token is readable
                token = args[0] if args else kwargs["otp_token"]
                claims = token if isinstance(token, TokenClaims) else engine.read_token(token)
                client_id, target, usage, _challenge = claims
                event = VerifyEvent(event.outcome, target, usage, client_id)
            notify(engine.observers, event)
            raise
        notify(engine.observers, _verified(result))
        return result

    return wrapper  # type: ignore[return-value]


def observed_verify_recipient(verify: _F) -> _F:
    """Wrap ``OTPEngine.verify_recipient``: one ``VerifyEvent`` per checked code."""
    defaults = _defaults(verify)

    @functools.wraps(verify)
    async def wrapper(engine: OTPEngine, *args: Any, **kwargs: Any) -> Any:
        if not engine.observers:
            return await verify(engine, *args, **kwargs)
        parsed = _parsed(engine, args[:1], {**kwargs, **_code(args)})
        if parsed is None:
            return await verify(engine, *args, **kwargs)
        target, kwargs = parsed
        options = {**defaults, **kwargs}
        try:
            result: VerifyResult = await verify(engine, target, **kwargs)
        except (VerificationFailed, ServiceUnavailable) as exc:
            outcome = _verify_outcome(exc)
            event = VerifyEvent(outcome, target, options["usage"], options["client_id"])
            notify(engine.observers, event)
            raise
        notify(engine.observers, _verified(result))
        return result

    return wrapper  # type: ignore[return-value]


def _code(args: tuple[Any, ...]) -> dict[str, Any]:
    """A positional ``code`` (the second argument) as a keyword."""
    return {"code": args[1]} if len(args) > 1 else {}
