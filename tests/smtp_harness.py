"""A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.redis_harness import free_port

__all__ = ["ReceivedMail", "SMTPServer"]


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    #: The login the client authenticated as, or None.
    login: str | None

    def part(self, content_type: str) -> str:
        """The decoded body part of that type (``text/plain`` or ``text/html``)."""
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return str(part.get_content())
        raise LookupError(f"no {content_type} part")


class _Handler:
    def __init__(self) -> None:
        self.mails: list[ReceivedMail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.mails.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.auth_data)
            )
        return "250 Message accepted for delivery"


class SMTPServer:
    """``start()``/``stop()`` or ``with``. With ``username`` and ``password`` it offers AUTH
    (over plain text: this is a loopback test server), accepts only those and records the login
    on each mail (``ReceivedMail.login``)."""

    def __init__(self, *, username: str | None = None, password: str | None = None) -> None:
        self.port = free_port()
        self.running = False
        self._handler = _Handler()
        kwargs: dict[str, Any] = {}
        if username is not None:

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
                    username.encode(),
                    (password or "").encode(),
                )
                return AuthResult(success=ok, handled=False, auth_data=username if ok else None)

            kwargs = {
                "authenticator": authenticate,
                "auth_require_tls": False,
            }
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def mails(self) -> list[ReceivedMail]:
        with self._handler.lock:
            return list(self._handler.mails)

    def start(self) -> None:
        self._controller.start()
        self.running = True

    def stop(self) -> None:
        """Stop listening (idempotent): from now on connections are refused."""
        if self.running:
            self._controller.stop()
            self.running = False

    def __enter__(self) -> SMTPServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
