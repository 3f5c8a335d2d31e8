"""Email delivery over SMTP (aiosmtplib): one multipart text + HTML message per code."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import aiosmtplib

from otp_flow import defaults
from otp_flow._checks import check_int_between, check_text, check_timeout
from otp_flow.errors import DeliveryFailed
from otp_flow.senders._base import Message

__all__ = ["SMTPSender"]

_FALLBACK_SUBJECT = "Your verification code"


class SMTPSender:
    """Sends email through an SMTP server.

    ``starttls``: upgrade a plain connection with STARTTLS and fail if the server cannot (usually
    port 587). ``use_tls``: implicit TLS from the first byte (usually port 465). With neither, the
    connection stays plain — for a relay on localhost or a test server; no opportunistic upgrade
    is attempted, so a server with a self-signed certificate cannot break delivery by surprise.

    The server's certificate is always verified, host name included. ``ca_file``: a PEM bundle
    of the CAs to trust *instead of* the system trust store — for a relay with a private CA.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = defaults.SMTP_PORT,
        from_address: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        timeout: float = defaults.SENDER_TIMEOUT_SECONDS,
        ca_file: str | None = None,
    ) -> None:
        check_text("host", host)
        check_int_between("port", port, (1, 65535))
        _name, address = parseaddr(from_address or "")
        if "@" not in address:
            raise ValueError(f"from_address {from_address!r} is not an email address")
        if (username is None) != (password is None):
            raise ValueError("username and password must be given together")
        if starttls and use_tls:
            raise ValueError("choose starttls (upgrade) or use_tls (implicit TLS), not both")
        timeout = check_timeout(timeout)
        if ca_file is not None and (not isinstance(ca_file, str) or not ca_file.strip()):
            raise ValueError("ca_file must be the path of a PEM file of CA certificates")
        if ca_file is not None and not (starttls or use_tls):
            # Silently sending in clear while the operator believes in a pinned CA is worse.
            raise ValueError("ca_file needs starttls or use_tls: a plain connection checks no CA")
        tls_context = _verifying_context(ca_file) if starttls or use_tls else None
        self.host = host
        self.port = port
        self.from_address = from_address
        self.username = username
        self.password = password
        self.starttls = starttls
        self.use_tls = use_tls
        self.timeout = float(timeout)
        self.ca_file = ca_file
        # Built once: aiosmtplib would otherwise reload the trust store on a thread per send.
        self._tls_context = tls_context
        self._msgid_domain = address.rpartition("@")[2]

    def build(self, message: Message) -> EmailMessage:
        """The email for ``message``: plain text, plus an HTML alternative when rendered."""
        email = EmailMessage()
        email["From"] = self.from_address
        email["To"] = message.recipient
        email["Subject"] = message.subject or _FALLBACK_SUBJECT
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self._msgid_domain)
        # Codes are useless after a minute; tell well-behaved autoresponders to stay quiet.
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    async def send(self, message: Message) -> None:
        if message.channel != "email":
            raise DeliveryFailed(f"the SMTP sender cannot deliver {message.channel} messages")
        try:
            await aiosmtplib.send(
                self.build(message),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.starttls,
                timeout=self.timeout,
                tls_context=self._tls_context,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"the SMTP server answered {exc.code}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            # SMTPConnectError, SMTPTimeoutError and socket errors are all OSError subclasses.
            raise DeliveryFailed(f"SMTP delivery failed: {type(exc).__name__}") from exc


def _verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """A client context that checks the chain and the host name, trusting ``ca_file`` (or the
    system store when None). A missing or unreadable bundle fails here, at start-up."""
    try:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise ValueError(f"ca_file {ca_file!r} cannot be loaded as PEM CA certificates") from exc
