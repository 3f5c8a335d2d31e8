"""Async hooks an application registers to run after signup, login, a userinfo update or a
password reset."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from otp_flow.users.base import User

__all__ = ["Hook", "UserEvent", "UserEventKind", "UserHooks"]

log = logging.getLogger("otp_flow")

UserEventKind = Literal["signup", "login", "update_userinfo", "reset_password"]


@dataclass(frozen=True, slots=True)
class UserEvent:
    """What happened: ``previous`` is the user before an update; ``method`` how they proved it."""

    kind: UserEventKind
    user: User
    previous: User | None = None
    method: Literal["code", "password"] = "code"


Hook = Callable[[UserEvent], Awaitable[None]]


class UserHooks:
    """Async callbacks run after an action has been committed.

    A failing hook is logged and does not undo the action or break the page: the person is
    already signed up (or in), and showing them an error would only make them try again.
    """

    def __init__(self) -> None:
        self._hooks: dict[UserEventKind, list[Hook]] = {}

    def register(self, kind: UserEventKind, hook: Hook) -> Hook:
        if kind not in ("signup", "login", "update_userinfo", "reset_password"):
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
