"""The extension points docs/extending.md describes, used from outside the package as an
application would: a sender of its own behind the configuration's engine, and a language of its
own from copies of the packaged English message templates.

(A new dialect, sender type or page flow inside otp_flow is a change to the package, not a plugin:
docs/extending.md lists the files; the suites of those modules cover them.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from otp_flow import Message, Sender
from otp_flow.config import Settings
from otp_flow.messages import TemplateRenderer
from otp_flow.runtime import build_engine
from otp_flow.senders import ChannelRouter
from tests.conftest import FakeClock

ROOT = Path(__file__).parent.parent
CLIENT = "extending-client"


class KeepingSender:
    """A sender of the application's own: the whole protocol is one async ``send``."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


def settings() -> Settings:
    return Settings.from_mapping(
        {
            "secret_keys": ["extending-secret-key-0123456789ab"],
            "dev": True,
            "clients": [{"id": CLIENT, "secret": "extending-client-secret"}],
        }
    )


async def test_an_application_sender_serves_the_configured_engine(clock: FakeClock) -> None:
    mine = KeepingSender()
    assert isinstance(mine, Sender)
    engine = build_engine(settings(), sender=ChannelRouter(sms=mine, email=mine), clock=clock)
    try:
        result = await engine.send("ann@example.com", client_id=CLIENT, locale="zh-CN")
    finally:
        await engine.aclose()
    [message] = mine.sent
    assert (message.channel, message.recipient, message.locale) == (
        "email",
        "ann@example.com",
        "zh-CN",
    )
    assert result.code in message.text and message.html and result.code in message.html


def _language_from_english(tmp_path: Path, tag: str) -> TemplateRenderer:
    """A language added the way docs/languages.md says: an empty catalog (every string then
    shows in English) and the English message templates copied under the new tag, unedited."""
    catalog = tmp_path / "locales" / tag / "LC_MESSAGES" / "otp_flow.po"
    catalog.parent.mkdir(parents=True)
    header = f'"Language: {tag}\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
    catalog.write_text(f'msgid ""\nmsgstr ""\n{header}', encoding="utf-8")
    packaged = ROOT / "templates"
    for english in (packaged / "messages").rglob("*.en.*"):
        copy = tmp_path / "templates" / english.relative_to(packaged)
        copy = copy.with_name(copy.name.replace(".en.", f".{tag}."))
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(english, copy)
    return TemplateRenderer(
        override_dirs=[tmp_path / "templates"], locale_dirs=[tmp_path / "locales"]
    )


def test_copied_english_email_templates_declare_the_new_language(tmp_path: Path) -> None:
    # The email HTML says which language it is in (screen readers and mail clients read it);
    # a copy of the English layout must not keep saying "en" for every other language.
    renderer = _language_from_english(tmp_path, "de")
    code = renderer.render(
        channel="email",
        recipient="ann@example.com",
        usage="login",
        code="482913",
        ttl_seconds=300,
        locale="de",
        client_id="default",
    )
    notice = renderer.render_notice(
        channel="email",
        recipient="ann@example.com",
        changed="email",
        new_value_masked="b***@example.org",
        locale="de",
        client_id="default",
    )
    for message in (code, notice):
        assert message.locale == "de"
        assert message.html is not None and '<html lang="de">' in message.html
