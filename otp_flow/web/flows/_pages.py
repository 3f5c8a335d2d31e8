"""The bottom of the flows, which never calls back into a flow: the pending ``otp_token`` cookie
(``Pending``, ``PendingCookie``), ``render`` and the code page.

Between "send" and "verify" the pending challenge rides in the signed ``otp_token`` cookie
(HttpOnly, SameSite=Lax, path = the mount, lifetime = the engine's otp_token). After the code, the
same cookie carries the verified address to the flow's last step (signup details, new password).
"""

from __future__ import annotations

import secrets
from dataclasses import astuple, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from otp_flow.types import CHANNELS, Recipient
from otp_flow.web._cookies import PENDING_COOKIE, delete_cookie, set_cookie
from otp_flow.web._outcomes import Problem
from otp_flow.web._settings import AuthSettings

__all__ = ["Pending", "PendingCookie", "code_page", "render"]


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
    #: A random id of the verified step, spent once (``PendingCookie.spend``): a copy of the cookie
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
        if self.verified is not None and self.verified[0] in CHANNELS:
            return Recipient(self.verified[0], self.verified[1])
        return None


class PendingCookie:
    """Reads, writes, spends and clears the ``otp_token`` cookie of ``settings``' pages."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    def _path(self, request: Request) -> str:
        return self.settings.pages.base(request) or "/"

    def load(self, request: Request) -> Pending | None:
        """The cookie's content; None when it is missing, forged or expired."""
        return Pending.from_cookie(self.settings.pending.loads(request.cookies.get(PENDING_COOKIE)))

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


def render(
    settings: AuthSettings,
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    problem: Problem | None = None,
    notice: str | None = None,
) -> Response:
    """``template`` with ``context``, and the challenge widget, problem or notice it needs."""
    _ = settings.pages.texts(request).gettext
    page = {"notice": _(notice) if notice else None, **context}
    gate = settings.challenge_gate
    if gate is not None and gate.required(settings.requester(request.scope)):
        page["challenge"] = gate.widget  # the forms that send a code show it
    status = 200
    if problem is not None:
        status = problem.status
        if problem.field:
            page["errors"] = {problem.field: problem.message}
        else:
            page["form_error"] = problem.message
    response = settings.pages.render(request, template, page, status=status)
    if problem is not None and problem.retry_after is not None:
        response.headers["Retry-After"] = str(problem.retry_after)
    return response


def code_page(
    settings: AuthSettings,
    request: Request,
    pending: Pending,
    recipient: Recipient,
    *,
    heading: str,
    button: str,
    accounts_only: bool,
    problem: Problem | None = None,
    notice: str | None = None,
) -> Response:
    """The page asking for the code ``pending`` awaits (every code flow's second page), in the
    flow's words: ``heading`` and ``button`` are its untranslated (``N_()``) sentences;
    ``accounts_only``: the code went out only if the address has an account, so the page does not
    say it was sent."""
    engine = settings.engine
    interval = engine.limits.resend_interval_seconds
    _ = settings.pages.texts(request).gettext
    context: dict[str, Any] = {
        "flow": pending.flow,
        "heading": _(heading),
        "button": _(button),
        "accounts_only": accounts_only,
        "recipient": recipient,
        "resend_in": max(pending.sent_at + interval - settings.clock(), 0),
        "code_numeric": engine.policy.alphabet.isdigit(),
        "code_length": engine.policy.code_length,
        "next": pending.next,
    }
    return render(settings, request, "code.html", context, problem=problem, notice=notice)
