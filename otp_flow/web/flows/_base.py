"""What every flow shares: ask for an identifier, send a code, check it, resend it; the
requests, pages and the pending cookie (``pages.py``) around them.

A flow module (login.py, signup.py, reset_password.py, update_userinfo.py, logout.py) subclasses
``Flow`` and fills in its hooks (``verified``, ``submit``, ``start_context``); the plumbing it
calls lives in ``pages.py`` and ``sending.py``, which never call back. A tampered, expired or
missing pending cookie restarts the flow with a clear message.

Routes of a flow named ``x``: ``/x`` (start), ``/x/code`` (enter the code), ``/x/resend``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, cast

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from otp_flow.errors import (
    IdentifierError,
    InvalidRequest,
    InvalidToken,
    VerificationFailed,
)
from otp_flow.types import Recipient, TokenClaims, Usage
from otp_flow.users import PasswordUserStore, User, UserEvent
from otp_flow.web._forms import DISPLAY_NAME_MAX, normalise_code, read_form, safe_next
from otp_flow.web._i18n import Texts
from otp_flow.web._middleware import authenticate
from otp_flow.web._outcomes import (
    NOTICES,
    Problem,
    name_problem,
    password_problem,
    send_problem,
    verify_problem,
)
from otp_flow.web._settings import AuthSettings
from otp_flow.web._signin import sign_in
from otp_flow.web.flows._pages import Pending, PendingCookie, code_page, render
from otp_flow.web.flows._sending import SendTimer, send_from_page

__all__ = ["Flow", "LastStep"]

log = logging.getLogger("otp_flow.web")

#: Form fields never echoed back into a re-rendered page.
_NOT_ECHOED = ("password", "csrf_token", "code")


@dataclass(frozen=True, slots=True)
class LastStep:
    """A request to a flow's step after the code (signup details, new password)."""

    user: User | None
    #: The posted form (CSRF checked); empty on GET.
    form: dict[str, str]
    pending: Pending
    #: The address the code proved.
    recipient: Recipient


class Flow:
    """A flow's shared steps; subclasses set ``name`` (route name of its first page),
    ``template`` (that page), ``usage`` and ``verified``."""

    name: ClassVar[str]
    template: ClassVar[str]
    usage: ClassVar[Usage]
    #: Only signed-in users may use the flow (update_userinfo, logout).
    needs_user: ClassVar[bool] = False
    #: A signed-in visitor of the first page goes straight on to ``next`` (login, signup).
    skip_when_signed_in: ClassVar[bool] = False
    #: Codes really go out only to existing accounts (login, reset); others get a silent one.
    accounts_only: ClassVar[bool] = False

    def __init__(self, settings: AuthSettings, timer: SendTimer) -> None:
        self.settings = settings
        self.timer = timer
        self.cookie = PendingCookie(settings)

    def routes(self) -> list[Route]:
        n = self.name
        return [
            Route(f"/{n}", self.start, methods=["GET", "POST"], name=n),
            Route(f"/{n}/code", self.code, methods=["GET", "POST"], name=f"{n}_code"),
            Route(f"/{n}/resend", self.resend, methods=["POST"], name=f"{n}_resend"),
        ]

    # ----------------------------------------------------------------- for subclasses

    def start_context(self, request: Request, user: User | None) -> dict[str, Any]:
        """Extra context of the flow's first page."""
        return {}

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
            return code_page(self.settings, request, pending, recipient, notice=notice)
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
            return code_page(self.settings, request, pending, recipient, problem=problem)
        except VerificationFailed as exc:
            problem = verify_problem(exc, self.texts(request))
            return code_page(self.settings, request, pending, recipient, problem=problem)
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
            return code_page(self.settings, request, pending, recipient, problem=sent)
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

    def to_last_step(self, request: Request, pending: Pending, route: str) -> Response:
        """The code was right: on to the flow's last step (``route``), the proof in the cookie."""
        response = RedirectResponse(self.url(request, route), status_code=303)
        self.cookie.save(request, response, pending)
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
        self.cookie.save(request, response, pending)
        return response

    def no_account(self, request: Request, user: User | None) -> Response:
        """The proven address has no account: only reachable by guessing a code nobody was
        sent (login and reset send none to unknown addresses), so telling is harmless."""
        message = self.texts(request).gettext("No account uses this address. Sign up first.")
        response = self.page(request, user, problem=Problem(message))
        self.cookie.clear(request, response)
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

    # ------------------------------------------------------------------ requests

    async def current_user(self, request: Request) -> User | None:
        found = await authenticate(self.settings, request.scope)
        return found[1] if found else None

    async def form(self, request: Request) -> dict[str, str]:
        """The posted form; raises ``CSRFError`` (the 403 page) without a valid token."""
        form = await read_form(request)
        self.settings.csrf.check(request, form.get("csrf_token"))
        return form

    def texts(self, request: Request) -> Texts:
        return self.settings.pages.texts(request)

    def url(self, request: Request, name: str, **query: str) -> str:
        return self.settings.pages.url(request, name, **query)

    def to_login(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":  # after sign-in, come back to the form, not to a POST URL
            target = self.url(request, self.name)
        login = self.url(request, "login", next=target, notice="sign_in_first")
        return RedirectResponse(login, status_code=303)

    def password_users(self) -> PasswordUserStore:
        """The user store as a password store: only called with passwords on, where
        ``create_auth_app`` checked that it has the password methods."""
        return cast(PasswordUserStore, self.settings.users)

    def name_problem(self, request: Request, problem: str) -> Problem:
        return name_problem(problem, self.texts(request), DISPLAY_NAME_MAX)

    def password_problem(self, request: Request, password: str) -> Problem | None:
        passwords = self.settings.passwords
        problem = passwords.problem(password)
        if problem is None:
            return None
        texts = self.texts(request)
        return password_problem(problem, texts, passwords.min_length, passwords.max_length)

    async def signed_in(
        self, request: Request, account: User, next_url: str, event: UserEvent
    ) -> Response:
        """Sign ``account`` in (a new session), end the flow, go on to ``next`` or home."""
        response = RedirectResponse(next_url or self.settings.pages.home(request), status_code=303)
        await sign_in(self.settings, request, response, account)  # also ends the flow's cookie
        await self.settings.hooks.fire(event)
        return response

    # ------------------------------------------------------------------------ pages

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        problem: Problem | None = None,
        notice: str | None = None,
    ) -> Response:
        return render(self.settings, request, template, context, problem=problem, notice=notice)

    def page(
        self,
        request: Request,
        user: User | None,
        *,
        form: dict[str, str] | None = None,
        problem: Problem | None = None,
        notice: str | None = None,
        next: str = "",
    ) -> Response:
        """The flow's first page, refilled with ``form`` (minus secrets) when re-rendered."""
        values = {k: v for k, v in (form or {}).items() if k not in _NOT_ECHOED}
        context = {
            "flow": self.name,
            "values": values,
            "next": safe_next(values.get("next"), next),
            **self.start_context(request, user),
        }
        return self.render(request, self.template, context, problem=problem, notice=notice)

    def restart(self, request: Request, user: User | None, form: dict[str, str]) -> Response:
        """The pending cookie is missing, forged or expired: back to the first page, say why."""
        response: Response
        if request.method == "GET":
            target = self.url(request, self.name, notice="restart")
            response = RedirectResponse(target, status_code=303)
        else:
            problem = Problem(self.texts(request).gettext(NOTICES["restart"]))
            response = self.page(request, user, form=form, problem=problem)
        self.cookie.clear(request, response)
        return response

    def load(self, request: Request, user: User | None) -> Pending | None:
        """This flow's pending state (for ``user`` when the flow needs one), or None."""
        pending = self.cookie.load(request)
        if pending is None or pending.flow != self.name:
            return None
        if self.needs_user and (user is None or pending.user_id != user.id):
            return None
        return pending
