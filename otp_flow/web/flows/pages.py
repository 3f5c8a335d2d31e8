"""The page-side plumbing every flow uses: forms with CSRF, rendering, the pending cookie."""

from __future__ import annotations

import logging
import secrets
from dataclasses import astuple, dataclass
from typing import Any, ClassVar, Literal, cast

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from otp_flow.types import Recipient, Usage
from otp_flow.users import BeforeEvent, PasswordUserStore, Refused, User, UserEvent
from otp_flow.web.cookies import PENDING_COOKIE, delete_cookie, set_cookie
from otp_flow.web.flows.sending import SendTimer
from otp_flow.web.forms import DISPLAY_NAME_MAX, read_form, safe_next
from otp_flow.web.i18n import N_, Texts
from otp_flow.web.middleware import authenticate
from otp_flow.web.outcomes import NOTICES, Problem, name_problem, password_problem
from otp_flow.web.settings import AuthSettings
from otp_flow.web.signin import sign_in

__all__ = ["FlowPages", "Pending"]

log = logging.getLogger("otp_flow.web")

#: Form fields never echoed back into a re-rendered page.
_NOT_ECHOED = ("password", "csrf_token", "code")


@dataclass(frozen=True, slots=True)
class Pending:
    """The ``otp_token`` cookie's content (signed, so only ever what a flow put there)."""

    flow: str
    next: str
    sent_at: float
    #: The engine's otp_token while a code is awaited; None once it was verified.
    token: str | None = None
    #: (channel, value) of the address the code proved, for the flow's last step.
    verified: tuple[str, str] | None = None
    #: Whose change this is (update_userinfo): another signed-in user cannot finish it.
    user_id: str | None = None
    #: A random id of the verified step, spent once (``FlowPages.spend``): a copy of the cookie
    #: cannot set a password or create an account a second time.
    once: str | None = None

    @classmethod
    def from_cookie(cls, raw: object) -> Pending | None:
        if not isinstance(raw, list) or len(raw) != 7:
            return None
        flow, next_url, sent_at, token, verified, user_id, once = raw
        if verified is not None:
            verified = (verified[0], verified[1])
        return cls(flow, next_url, sent_at, token, verified, user_id, once)

    @staticmethod
    def new_once() -> str:
        return secrets.token_urlsafe(18)

    def recipient(self) -> Recipient | None:
        """The verified address, once the code was right."""
        if self.verified is not None and self.verified[0] in ("sms", "email"):
            return Recipient(self.verified[0], self.verified[1])  # type: ignore[arg-type]
        return None


class FlowPages:
    """Base of every flow: ``name`` (route name of its first page), ``template`` (that page)."""

    name: ClassVar[str]
    template: ClassVar[str]
    #: Only signed-in users may use the flow (update_userinfo, logout).
    needs_user: ClassVar[bool] = False

    def __init__(self, settings: AuthSettings, timer: SendTimer) -> None:
        self.settings = settings
        self.timer = timer

    def start_context(self, request: Request, user: User | None) -> dict[str, Any]:
        """Extra context of the flow's first page."""
        return {}

    # -------------------------------------------------------------------- requests

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

    async def refused(
        self, request: Request, recipient: Recipient, usage: Usage, user: User | None
    ) -> Problem | None:
        """What the application's before-hooks say about sending ``usage``'s code to
        ``recipient``: None to go on, or the problem to show (nothing is sent then)."""
        texts = self.texts(request)
        kinds: tuple[Literal["signup", "send"], ...] = (
            ("signup", "send") if usage == "signup" else ("send",)
        )
        try:
            for kind in kinds:
                event = BeforeEvent(kind, recipient, usage, user, texts.locale)
                await self.settings.hooks.check(event)
        except Refused as refusal:
            return Problem(texts.gettext(refusal.message))
        except Exception:
            # The application's own code broke: fail closed, send nothing.
            log.exception("a before-%s hook failed", usage)
            message = N_("We cannot complete this right now. Please try again in a moment.")
            return Problem(texts.gettext(message), status=503)
        return None

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

    # ---------------------------------------------------------------------- pages

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        problem: Problem | None = None,
        notice: str | None = None,
    ) -> Response:
        _ = self.texts(request).gettext
        page = {"notice": _(notice) if notice else None, **context}
        gate = self.settings.challenge_gate
        if gate is not None and gate.required(self.settings.requester(request.scope)):
            page["challenge"] = gate.widget  # the forms that send a code show it
        status = 200
        if problem is not None:
            status = problem.status
            if problem.field:
                page["errors"] = {problem.field: problem.message}
            else:
                page["form_error"] = problem.message
        response = self.settings.pages.render(request, template, page, status=status)
        if problem is not None and problem.retry_after is not None:
            response.headers["Retry-After"] = str(problem.retry_after)
        return response

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
        self.clear(request, response)
        return response

    # ------------------------------------------------------------- the otp_token cookie

    def _path(self, request: Request) -> str:
        return self.settings.pages.base(request) or "/"

    def load(self, request: Request, user: User | None) -> Pending | None:
        raw = self.settings.pending.loads(request.cookies.get(PENDING_COOKIE))
        pending = Pending.from_cookie(raw)
        if pending is None or pending.flow != self.name:
            return None
        if self.needs_user and (user is None or pending.user_id != user.id):
            return None
        return pending

    def save(self, request: Request, response: Response, pending: Pending) -> None:
        value = self.settings.pending.dumps(astuple(pending))
        max_age = self.settings.pending.max_age
        set_cookie(
            response, request, PENDING_COOKIE, value, max_age=max_age, path=self._path(request)
        )

    async def spend(self, pending: Pending) -> bool:
        """Use up the verified step of ``pending``; False when it was already used (a replayed
        cookie) or never had an id. Remembered as long as the cookie could still be valid."""
        if not pending.once:
            return False
        now_ms = int(self.settings.clock() * 1000)
        return await self.settings.engine.remember_nonce(
            f"{self.settings.client_id}:verified",
            pending.once,
            now_ms=now_ms,
            ttl_ms=(self.settings.pending.max_age + 1) * 1000,
        )

    def clear(self, request: Request, response: Response) -> None:
        delete_cookie(response, request, PENDING_COOKIE, path=self._path(request))
