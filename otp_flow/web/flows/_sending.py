"""Sending codes from the pages without telling anyone which accounts exist.

For an identifier without an account, login and password reset still issue a code through the
same engine (``send(..., deliver=False)``: same rate limits, same cookie, same answers) but
deliver it to nobody, and then wait about as long as a real delivery takes, so neither the page
nor its timing gives the account away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request

from otp_flow.errors import (
    DeliveryFailed,
    IdentifierError,
    InvalidRequest,
    RateLimited,
    SendRefused,
)
from otp_flow.types import CHANNELS, Channel, Recipient, SendResult, Usage
from otp_flow.users import Refused, User, find_user
from otp_flow.web._i18n import N_, Texts
from otp_flow.web._outcomes import Problem, send_problem
from otp_flow.web._requester import client_ip
from otp_flow.web._settings import AuthSettings
from otp_flow.web.flows._pages import Pending

__all__ = ["SendTimer", "before_send", "send_code", "send_from_page"]

log = logging.getLogger("otp_flow.web")

#: Until a channel has had a real send, a silent one takes this long: a typical SMS gateway or
#: SMTP round trip. Without it the first unknown identifier after start-up answers instantly.
DEFAULT_SEEDS: dict[Channel, float] = {"sms": 0.3, "email": 0.5}


class SendTimer:
    """How long real sends take, one moving average per channel (an email provider and an SMS
    gateway differ: a shared average would give away an unknown address on the slower one).

    ``seeds``: the starting guess per channel, replaced by the first real send. Averages are
    capped at ``cap_seconds``: a hung provider is not the norm. ``timer`` and ``sleep`` are
    injectable (tests measure without waiting).
    """

    def __init__(
        self,
        *,
        seeds: dict[Channel, float] | None = None,
        weight: float = 0.2,
        cap_seconds: float = 3.0,
        timer: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        seeds = dict(DEFAULT_SEEDS if seeds is None else seeds)
        if set(seeds) != set(CHANNELS) or any(not 0 <= s <= cap_seconds for s in seeds.values()):
            raise ValueError("seeds must give sms and email each 0..cap_seconds seconds")
        if not 0 < weight <= 1:
            raise ValueError("weight must be in (0, 1]")
        self.average: dict[Channel, float] = seeds
        self._observed: set[Channel] = set()
        self._weight = weight
        self._cap = cap_seconds
        self.timer = timer
        self._sleep = sleep

    def observe(self, channel: Channel, seconds: float) -> None:
        seconds = min(seconds, self._cap)
        if channel not in self._observed:
            self._observed.add(channel)
            self.average[channel] = seconds
        else:
            self.average[channel] += self._weight * (seconds - self.average[channel])

    async def pad(self, channel: Channel, elapsed: float) -> None:
        """Sleep until a silent send has taken as long as a real one on ``channel`` usually does."""
        wait = self.average[channel] - elapsed
        if wait > 0:
            await self._sleep(wait)


async def send_from_page(
    settings: AuthSettings,
    timer: SendTimer,
    request: Request,
    recipient: Recipient,
    *,
    flow: str,
    usage: Usage,
    user: User | None,
    users_own: bool,
    accounts_only: bool,
    next_url: str,
    form: Mapping[str, str],
) -> Pending | Problem:
    """Send (or silently issue) ``flow``'s code; the new pending state, or what went wrong.

    ``users_own``: the code is for the signed-in ``user``'s own change (no account lookup).
    ``accounts_only``: only an existing account is really sent the code (login, reset).
    ``form``: the posted form, which carries the challenge's token when one is asked for.
    """
    texts = settings.pages.texts(request)
    requester = settings.requester(request.scope)
    gate = settings.challenge_gate
    # Before the timer: the provider's answer time is the same for known and unknown
    # accounts, and must not count as delivery time.
    if gate is not None and gate.required(requester):
        token = form.get(gate.challenge.field_name, "")
        remote_ip = client_ip(settings.requester, request.scope)
        # A provider outage raises ChallengeUnavailable: the 503 page, nothing sent.
        if not await gate.challenge.verify(token, remote_ip=remote_ip):
            # Missing, refused or used: 422, the form again with the widget.
            return Problem(texts.gettext(N_("Please complete the challenge.")))
    # The silent-send timer starts before the account lookup, so its padding covers the
    # lookup too (finding an account takes longer than finding none).
    started = timer.timer()
    refused = await before_send(settings, texts, recipient, usage, user)
    if refused is not None:
        return refused
    owner = user if users_own else await find_user(settings.users, recipient)
    try:
        result = await send_code(
            settings,
            timer,
            recipient,
            usage=usage,
            deliver=owner is not None or not accounts_only,
            locale=texts.locale,
            requester=requester,
            started=started,
        )
    except DeliveryFailed as exc:
        if not accounts_only:  # the person owns this address: tell them it failed
            return send_problem(exc, texts)
        # Only accounts are sent codes here, so a failure would say "this one exists":
        # answer as for an unknown identifier (the code page says "if it has an account").
        # The killed challenge's token rides on, as an unknown identifier's silent one does,
        # so the code page and a guess there look the same either way (code expired).
        log.warning("a %s code could not be delivered: %r", flow, exc)
        return Pending(flow=flow, next=next_url, sent_at=settings.clock(), token=exc.otp_token)
    except (SendRefused, IdentifierError, InvalidRequest) as exc:
        if gate is not None and isinstance(exc, RateLimited):
            gate.observe(requester, exc.requester, exc.windows)
        return send_problem(exc, texts)
    if gate is not None:
        gate.observe(requester, result.requester, result.windows)
    return Pending(
        flow=flow,
        next=next_url,
        sent_at=settings.clock(),
        token=result.otp_token,
        user_id=user.id if users_own and user else None,
    )


async def send_code(
    settings: AuthSettings,
    timer: SendTimer,
    recipient: Recipient,
    *,
    usage: Usage,
    deliver: bool,
    locale: str,
    requester: str | None = None,
    started: float | None = None,
) -> SendResult:
    """Issue a code; deliver it only when ``deliver`` (see the module docstring).

    ``started``: the timer's reading when the request's work began (before the account lookup);
    the silent send is padded from then. ``requester``: who is asking (per-requester limits).
    """
    if started is None:
        started = timer.timer()
    result = await settings.engine.send(
        recipient,
        usage=usage,
        client_id=settings.client_id,
        locale=locale,
        deliver=deliver,
        requester=requester,
    )
    elapsed = timer.timer() - started
    if deliver:
        timer.observe(recipient.channel, elapsed)
    else:
        await timer.pad(recipient.channel, elapsed)
    return result


async def before_send(
    settings: AuthSettings, texts: Texts, recipient: Recipient, usage: Usage, user: User | None
) -> Problem | None:
    """What the application's before-hooks say about sending ``usage``'s code to
    ``recipient``: None to go on, or the problem to show (nothing is sent then)."""
    try:
        await settings.hooks.check_send(recipient, usage, user, texts.locale)
    except Refused as refusal:
        return Problem(texts.gettext(refusal.message))
    except Exception:
        # The application's own code broke: fail closed, send nothing.
        log.exception("a before-%s hook failed", usage)
        message = N_("We cannot complete this right now. Please try again in a moment.")
        return Problem(texts.gettext(message), status=503)
    return None
