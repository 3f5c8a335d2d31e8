"""What every code flow shares: ask for an identifier, send a code, check it, resend it.

Between "send" and "verify" the pending challenge rides in the signed ``otp_token`` cookie
(HttpOnly, SameSite=Lax, path = the mount, lifetime = the engine's otp_token). After the code, the
same cookie carries the verified address to the flow's last step (signup details, new password).
A tampered, expired or missing cookie restarts the flow with a clear message.

Routes of a flow named ``x``: ``/x`` (start), ``/x/code`` (enter the code), ``/x/resend``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from otp_flow.errors import (
    DeliveryFailed,
    IdentifierError,
    InvalidRequest,
    InvalidToken,
    RateLimited,
    SendRefused,
    VerificationFailed,
)
from otp_flow.types import Recipient, TokenClaims, Usage
from otp_flow.users import User, find_user
from otp_flow.web.flows.pages import FlowPages, Pending
from otp_flow.web.flows.sending import send_code
from otp_flow.web.forms import normalise_code, safe_next
from otp_flow.web.i18n import N_
from otp_flow.web.outcomes import NOTICES, Problem, send_problem, verify_problem
from otp_flow.web.requester import client_ip

__all__ = ["CodeFlow", "LastStep"]

log = logging.getLogger("otp_flow.web")


@dataclass(frozen=True, slots=True)
class LastStep:
    """A request to a flow's step after the code (signup details, new password)."""

    user: User | None
    #: The posted form (CSRF checked); empty on GET.
    form: dict[str, str]
    pending: Pending
    #: The address the code proved.
    recipient: Recipient


class CodeFlow(FlowPages):
    """A flow's shared steps; subclasses set ``name``, ``usage``, ``template``, ``verified``."""

    usage: ClassVar[Usage]
    #: A signed-in visitor of the first page goes straight on to ``next`` (login, signup).
    skip_when_signed_in: ClassVar[bool] = False

    def routes(self) -> list[Route]:
        n = self.name
        return [
            Route(f"/{n}", self.start, methods=["GET", "POST"], name=n),
            Route(f"/{n}/code", self.code, methods=["GET", "POST"], name=f"{n}_code"),
            Route(f"/{n}/resend", self.resend, methods=["POST"], name=f"{n}_resend"),
        ]

    # ----------------------------------------------------------------- for subclasses

    def deliver_to(self, user: User | None) -> bool:
        """Whether the code really goes out (login and reset: only to existing accounts)."""
        return True

    async def verified(self, request: Request, pending: Pending, user: User | None) -> Response:
        """The code was right: ``pending.recipient()`` is the proven address."""
        raise NotImplementedError

    async def submit(self, request: Request, form: dict[str, str], user: User | None) -> Response:
        """The start form was posted (CSRF checked). Default: send a code to ``identifier``."""
        return await self.send_first(request, form, user)

    # -------------------------------------------------------------------------- steps

    async def start(self, request: Request) -> Response:
        user = await self.current_user(request)
        if self.needs_user and user is None:
            return self.to_login(request)
        if request.method == "GET":
            next_url = safe_next(request.query_params.get("next"), "")
            if self.skip_when_signed_in and user is not None:
                return RedirectResponse(
                    next_url or self.settings.pages.home(request), status_code=303
                )
            notice = NOTICES.get(request.query_params.get("notice", ""))
            return self.page(request, user, notice=notice, next=next_url)
        form = await self.form(request)
        return await self.submit(request, form, user)

    async def send_first(
        self, request: Request, form: dict[str, str], user: User | None
    ) -> Response:
        try:
            recipient = self.settings.identifiers.parse(form.get("identifier", ""))
        except IdentifierError as exc:
            return self.page(
                request, user, form=form, problem=send_problem(exc, self.texts(request))
            )
        next_url = safe_next(form.get("next"), "")
        sent = await self.send(request, recipient, user, next_url, form)
        if isinstance(sent, Problem):
            return self.page(request, user, form=form, problem=sent)
        return self.to_code_page(request, sent)

    async def code(self, request: Request) -> Response:
        user = await self.current_user(request)
        if self.needs_user and user is None:
            return self.to_login(request)
        form = await self.form(request) if request.method == "POST" else {}
        waiting = self.waiting(request, user)
        if waiting is None:
            return self.restart(request, user, form)
        pending, claims = waiting
        recipient = claims.recipient
        if request.method == "GET":
            notice = NOTICES.get(request.query_params.get("notice", ""))
            return self.code_page(request, pending, recipient, notice=notice)
        code = normalise_code(form.get("code", ""))
        try:
            result = await self.settings.engine.verify(
                claims,  # read once, by waiting(): not decoded a second time
                code,
                client_id=self.settings.client_id,
                requester=self.settings.requester(request.scope),
            )
        except InvalidToken:
            return self.restart(request, user, form)
        except InvalidRequest:
            message = self.texts(request).gettext("Enter the code we sent you.")
            problem = Problem(message, field="code")
            return self.code_page(request, pending, recipient, problem=problem)
        except VerificationFailed as exc:
            problem = verify_problem(exc, self.texts(request))
            return self.code_page(request, pending, recipient, problem=problem)
        if result.usage != self.usage:
            return self.restart(request, user, form)
        proved = (result.recipient.channel, result.recipient.value)
        done = replace(pending, token=None, verified=proved, once=Pending.new_once())
        return await self.verified(request, done, user)

    async def resend(self, request: Request) -> Response:
        user = await self.current_user(request)
        if self.needs_user and user is None:
            return self.to_login(request)
        form = await self.form(request)
        waiting = self.waiting(request, user)
        if waiting is None:
            return self.restart(request, user, form)
        pending, claims = waiting
        recipient = claims.recipient
        sent = await self.send(request, recipient, user, pending.next, form)
        if isinstance(sent, Problem):
            return self.code_page(request, pending, recipient, problem=sent)
        return self.to_code_page(request, sent, notice="resent")

    # ------------------------------------------------------------------------ helpers

    async def send(
        self,
        request: Request,
        recipient: Recipient,
        user: User | None,
        next_url: str,
        form: Mapping[str, str],
    ) -> Pending | Problem:
        """Send (or silently issue) a code; the new pending state, or what went wrong.

        ``form``: the posted form, which carries the challenge's token when one is asked for.
        """
        requester = self.settings.requester(request.scope)
        gate = self.settings.challenge_gate
        # Before the timer: the provider's answer time is the same for known and unknown
        # accounts, and must not count as delivery time.
        if gate is not None and gate.required(requester):
            token = form.get(gate.challenge.field_name, "")
            remote_ip = client_ip(self.settings.requester, request.scope)
            # A provider outage raises ChallengeUnavailable: the 503 page, nothing sent.
            if not await gate.challenge.verify(token, remote_ip=remote_ip):
                # Missing, refused or used: 422, the form again with the widget.
                return Problem(self.texts(request).gettext(N_("Please complete the challenge.")))
        # The silent-send timer starts before the account lookup, so its padding covers the
        # lookup too (finding an account takes longer than finding none).
        started = self.timer.timer()
        refused = await self.refused(request, recipient, self.usage, user)
        if refused is not None:
            return refused
        owner = user if self.needs_user else await find_user(self.settings.users, recipient)
        texts = self.texts(request)
        try:
            result = await send_code(
                self.settings,
                self.timer,
                recipient,
                usage=self.usage,
                deliver=self.deliver_to(owner),
                locale=texts.locale,
                requester=requester,
                started=started,
            )
        except DeliveryFailed as exc:
            if self.deliver_to(None):  # the person owns this address: tell them it failed
                return send_problem(exc, texts)
            # Only accounts are sent codes here, so a failure would say "this one exists":
            # answer as for an unknown identifier (the code page says "if it has an account").
            # The killed challenge's token rides on, as an unknown identifier's silent one does,
            # so the code page and a guess there look the same either way (code expired).
            log.warning("a %s code could not be delivered: %r", self.name, exc)
            return Pending(
                flow=self.name, next=next_url, sent_at=self.settings.clock(), token=exc.otp_token
            )
        except (SendRefused, IdentifierError, InvalidRequest) as exc:
            if gate is not None and isinstance(exc, RateLimited):
                gate.observe(requester, exc.requester, exc.stats)
            return send_problem(exc, texts)
        if gate is not None:
            gate.observe(requester, result.requester, result.stats)
        return Pending(
            flow=self.name,
            next=next_url,
            sent_at=self.settings.clock(),
            token=result.otp_token,
            user_id=user.id if self.needs_user and user else None,
        )

    def to_last_step(self, request: Request, pending: Pending, route: str) -> Response:
        """The code was right: on to the flow's last step (``route``), the proof in the cookie."""
        response = RedirectResponse(self.url(request, route), status_code=303)
        self.save(request, response, pending)
        return response

    async def last_step(self, request: Request) -> LastStep | Response:
        """Who asks the last step, with the proven address; or, when the cookie proves none
        (missing, forged, expired, another flow's), the restart page to answer with."""
        user = await self.current_user(request)
        form = await self.form(request) if request.method == "POST" else {}
        pending = self.load(request, user)
        recipient = pending.recipient() if pending else None
        if pending is None or recipient is None:
            return self.restart(request, user, form)
        return LastStep(user, form, pending, recipient)

    def to_code_page(
        self, request: Request, pending: Pending, notice: str | None = None
    ) -> Response:
        query = {"notice": notice} if notice else {}
        response = RedirectResponse(
            self.url(request, f"{self.name}_code", **query), status_code=303
        )
        self.save(request, response, pending)
        return response

    def no_account(self, request: Request, user: User | None) -> Response:
        """The proven address has no account: only reachable by guessing a code nobody was
        sent (login and reset send none to unknown addresses), so telling is harmless."""
        message = self.texts(request).gettext("No account uses this address. Sign up first.")
        response = self.page(request, user, problem=Problem(message))
        self.clear(request, response)
        return response

    def waiting(self, request: Request, user: User | None) -> tuple[Pending, TokenClaims] | None:
        """The pending challenge awaiting a code and what its token says, while it is valid
        (the one place a request decodes the otp_token)."""
        pending = self.load(request, user)
        if pending is None or pending.token is None:
            return None
        try:
            return pending, self.settings.engine.read_token(pending.token)
        except InvalidToken:
            return None

    def code_page(
        self,
        request: Request,
        pending: Pending,
        recipient: Recipient,
        *,
        problem: Problem | None = None,
        notice: str | None = None,
    ) -> Response:
        engine = self.settings.engine
        interval = engine.limits.resend_interval_seconds
        context: dict[str, Any] = {
            "flow": self.name,
            "recipient": recipient,
            "resend_in": max(pending.sent_at + interval - self.settings.clock(), 0),
            "code_numeric": engine.policy.alphabet.isdigit(),
            "code_length": engine.policy.code_length,
            "next": pending.next,
        }
        return self.render(request, "code.html", context, problem=problem, notice=notice)
