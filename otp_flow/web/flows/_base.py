"""The one base of the page flows: their routes, the hooks a flow fills in, and the steps
(ask for an identifier, send a code, check it, resend it), each read top to bottom.

Each flow module of this package subclasses ``Flow`` and fills in its hooks (``verified``,
``submit``, ``start_context``). The steps go down to ``_sending.py`` (the send step),
``_verifying.py`` (the verify step), ``_plumbing.py`` (requests in, pages and redirects out) and
``_pages.py`` (the pending cookie, the code page); none of those calls back.
A tampered, expired or missing pending cookie restarts the flow with a clear message.

Routes of a flow named ``x``: ``/x`` (start), ``/x/code`` (enter the code), ``/x/resend``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from otp_flow.errors import IdentifierError, InvalidToken
from otp_flow.types import Recipient, TokenClaims, Usage
from otp_flow.users import User
from otp_flow.web._forms import safe_next
from otp_flow.web._outcomes import NOTICES, Problem, send_problem
from otp_flow.web._settings import AuthSettings
from otp_flow.web.flows._pages import Pending, code_page
from otp_flow.web.flows._plumbing import FlowPlumbing
from otp_flow.web.flows._sending import SendTimer, send_from_page
from otp_flow.web.flows._verifying import verify_from_page

__all__ = ["Flow", "LastStep"]


@dataclass(frozen=True, slots=True)
class LastStep:
    """A request to a flow's step after the code (signup details, new password)."""

    user: User | None
    #: The posted form (CSRF checked); empty on GET.
    form: dict[str, str]
    pending: Pending
    #: The address the code proved.
    recipient: Recipient


class Flow(FlowPlumbing):
    """A flow's shared steps; subclasses set ``name`` (route name of its first page),
    ``template`` (that page), ``usage``, ``code_heading``, ``code_button`` and ``verified``."""

    usage: ClassVar[Usage]
    #: The code page's heading and button, marked with ``N_()`` (translated when shown): each
    #: flow words its own, so ``code.html`` names no flow.
    code_heading: ClassVar[str]
    code_button: ClassVar[str]
    #: A signed-in visitor of the first page goes straight on to ``next`` (login, signup).
    skip_when_signed_in: ClassVar[bool] = False
    #: Codes really go out only to existing accounts (login, reset); others get a silent one.
    accounts_only: ClassVar[bool] = False

    def __init__(self, settings: AuthSettings, timer: SendTimer) -> None:
        super().__init__(settings)
        self.timer = timer

    def routes(self) -> list[Route]:
        n = self.name
        return [
            Route(f"/{n}", self.start, methods=["GET", "POST"], name=n),
            Route(f"/{n}/code", self.code, methods=["GET", "POST"], name=f"{n}_code"),
            Route(f"/{n}/resend", self.resend, methods=["POST"], name=f"{n}_resend"),
        ]

    # ----------------------------------------------------------------- for subclasses

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
        proved = await verify_from_page(self.settings, request, claims, form, usage=self.usage)
        if proved is None:
            return self.restart(request, user, form)
        if isinstance(proved, Problem):
            return self.code_page(request, pending, recipient, problem=proved)
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

    def code_page(
        self,
        request: Request,
        pending: Pending,
        recipient: Recipient,
        *,
        problem: Problem | None = None,
        notice: str | None = None,
    ) -> Response:
        """The page asking for the code ``pending`` awaits, in this flow's words."""
        return code_page(
            self.settings,
            request,
            pending,
            recipient,
            heading=self.code_heading,
            button=self.code_button,
            accounts_only=self.accounts_only,
            problem=problem,
            notice=notice,
        )

    # ------------------------------------------------------------ sending, pending state

    async def send(
        self,
        request: Request,
        recipient: Recipient,
        user: User | None,
        next_url: str,
        form: Mapping[str, str],
    ) -> Pending | Problem:
        """Send (or silently issue) this flow's code (``sending.send_from_page``)."""
        return await send_from_page(
            self.settings,
            self.timer,
            request,
            recipient,
            flow=self.name,
            usage=self.usage,
            user=user,
            users_own=self.needs_user,
            accounts_only=self.accounts_only,
            next_url=next_url,
            form=form,
        )

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
