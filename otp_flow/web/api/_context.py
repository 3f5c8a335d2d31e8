"""What every dialect class is built from (``ApiContext``) and what it must offer (``Dialect``).

``create_api_app`` makes one context and builds each class of ``_dialects.DIALECTS`` from it;
``_document`` reads the same classes' ``openapi()`` and summary. So a dialect is one module plus
one entry in that tuple: no constructor call to write, no second list to keep in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from starlette.routing import BaseRoute

from otp_flow.config import AuthSource
from otp_flow.engine import OTPEngine
from otp_flow.passwords import Passwords
from otp_flow.tokens import TokenService
from otp_flow.users import UserHooks, UserStore
from otp_flow.web._clientauth import ClientDirectory, SignedRequestAuthenticator
from otp_flow.web._sessions import SessionStore
from otp_flow.web.api._schema import Fragment

__all__ = ["ApiContext", "Dialect"]


@dataclass(frozen=True, slots=True)
class ApiContext:
    """Everything ``create_api_app`` was given, checked and with its defaults filled in; each
    dialect takes what it needs. Options of one dialect are named like the keyword of
    ``create_api_app`` they come from (and are checked by that dialect)."""

    engine: OTPEngine
    #: The engine's clients: who may call, authenticated by each dialect its own way.
    clients: ClientDirectory
    #: Yunpian's app-key or HMAC signature + timestamp + nonce, over the same clients.
    signed: SignedRequestAuthenticator
    users: UserStore
    tokens: TokenService
    hooks: UserHooks
    passwords: Passwords
    auth_sources: Mapping[str, AuthSource]
    #: The pages' sessions, ended by a password reset (None: no pages share these users).
    sessions: SessionStore | None
    max_body_bytes: int
    onlyid_language: str
    onlyid_expire_minutes: int
    onlyid_max_fail_count: int


class Dialect(Protocol):
    """A dialect class (or one part of a dialect with many endpoints, as CIAM's three)."""

    #: The dialect's name: its operations' tag and its name in the description ("CIAM"); the
    #: parts of one dialect share it.
    dialect: ClassVar[str]
    #: The paths it serves, as the description lists them ("/api/sms/*").
    paths: ClassVar[str]
    #: A sentence the description adds after the list ("" for none).
    note: ClassVar[str]

    def __init__(self, context: ApiContext) -> None: ...

    def routes(self) -> list[BaseRoute]: ...

    @staticmethod
    def openapi() -> Fragment:
        """Its paths and the component schemas they refer to."""
        ...
