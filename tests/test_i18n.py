"""The locale registry: one negotiator for pages and messages, and a third language added as
files only (a catalog and message templates, no Python), as docs/languages.md describes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from otp_flow._i18n import PACKAGED_LOCALE_DIR, available_locales, negotiate
from otp_flow.messages import TemplateRenderer, negotiate_locale
from otp_flow.stores.memory import MemoryStore
from otp_flow.web._i18n import Translator
from tests.conftest import FakeClock
from tests.web_helpers import E164, PHONE, open_site

ROOT = Path(__file__).parent.parent
#: The application's third language is tagged ``qaa`` (ISO 639 reserves qaa-qtz for local use), so
#: otp_flow never ships it and these tests keep their meaning whatever languages it does ship. Its
#: words are French.
QAA = {"Accept-Language": "qaa-QA,qaa;q=0.9,en;q=0.5"}

#: A French catalog as a translator writes it: header (with French plural rule) and a few entries;
#: whatever is left untranslated shows in English.
FRENCH_PO = r"""msgid ""
msgstr ""
"Language: qaa\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "Sign in"
msgstr "Se connecter"

msgid "1 second"
msgid_plural "{n} seconds"
msgstr[0] "{n} seconde"
msgstr[1] "{n} secondes"

msgid "That code is not correct. You have 1 attempt left."
msgid_plural "That code is not correct. You have {n} attempts left."
msgstr[0] "Ce code est incorrect. Il vous reste {n} essai."
msgstr[1] "Ce code est incorrect. Il vous reste {n} essais."

#, fuzzy
msgid "Sign out"
msgstr "Se déconnecter (à relire)"
"""

#: English phrase → French, applied to copies of the packaged English message templates.
FRENCH_WORDS = {
    ".en.": ".qaa.",
    "is your code to": "est votre code pour",
    "Your code to": "Votre code pour",
    "Hello,": "Bonjour,",
}


@pytest.mark.parametrize(
    ("header", "locales", "chosen"),
    [
        ("fr;q=0.2, zh-TW;q=0.8, en;q=0.5", ("en", "fr", "zh-CN"), "zh-CN"),
        ("zh-TW, zh-CN", ("en", "zh-CN", "zh-TW"), "zh-TW"),  # exact before the language
        ("zh-HK", ("en", "zh-CN", "zh-TW"), "zh-CN"),  # the language: the first offered
        ("de, *;q=0.5", ("en", "zh-CN"), "en"),  # "*": the default
        ("EN-gb;q=1.5, zh;q=0.9", ("en", "zh-CN"), "en"),  # q above 1 counts as 1
        ("zh;q=nan, de", ("en", "zh-CN"), "en"),
        ("de", ("zh-CN",), "zh-CN"),
    ],
)
def test_negotiate_honours_q_values_and_falls_back_by_language(
    header: str, locales: tuple[str, ...], chosen: str
) -> None:
    assert negotiate(header, locales) == chosen


def test_pages_and_messages_negotiate_alike() -> None:
    for header in ("en;q=0.3, zh;q=0.7", "zh;q=0.3, en;q=0.7", "qaa, zh;q=0.1", "zh-Hant", None):
        assert Translator().negotiate(header) == negotiate_locale(header)


def _french(tmp_path: Path, *, with_templates: bool = True) -> tuple[Path, Path]:
    """An application's folders for French: ``locales/`` (the catalog) and ``templates/`` (the
    messages, translated from copies of the packaged English ones)."""
    locales = tmp_path / "locales"
    catalog = locales / "qaa" / "LC_MESSAGES" / "otp_flow.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(FRENCH_PO, encoding="utf-8")
    templates = tmp_path / "templates"
    if with_templates:
        for english in (ROOT / "templates" / "messages").rglob("*.en.*"):
            french = templates / english.relative_to(ROOT / "templates")
            text = english.read_text(encoding="utf-8")
            for phrase, translated in FRENCH_WORDS.items():
                text = text.replace(phrase, translated)
            french = french.with_name(french.name.replace(".en.", ".qaa."))
            french.parent.mkdir(parents=True, exist_ok=True)
            french.write_text(text, encoding="utf-8")
    templates.mkdir(exist_ok=True)
    return locales, templates


def test_a_catalog_adds_its_language(tmp_path: Path) -> None:
    locales, _ = _french(tmp_path)
    packaged = available_locales()
    assert "qaa" not in packaged
    assert available_locales([locales]) == ("en", *sorted([*packaged[1:], "qaa"]))
    translator = Translator(locale_dirs=[locales])
    n_ = translator.ngettext("qaa")
    # French's plural rule from the catalog header: 0 and 1 are singular.
    assert translator.duration("qaa")(1) == "1 seconde"
    assert n_("1 second", "{n} seconds", 0) == "0 seconde"
    assert n_("1 second", "{n} seconds", 30) == "30 secondes"
    assert translator.gettext("qaa")("Sign out") == "Sign out"  # fuzzy: not used until reviewed
    assert translator.gettext("qaa")("Sign in") == "Se connecter"
    assert translator.gettext("zh-CN")("Sign in") == "登录"  # the packaged catalogs stay


def test_an_application_catalog_comes_before_the_packaged_one(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(PACKAGED_LOCALE_DIR / "zh_CN", locales / "zh_CN")
    po = locales / "zh_CN" / "LC_MESSAGES" / "otp_flow.po"
    po.write_text(po.read_text(encoding="utf-8").replace('"退出登录"', '"登出"'), "utf-8")
    translator = Translator(locale_dirs=[locales])
    assert translator.gettext("zh-CN")("Sign out") == "登出"
    assert translator.gettext("zh-CN")("Sign in") == "登录"
    assert (
        Translator({"zh-CN": {"Sign out": "退出"}}, locale_dirs=[locales]).gettext("zh-CN")(
            "Sign out"
        )
        == "退出"
    )


def test_a_catalog_without_its_message_templates_stops_the_start(tmp_path: Path) -> None:
    locales, templates = _french(tmp_path, with_templates=False)
    with pytest.raises(ValueError, match=r"messages/sms/login\.qaa\.txt"):
        TemplateRenderer(override_dirs=[templates], locale_dirs=[locales])


def test_a_missing_locale_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Translator(locale_dirs=[tmp_path / "nowhere"])


async def test_french_pages_and_messages_without_python(tmp_path: Path, clock: FakeClock) -> None:
    locales, templates = _french(tmp_path)
    renderer = TemplateRenderer(override_dirs=[templates], locale_dirs=[locales])
    assert renderer.locales == available_locales([locales])
    assert "qaa" in renderer.locales
    async with open_site(
        MemoryStore(), clock, engine_options={"renderer": renderer}, locale_dirs=[locales]
    ) as site:
        site.client.headers.update(QAA)
        login = (await site.client.get("/auth/login")).text
        assert '<html lang="qaa">' in login
        assert "Se connecter" in login
        await site.send_code("signup", PHONE)
        [sms] = await site.messages(E164)
        assert "est votre code pour create your account" in sms["text"]
        wrong = (await site.enter_code("signup", "00000a")).text
        assert "Il vous reste 4 essais." in wrong
        # The same site still speaks Chinese and English.
        site.client.headers["Accept-Language"] = "zh-CN"
        assert '<html lang="zh-CN">' in (await site.client.get("/auth/login")).text
