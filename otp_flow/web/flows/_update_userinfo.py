"""Update userinfo (signed-in users): ``display_name`` now; a new phone or email after its code.

The code goes to the *new* address and the change applies only once it is verified; the old
address then gets a notice, so a hijacked session cannot quietly move the account away.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from otp_flow._delivery import notify_address_change
from otp_flow.errors import IdentifierError
from otp_flow.types import Recipient, Usage
from otp_flow.users import IdentifierTaken, User, UserEvent
from otp_flow.web._forms import clean_display_name, safe_next
from otp_flow.web._i18n import N_
from otp_flow.web._outcomes import Problem, send_problem, taken_problem
from otp_flow.web.flows._base import Flow
from otp_flow.web.flows._pages import Pending

__all__ = ["UpdateUserinfoFlow"]


class UpdateUserinfoFlow(Flow):
    name: ClassVar[str] = "update_userinfo"
    usage: ClassVar[Usage] = "update_userinfo"
    code_heading: ClassVar[str] = N_("Confirm your new address")
    code_button: ClassVar[str] = N_("Confirm")
    template: ClassVar[str] = "update_userinfo.html"
    needs_user: ClassVar[bool] = True

    def start_context(self, request: Request, user: User | None) -> dict[str, Any]:
        return {"account": user}

    def page(self, request: Request, user: User | None, **kwargs: Any) -> Response:
        if kwargs.get("form") is None and user is not None:
            # A fresh form starts from the current name; the new address starts empty.
            kwargs["form"] = {"display_name": user.display_name, "next": kwargs.get("next", "")}
        return super().page(request, user, **kwargs)

    async def submit(self, request: Request, form: dict[str, str], user: User | None) -> Response:
        assert user is not None
        name, name_problem = clean_display_name(form.get("display_name", ""))
        if name_problem is not None:
            return self.page(
                request, user, form=form, problem=self.name_problem(request, name_problem)
            )
        new = await self.new_address(request, form, user)
        if isinstance(new, Problem):
            return self.page(request, user, form=form, problem=new)
        next_url = safe_next(form.get("next"), "")
        response: Response | None = None
        if new is not None:  # everything checked: send the code before saving anything
            sent = await self.send(request, new, user, next_url, form)
            if isinstance(sent, Problem):
                return self.page(request, user, form=form, problem=sent)
            response = self.to_code_page(request, sent)
        if name != user.display_name:
            updated = await self.settings.users.update(user.id, display_name=name)
            await self.settings.hooks.fire(UserEvent("update_userinfo", updated, previous=user))
        return response or self.saved(request, next_url)

    async def new_address(
        self, request: Request, form: dict[str, str], user: User
    ) -> Recipient | Problem | None:
        """The new phone or email asked for, None when unchanged, or what is wrong with it."""
        raw = form.get("identifier", "")
        if not raw:
            return None
        try:
            new = self.settings.identifiers.parse(raw)
        except IdentifierError as exc:
            return send_problem(exc, self.texts(request))
        current = getattr(user, new.user_field)
        return None if new.value == current else new

    async def verified(self, request: Request, pending: Pending, user: User | None) -> Response:
        new = pending.recipient()
        assert user is not None and new is not None
        field = new.user_field
        old_value = getattr(user, field)
        try:
            updated = await self.settings.users.update(user.id, **{field: new.value})
        except IdentifierTaken:
            problem = taken_problem(field, self.texts(request), to_sign_in=False)
            response = self.page(request, user, problem=problem)
            self.cookie.clear(request, response)
            return response
        if old_value:
            old = Recipient(new.channel, old_value)
            locale = self.texts(request).locale
            await notify_address_change(
                self.settings.engine, old, new, client_id=self.settings.client_id, locale=locale
            )
        await self.settings.hooks.fire(UserEvent("update_userinfo", updated, previous=user))
        response = self.saved(request, pending.next)
        self.cookie.clear(request, response)
        return response

    def saved(self, request: Request, next_url: str) -> Response:
        target = next_url or self.url(request, self.name, notice="saved")
        return RedirectResponse(target, status_code=303)
