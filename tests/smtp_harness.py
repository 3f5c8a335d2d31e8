"""A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives.

It speaks plain SMTP, STARTTLS or implicit TLS; for TLS it presents a certificate for
127.0.0.1 and localhost issued by a throwaway CA (trustme) that nothing trusts unless a test
hands that CA to the client (``write_ca_file``).
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.redis_harness import free_port

__all__ = ["ReceivedMail", "SMTPServer", "TLSMode"]

#: ``"starttls"``: plain connection that must be upgraded before MAIL (RFC 3207, port 587);
#: ``"implicit"``: TLS from the first byte (RFC 8314, port 465).
TLSMode = Literal["starttls", "implicit"]


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    #: The login the client authenticated as, or None.
    login: str | None
    #: The TLS version the mail travelled under (``"TLSv1.3"``), or None when it came in clear.
    tls_version: str | None = None

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
        # Asked of the transport the DATA arrived on, so it covers both STARTTLS and implicit
        # TLS (aiosmtpd only fills ``session.ssl`` after STARTTLS).
        tls = server.transport.get_extra_info("ssl_object")
        mail = ReceivedMail(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            parsed,
            session.auth_data,
            tls.version() if tls is not None else None,
        )
        with self.lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"


def _server_context(ca: trustme.CA, names: tuple[str, ...]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


class SMTPServer:
    """``start()``/``stop()`` or ``with``.

    With ``username`` and ``password`` it offers AUTH, accepts only those and records the login
    on each mail (``ReceivedMail.login``). A plain server offers AUTH in clear (it is a loopback
    test server); a STARTTLS server only after the upgrade, like a real submission server.

    With ``tls`` it serves TLS under a certificate for ``certificate_names`` from ``ca`` (a fresh
    CA when not given).
    """

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: TLSMode | None = None,
        ca: trustme.CA | None = None,
        certificate_names: tuple[str, ...] = ("127.0.0.1", "localhost"),
    ) -> None:
        self.port = free_port()
        self.running = False
        self.ca = (ca or trustme.CA()) if tls else None
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

            # aiosmtpd's "TLS" for AUTH means STARTTLS only: with implicit TLS it would
            # never offer AUTH, although the whole session is encrypted.
            kwargs = {"authenticator": authenticate, "auth_require_tls": tls == "starttls"}
        if self.ca is not None:
            context = _server_context(self.ca, certificate_names)
            if tls == "starttls":
                kwargs |= {"tls_context": context, "require_starttls": True}
            else:
                kwargs["ssl_context"] = context
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def mails(self) -> list[ReceivedMail]:
        with self._handler.lock:
            return list(self._handler.mails)

    def write_ca_file(self, path: Path) -> str:
        """Write the PEM of the CA behind this server's certificate to ``path``; returns it."""
        if self.ca is None:
            raise ValueError("this server does not speak TLS")
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)

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
