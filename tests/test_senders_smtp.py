"""SMTPSender against a real aiosmtpd server on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from otp_flow.errors import DeliveryFailed
from otp_flow.messages import TemplateRenderer
from otp_flow.senders._base import Message
from otp_flow.senders._smtp import SMTPSender
from tests.redis_harness import free_port
from tests.smtp_harness import SMTPServer, TLSMode


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def email_message(locale: str = "en", usage: str = "signup") -> Message:
    return TemplateRenderer().render(
        channel="email",
        recipient="alice@example.com",
        usage=usage,  # type: ignore[arg-type]
        code="482913",
        ttl_seconds=300,
        locale=locale,
        client_id="default",
    )


def sender_for(server: SMTPServer, **options: object) -> SMTPSender:
    return SMTPSender(
        host="127.0.0.1",
        port=server.port,
        from_address="Example <no-reply@example.com>",
        timeout=5,
        **options,  # type: ignore[arg-type]
    )


async def test_delivers_a_multipart_text_and_html_email(smtp_server: SMTPServer) -> None:
    await sender_for(smtp_server).send(email_message())

    [mail] = smtp_server.mails
    assert mail.login is None
    assert mail.rcpt_tos == ["alice@example.com"]
    assert mail.mail_from == "no-reply@example.com"
    msg = mail.message
    assert msg["To"] == "alice@example.com"
    assert msg["From"] == "Example <no-reply@example.com>"
    assert msg["Subject"] == "Your code to create your account"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Message-ID"].endswith("@example.com>")
    text, html = mail.part("text/plain"), mail.part("text/html")
    for body in (text, html):
        assert "482913" in body
        assert "5 minutes" in body
        assert "create your account" in body
    assert "<html" in html


async def test_chinese_subject_and_body_survive_the_trip(smtp_server: SMTPServer) -> None:
    await sender_for(smtp_server).send(email_message("zh-CN", "reset_password"))

    [mail] = smtp_server.mails
    assert mail.message["Subject"] == "重置密码验证码"
    assert "5分钟内有效" in mail.part("text/plain")
    assert "482913" in mail.part("text/html")


async def test_logs_in_when_credentials_are_configured() -> None:
    with SMTPServer(username="mailer", password="s3cret") as server:
        await sender_for(server, username="mailer", password="s3cret").send(email_message())
        assert [mail.login for mail in server.mails] == ["mailer"]
        with pytest.raises(DeliveryFailed, match="535"):
            await sender_for(server, username="mailer", password="wrong").send(email_message())
        assert len(server.mails) == 1


async def test_a_server_that_is_down_is_a_delivery_failure(smtp_server: SMTPServer) -> None:
    smtp_server.stop()
    with pytest.raises(DeliveryFailed):
        await sender_for(smtp_server).send(email_message())


async def test_required_starttls_fails_closed_when_the_server_cannot(
    smtp_server: SMTPServer,
) -> None:
    # The test server offers no STARTTLS: the code must not go out in plain text.
    with pytest.raises(DeliveryFailed):
        await sender_for(smtp_server, starttls=True).send(email_message())
    assert smtp_server.mails == []


async def test_starttls_upgrades_before_the_code_goes_out(tmp_path: Path) -> None:
    with SMTPServer(tls="starttls") as server:
        ca_file = server.write_ca_file(tmp_path / "ca.pem")
        await sender_for(server, starttls=True, ca_file=ca_file).send(email_message())

        [mail] = server.mails
    assert mail.tls_version in ("TLSv1.2", "TLSv1.3")
    assert "482913" in mail.part("text/plain")


async def test_a_starttls_server_refuses_a_sender_that_stays_plain() -> None:
    # The other half of the STARTTLS check: the harness really insists on the upgrade, so the
    # test above cannot pass by delivering in clear.
    with SMTPServer(tls="starttls") as server:
        with pytest.raises(DeliveryFailed, match="530"):
            await sender_for(server).send(email_message())
        assert server.mails == []


async def test_implicit_tls_delivers(tmp_path: Path) -> None:
    with SMTPServer(tls="implicit") as server:
        ca_file = server.write_ca_file(tmp_path / "ca.pem")
        await sender_for(server, use_tls=True, ca_file=ca_file).send(email_message())

        [mail] = server.mails
    assert mail.tls_version in ("TLSv1.2", "TLSv1.3")
    assert mail.rcpt_tos == ["alice@example.com"]


async def test_logs_in_over_starttls(tmp_path: Path) -> None:
    with SMTPServer(username="mailer", password="s3cret", tls="starttls") as server:
        ca_file = server.write_ca_file(tmp_path / "ca.pem")
        sender = sender_for(
            server, username="mailer", password="s3cret", starttls=True, ca_file=ca_file
        )
        await sender.send(email_message())

        [mail] = server.mails
    assert mail.login == "mailer"
    assert mail.tls_version is not None


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
async def test_an_untrusted_certificate_is_a_delivery_failure(tls: TLSMode, tmp_path: Path) -> None:
    # Verification stays on: neither the system store nor an unrelated private CA vouches for
    # the throwaway CA behind the server, so the code must not be sent.
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    options = {"starttls": True} if tls == "starttls" else {"use_tls": True}
    with SMTPServer(tls=tls) as server:
        for ca_file in (None, str(other_ca)):
            with pytest.raises(DeliveryFailed) as failed:
                await sender_for(server, ca_file=ca_file, **options).send(email_message())
            assert "unable to get local issuer certificate" in str(failed.value.__cause__)
        assert server.mails == []


async def test_the_host_name_is_checked_against_the_certificate(tmp_path: Path) -> None:
    # A certificate from the trusted CA is not enough: it must name the host connected to.
    with SMTPServer(tls="implicit", certificate_names=("mail.example.com",)) as server:
        ca_file = server.write_ca_file(tmp_path / "ca.pem")
        with pytest.raises(DeliveryFailed) as failed:
            await sender_for(server, use_tls=True, ca_file=ca_file).send(email_message())
        assert "IP address mismatch" in str(failed.value.__cause__)
        assert server.mails == []


async def test_refuses_sms_messages(smtp_server: SMTPServer) -> None:
    sms = Message("sms", "+8613800138000", "login", "123456", 60, "en", "123456")
    with pytest.raises(DeliveryFailed):
        await sender_for(smtp_server).send(sms)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"host": ""}, "host"),
        ({"port": 0}, "port"),
        ({"from_address": "nobody"}, "from_address"),
        ({"username": "u"}, "together"),
        ({"starttls": True, "use_tls": True}, "not both"),
        ({"timeout": 0}, "timeout"),
        ({"ca_file": "", "starttls": True}, "ca_file must be the path"),
        ({"ca_file": "ca.pem"}, "ca_file needs starttls or use_tls"),
        ({"ca_file": "/nonexistent/ca.pem", "use_tls": True}, "cannot be loaded"),
        ({"ca_file": __file__, "starttls": True}, "cannot be loaded"),
    ],
)
def test_rejects_bad_configuration(options: dict[str, object], error: str) -> None:
    config: dict[str, object] = {"host": "127.0.0.1", "port": free_port()}
    config["from_address"] = "no-reply@example.com"
    config |= options
    with pytest.raises(ValueError, match=error):
        SMTPSender(**config)  # type: ignore[arg-type]
