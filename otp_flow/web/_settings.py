"""What the pages and the middleware share, assembled once by ``create_auth_app``.

The defaults live in ``create_auth_app``'s signature (one place); this is the validated result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otp_flow.engine import OTPEngine
from otp_flow.identifiers import IdentifierParser
from otp_flow.passwords import Passwords
from otp_flow.types import Clock
from otp_flow.users import UserHooks, UserStore
from otp_flow.web._challenge_gate import ChallengeGate
from otp_flow.web._cookies import Signed
from otp_flow.web._csrf import CSRF
from otp_flow.web._requester import RequesterKey
from otp_flow.web._sessions import SessionStore
from otp_flow.web._templating import Pages
from otp_flow.web._throttle import PasswordThrottle

__all__ = ["AuthSettings", "check_cookie_name", "check_local_path"]

_COOKIE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def check_local_path(name: str, value: str, *, allow_empty: bool = False) -> str:
    """A path on this site ("/auth"), validated for configuration (``ValueError``)."""
    if allow_empty and value == "":
        return value
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        raise ValueError(f"{name} must be a path starting with a single '/', got {value!r}")
    if any(c in value for c in "\\?#") or any(ord(c) < 0x21 for c in value):
        raise ValueError(f"{name} must be a plain path without '?', '#', '\\' or spaces")
    return value


def check_cookie_name(name: str, value: str) -> str:
    if not isinstance(value, str) or not _COOKIE_NAME.match(value):
        raise ValueError(f"{name} must be 1-64 of A-Z a-z 0-9 _ -, got {value!r}")
    return value


@dataclass(slots=True)
class AuthSettings:
    engine: OTPEngine
    users: UserStore
    sessions: SessionStore
    hooks: UserHooks
    passwords: Passwords
    pages: Pages
    csrf: CSRF
    #: The pending challenge cookie (``otp_token``) and the session cookie.
    pending: Signed
    session_signer: Signed
    client_id: str
    mount_path: str
    home_url: str
    session_cookie: str
    session_ttl_seconds: int
    clock: Clock
    password_throttle: PasswordThrottle
    #: How the pages read what people type (the engine's parser, or one with the regions
    #: given to ``create_auth_app``).
    identifiers: IdentifierParser
    #: False: passwordless pages (no password fields, no password sign-in, no reset flow).
    password_signin: bool
    #: Who is asking (the per-requester limits' key): see ``otp_flow.web._requester``.
    requester: RequesterKey
    #: Who must pass a challenge before a code is sent (None: no challenge configured).
    challenge_gate: ChallengeGate | None = None
