"""Signup: an identifier, then a code, then ``display_name`` and an optional ``password`` (none
in passwordless mode). The application's ``before_signup`` hooks run before the code is sent.

Anyone may ask for a signup code, registered or not, so the first step tells a stranger nothing.
Only the page the code leads to (which needs the code, so the address's owner) says that the
address is already registered.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from otp_flow.types import Recipient, Usage
from otp_flow.users import IdentifierTaken, User, UserEvent, find_user
from otp_flow.web._forms import clean_display_name
from otp_flow.web._i18n import N_
from otp_flow.web._outcomes import Problem, taken_problem
from otp_flow.web.flows._base import Flow
from otp_flow.web.flows._pages import Pending

__all__ = ["SignupFlow"]


class SignupFlow(Flow):
    name: ClassVar[str] = "signup"
    usage: ClassVar[Usage] = "signup"
    code_heading: ClassVar[str] = N_("Confirm your address")
    code_button: ClassVar[str] = N_("Continue")
    template: ClassVar[str] = "signup.html"
    skip_when_signed_in: ClassVar[bool] = True

    def routes(self) -> list[Route]:
        details = Route(
            "/signup/details", self.details, methods=["GET", "POST"], name="signup_details"
        )
        return [*super().routes(), details]

    async def verified(self, request: Request, pending: Pending, user: User | None) -> Response:
        recipient = pending.recipient()
        assert recipient is not None
        if await find_user(self.settings.users, recipient) is not None:
            return self.taken(request, user, recipient)
        return self.to_last_step(request, pending, "signup_details")

    def taken(self, request: Request, user: User | None, recipient: Recipient) -> Response:
        problem = taken_problem(recipient.user_field, self.texts(request), to_sign_in=True)
        response = self.page(request, user, problem=problem)
        self.cookie.clear(request, response)
        return response

    async def details(self, request: Request) -> Response:
        step = await self.last_step(request)
        if isinstance(step, Response):
            return step
        user, form, pending, recipient = step.user, step.form, step.pending, step.recipient
        context: dict[str, Any] = {"recipient": recipient, "next": pending.next, "values": {}}
        if request.method == "GET":
            return self.render(request, "signup_details.html", context)
        name, problem = self.check_details(request, form)
        context["values"] = {"display_name": form.get("display_name", "")}
        if problem is not None:
            return self.render(request, "signup_details.html", context, problem=problem)
        if not await self.cookie.spend(pending):  # this cookie already created an account once
            return self.restart(request, user, form)
        identifier = {recipient.user_field: recipient.value}
        try:
            if self.settings.password_signin:
                account = await self.password_users().create(
                    display_name=name, password=form.get("password") or None, **identifier
                )
            else:  # a passwordless store's create takes no password
                account = await self.settings.users.create(display_name=name, **identifier)
        except IdentifierTaken:  # registered meanwhile by someone with the same code
            return self.taken(request, user, recipient)
        return await self.signed_in(request, account, pending.next, UserEvent("signup", account))

    def check_details(self, request: Request, form: dict[str, str]) -> tuple[str, Problem | None]:
        name, name_problem = clean_display_name(form.get("display_name", ""))
        if name_problem is not None:
            return name, self.name_problem(request, name_problem)
        password = form.get("password", "") if self.settings.password_signin else ""
        if password:
            return name, self.password_problem(request, password)
        return name, None
