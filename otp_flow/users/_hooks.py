"""Async hooks an application registers: before a code is sent or an account is signed up (they
may refuse, with a message the page shows), and after signup, login, a userinfo update or a
password reset (they cannot undo anything)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from otp_flow._usages import HOOK_KINDS
from otp_flow.errors import Refused
from otp_flow.types import Recipient, Usage
from otp_flow.users._base import User

__all__ = ["BeforeEvent", "Guard", "Hook", "Refused", "UserEvent", "UserEventKind", "UserHooks"]

log = logging.getLogger("otp_flow")

#: What after-hooks are registered for: a usage (``otp_flow._usages``) whose spec says
#: ``hook_kind``; ``register`` refuses the others.
UserEventKind = Usage


@dataclass(frozen=True, slots=True)
class UserEvent:
    """What happened: ``previous`` is the user before an update; ``method`` how they proved it."""

    kind: UserEventKind
    user: User
    previous: User | None = None
    method: Literal["code", "password"] = "code"


Hook = Callable[[UserEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BeforeEvent:
    """What is about to happen. ``kind``: "signup" (before a signup code is sent, or before
    CIAM's ``auto_signup`` makes an account) or "send" (before any code is sent).
    ``recipient``: the normalised address (not proven yet). ``usage``: the flow. ``user``: who
    is signed in on the pages' update_userinfo, else None (always None on the CIAM API, which
    has no session). ``locale``: the page's language, or on the CIAM API the packaged language
    ``Accept-Language`` prefers, for a message of the application's own."""

    kind: Literal["signup", "send"]
    recipient: Recipient
    usage: Usage
    user: User | None
    locale: str


Guard = Callable[[BeforeEvent], Awaitable[None]]


def _guard_kinds(usage: Usage) -> tuple[Literal["signup", "send"], ...]:
    """The guards a send of ``usage`` runs, in order: a signup code's signup guards first."""
    return ("signup", "send") if usage == "signup" else ("send",)


class UserHooks:
    """Async callbacks run before a send or a signup (guards) and after an action.

    A guard says no by raising ``Refused("message")``: the form is shown again with the message
    (422), or CIAM's ``POST /otp/send`` answers 400 ``access_denied`` with it, and nothing is
    sent or created. Any other exception from a guard fails closed (the
    page answers 503, nothing is sent). Guards see only the address, never whether it has an
    account, so a refusal gives no account away (unless the guard itself looks one up).

    A failing after-hook is logged and does not undo the action or break the page: the person
    is already signed up (or in), and showing them an error would only make them try again.
    """

    def __init__(self) -> None:
        self._hooks: dict[UserEventKind, list[Hook]] = {}
        self._guards: dict[str, list[Guard]] = {}

    def before_signup(self, guard: Guard) -> Guard:
        """Runs before each signup code is sent (first step and resend): refuse an address
        before it gets a code, e.g. one outside the company's domain."""
        self._guards.setdefault("signup", []).append(guard)
        return guard

    def before_send(self, guard: Guard) -> Guard:
        """Runs before every code sent (login, signup, update_userinfo, reset), by the pages and
        by CIAM's ``POST /otp/send`` when ``create_api_app`` shares these hooks."""
        self._guards.setdefault("send", []).append(guard)
        return guard

    async def check(self, event: BeforeEvent) -> None:
        """Run the guards of ``event.kind`` in order; the first ``Refused`` propagates."""
        for guard in self._guards.get(event.kind, ()):
            await guard(event)

    async def check_send(
        self, recipient: Recipient, usage: Usage, user: User | None, locale: str
    ) -> None:
        """Run every guard that applies to sending ``usage``'s code to ``recipient``: for a
        signup code the signup guards first, then the send guards. The first ``Refused``
        propagates; the pages and the CIAM dialect both come through here."""
        for kind in _guard_kinds(usage):
            await self.check(BeforeEvent(kind, recipient, usage, user, locale))

    def guards_send(self, usage: Usage) -> bool:
        """Whether any guard applies to sending ``usage``'s code (if not, a caller can skip
        building the event: the CIAM API then negotiates no locale)."""
        return any(self._guards.get(kind) for kind in _guard_kinds(usage))

    def register(self, kind: UserEventKind, hook: Hook) -> Hook:
        if kind not in HOOK_KINDS:
            raise ValueError(f"unknown user event {kind!r}")
        self._hooks.setdefault(kind, []).append(hook)
        return hook

    def after_signup(self, hook: Hook) -> Hook:
        return self.register("signup", hook)

    def after_login(self, hook: Hook) -> Hook:
        return self.register("login", hook)

    def after_update_userinfo(self, hook: Hook) -> Hook:
        return self.register("update_userinfo", hook)

    def after_reset_password(self, hook: Hook) -> Hook:
        return self.register("reset_password", hook)

    async def fire(self, event: UserEvent) -> None:
        for hook in self._hooks.get(event.kind, ()):
            try:
                await hook(event)
            except Exception:
                log.exception("the %s hook %r failed", event.kind, hook)
