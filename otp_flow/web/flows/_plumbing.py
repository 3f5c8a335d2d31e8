"""The plumbing under every flow's steps (``base.Flow``), which never calls a step: what a step
reads from a request (the signed-in user, the CSRF-checked form, texts, URLs) and what it answers
with (the first page, the restart, the redirects that carry the pending cookie, signing in).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from otp_flow.users import PasswordUserStore, User, UserEvent
from otp_flow.web._forms import DISPLAY_NAME_MAX, read_form, safe_next
from otp_flow.web._i18n import Texts
from otp_flow.web._middleware import authenticate
from otp_flow.web._outcomes import NOTICES, Problem, name_problem, password_problem
from otp_flow.web._settings import AuthSettings
from otp_flow.web._signin import sign_in
from otp_flow.web.flows._pages import Pending, PendingCookie, render

__all__ = ["FlowPlumbing"]

#: Form fields never echoed back into a re-rendered page.
_NOT_ECHOED = ("password", "csrf_token", "code")


class FlowPlumbing:
    """What a flow's steps share below them; ``name`` and ``template`` are the flow's first page."""

    name: ClassVar[str]
    template: ClassVar[str]
    #: Only signed-in users may use the flow (update_userinfo, logout).
    needs_user: ClassVar[bool] = False

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.cookie = PendingCookie(settings)

    # ------------------------------------------------------------------ requests

    async def current_user(self, request: Request) -> User | None:
        found = await authenticate(self.settings, request.scope)
        return found[1] if found else None

    async def form(self, request: Request) -> dict[str, str]:
        """The posted form; raises ``CSRFError`` (the 403 page) without a valid token."""
        form = await read_form(request)
        self.settings.csrf.check(request, form.get("csrf_token"))
        return form

    def load(self, request: Request, user: User | None) -> Pending | None:
        """This flow's pending state (for ``user`` when the flow needs one), or None."""
        pending = self.cookie.load(request)
        if pending is None or pending.flow != self.name:
            return None
        if self.needs_user and (user is None or pending.user_id != user.id):
            return None
        return pending

    def texts(self, request: Request) -> Texts:
        return self.settings.pages.texts(request)

    def url(self, request: Request, name: str, **query: str) -> str:
        return self.settings.pages.url(request, name, **query)

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

    def start_context(self, request: Request, user: User | None) -> dict[str, Any]:
        """Extra context of the flow's first page."""
        return {}

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

    # ---------------------------------------------------------- answers ending a step

    def to_login(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":  # after sign-in, come back to the form, not to a POST URL
            target = self.url(request, self.name)
        login = self.url(request, "login", next=target, notice="sign_in_first")
        return RedirectResponse(login, status_code=303)

    def to_code_page(
        self, request: Request, pending: Pending, notice: str | None = None
    ) -> Response:
        query = {"notice": notice} if notice else {}
        response = RedirectResponse(
            self.url(request, f"{self.name}_code", **query), status_code=303
        )
        self.cookie.save(request, response, pending)
        return response

    def to_last_step(self, request: Request, pending: Pending, route: str) -> Response:
        """The code was right: on to the flow's last step (``route``), the proof in the cookie."""
        response = RedirectResponse(self.url(request, route), status_code=303)
        self.cookie.save(request, response, pending)
        return response

    def no_account(self, request: Request, user: User | None) -> Response:
        """The proven address has no account: only reachable by guessing a code nobody was
        sent (login and reset send none to unknown addresses), so telling is harmless."""
        message = self.texts(request).gettext("No account uses this address. Sign up first.")
        response = self.page(request, user, problem=Problem(message))
        self.cookie.clear(request, response)
        return response

    async def signed_in(
        self, request: Request, account: User, next_url: str, event: UserEvent
    ) -> Response:
        """Sign ``account`` in (a new session), end the flow, go on to ``next`` or home."""
        response = RedirectResponse(next_url or self.settings.pages.home(request), status_code=303)
        await sign_in(self.settings, request, response, account)  # also ends the flow's cookie
        await self.settings.hooks.fire(event)
        return response
