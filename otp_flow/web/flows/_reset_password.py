"""Password reset: an identifier, then a code, then a new ``password``; then signed in.

Like login, known and unknown identifiers get the same answers and only accounts get a code.
Setting the password ends every session of the user (a thief signed in elsewhere is out) before
this browser gets a fresh one.

In passwordless mode there is no password to reset, and signing in by code is what the login page
does: the flow is gone, and its first URL (old links, ``url('reset_password')`` in templates)
leads to the login page, keeping ``next``. Flask-Security likewise registers its recovery views
only with ``SECURITY_RECOVERABLE`` on, and allauth's sign-in by code is its login view, not a
reset: one way in by code, under the name people look for.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from otp_flow.types import Usage
from otp_flow.users import User, UserEvent, find_user
from otp_flow.web._forms import safe_next
from otp_flow.web._i18n import N_
from otp_flow.web.flows._base import Flow
from otp_flow.web.flows._login import throttle_keys
from otp_flow.web.flows._pages import Pending

__all__ = ["ResetPasswordFlow"]


class ResetPasswordFlow(Flow):
    name: ClassVar[str] = "reset_password"
    usage: ClassVar[Usage] = "reset_password"
    code_heading: ClassVar[str] = N_("Enter your reset code")
    code_button: ClassVar[str] = N_("Continue")
    template: ClassVar[str] = "reset_password.html"
    accounts_only: ClassVar[bool] = True

    def routes(self) -> list[Route]:
        if not self.settings.password_signin:
            methods = ["GET", "POST"]
            return [Route("/reset_password", self.login_instead, methods=methods, name=self.name)]
        new = Route(
            "/reset_password/new",
            self.new_password,
            methods=["GET", "POST"],
            name="reset_password_new",
        )
        return [*super().routes(), new]

    async def login_instead(self, request: Request) -> Response:
        next_url = safe_next(request.query_params.get("next"), "")
        return RedirectResponse(self.url(request, "login", next=next_url), status_code=303)

    async def verified(self, request: Request, pending: Pending, user: User | None) -> Response:
        return self.to_last_step(request, pending, "reset_password_new")

    async def new_password(self, request: Request) -> Response:
        step = await self.last_step(request)
        if isinstance(step, Response):
            return step
        user, form, pending, recipient = step.user, step.form, step.pending, step.recipient
        context: dict[str, Any] = {"recipient": recipient, "next": pending.next}
        if request.method == "GET":
            return self.render(request, "reset_password_new.html", context)
        password = form.get("password", "")
        problem = self.password_problem(request, password)
        if problem is not None:
            return self.render(request, "reset_password_new.html", context, problem=problem)
        account = await find_user(self.settings.users, recipient)
        if account is None:
            return self.no_account(request, user)
        if not await self.cookie.spend(pending):  # this cookie already set a password once
            return self.restart(request, user, form)
        await self.password_users().set_password(account.id, password)
        await self.settings.sessions.delete_user(account.id)
        # The owner may use the new password at once from here (others' guesses never counted
        # against the owner's requester anyway).
        requester = self.settings.requester(request.scope)
        await self.settings.password_throttle.clear(requester, *throttle_keys(account))
        account = await self.settings.users.get(account.id) or account
        event = UserEvent("reset_password", account)
        return await self.signed_in(request, account, pending.next, event)
