"""Login: an identifier, then a code (or, when the password field is filled, a password; in
passwordless mode there is no password field and a posted password is ignored).

Known and unknown identifiers get the same page, status, cookie and (within noise) timing; only
an existing account is sent a code. A password attempt for an unknown identifier, or for a user
without a password, still pays for one hash check, and counts against the identifier's password
attempts like any other (see ``otp_flow.web._throttle``).
"""

from __future__ import annotations

from typing import ClassVar

from starlette.requests import Request
from starlette.responses import Response

from otp_flow.errors import IdentifierError
from otp_flow.identifiers import limit_key
from otp_flow.types import USER_FIELDS, Recipient, Usage
from otp_flow.users import User, UserEvent, find_user
from otp_flow.web._forms import safe_next
from otp_flow.web._i18n import N_
from otp_flow.web._outcomes import Problem, attempts_problem, send_problem
from otp_flow.web.flows._base import Flow
from otp_flow.web.flows._pages import Pending

__all__ = ["LoginFlow", "throttle_keys"]


class LoginFlow(Flow):
    name: ClassVar[str] = "login"
    usage: ClassVar[Usage] = "login"
    code_heading: ClassVar[str] = N_("Enter your sign-in code")
    code_button: ClassVar[str] = N_("Sign in")
    template: ClassVar[str] = "login.html"
    skip_when_signed_in: ClassVar[bool] = True
    accounts_only: ClassVar[bool] = True

    async def submit(self, request: Request, form: dict[str, str], user: User | None) -> Response:
        if not self.settings.password_signin or not form.get("password"):
            return await self.send_first(request, form, user)
        texts = self.texts(request)
        try:
            recipient = self.settings.identifiers.parse(form.get("identifier", ""))
        except IdentifierError as exc:
            return self.page(request, user, form=form, problem=send_problem(exc, texts))
        throttle = self.settings.password_throttle
        requester = self.settings.requester(request.scope)
        wait = await throttle.attempt(limit_key(recipient), requester)
        if wait:  # 429: this identifier used up its password attempts (account or not)
            return self.page(request, user, form=form, problem=attempts_problem(wait, texts))
        account = await find_user(self.settings.users, recipient)
        # check_password("") on an unknown user still hashes once: no timing oracle.
        ok = await self.password_users().check_password(
            account.id if account else "", form["password"]
        )
        if not ok or account is None:
            message = texts.gettext("The account or password is not correct.")
            return self.page(request, user, form=form, problem=Problem(message))
        await throttle.clear(requester, *throttle_keys(account))
        event = UserEvent("login", account, method="password")
        return await self.signed_in(request, account, safe_next(form.get("next"), ""), event)

    async def verified(self, request: Request, pending: Pending, user: User | None) -> Response:
        recipient = pending.recipient()
        account = await find_user(self.settings.users, recipient) if recipient else None
        if account is None:
            return self.no_account(request, user)
        return await self.signed_in(request, account, pending.next, UserEvent("login", account))


def throttle_keys(account: User) -> list[str]:
    """The keys an account's password attempts are counted under (its folded identifiers)."""
    held = ((channel, getattr(account, field)) for channel, field in USER_FIELDS.items())
    return [limit_key(Recipient(channel, value)) for channel, value in held if value]
