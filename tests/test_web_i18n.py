"""English and Simplified Chinese: negotiation, and every visible string translated."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from otp_flow.stores.memory import MemoryStore
from otp_flow.web import negotiate
from otp_flow.web._i18n import Translator
from tests.conftest import FakeClock
from tests.web_helpers import E164, EMAIL, PHONE, Site, open_site

ROOT = Path(__file__).parent.parent
CATALOGS = sorted((ROOT / "otp_flow/locales").glob("*/LC_MESSAGES/otp_flow.po"))
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "en"),
        ("", "en"),
        ("zh-CN,zh;q=0.9", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        # qaa-qtz: ISO 639 private use, never shipped, so never offered
        ("qaa-QA,zh;q=0.5,en;q=0.4", "zh-CN"),
        ("qaa-QA,qab;q=0.5", "en"),
        ("zh;q=0, en;q=0.1", "en"),
        ("zh;q=abc", "en"),
        ("en;q=0.5,zh;q=0.5", "en"),
    ],
)
def test_negotiate(header: str | None, locale: str) -> None:
    assert negotiate(header) == locale


def _message_ids() -> set[str]:
    """Every string the pages translate: ``_("...")`` in templates and the web layer's code."""
    ids: set[str] = set()
    for template in (ROOT / "templates").glob("*.html"):
        ids.update(
            m.group(2) for m in re.finditer(r'\b_\(\s*(["\'])(.+?)\1', template.read_text(), re.S)
        )
    for module in (ROOT / "otp_flow/web").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                count = {"_": 1, "N_": 1, "gettext": 1, "ngettext": 2, "n_": 2}.get(name or "", 0)
                ids.update(
                    a.value
                    for a in node.args[:count]
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Dict, ast.Constant)):
                names = {getattr(t, "id", "") for t in node.targets}
                if "NOTICES" in names and isinstance(node.value, ast.Dict):
                    ids.update(v.value for v in node.value.values if isinstance(v, ast.Constant))
                if "message" in names and isinstance(node.value, ast.Constant):
                    ids.add(node.value.value)
    return ids


def _catalog(path: Path) -> dict[str, tuple[tuple[str, ...], str]]:
    """English form → (its translated forms, the English form with all placeholders): a plural
    entry gives both its English forms. Fuzzy entries are not used, so they count as missing."""
    with path.open("rb") as po:
        catalog = read_po(po)
    entries: dict[str, tuple[tuple[str, ...], str]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            entries[english] = (texts, ids[-1])
    return entries


def _extracted() -> set[str]:
    """What the documented ``pybabel extract`` command (babel.cfg) finds."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "n_": (1, 2)}
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        ids.update(message if isinstance(message, tuple) else (message,))
    return ids


def test_chinese_is_packaged() -> None:
    assert [p.parent.parent.name for p in CATALOGS] == ["zh_CN"]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_message_has_a_translation(path: Path) -> None:
    ids = _message_ids()
    catalog = _catalog(path)
    assert len(ids) > 80
    assert sorted(ids ^ _extracted()) == []  # the update command finds every string
    assert sorted(ids - set(catalog)) == []
    assert sorted(set(catalog) - ids) == []  # no stale entries either
    for translated, english in catalog.values():  # the same placeholders, maybe reordered
        for text in translated:
            assert text
            assert sorted(re.findall(r"{\w+}", english)) == sorted(re.findall(r"{\w+}", text))


class _Text(HTMLParser):
    """The text a person sees (and hears): page text plus titles, labels and button values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "placeholder", "title", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _english_words(html: str, allowed: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    for value in allowed:
        text = text.replace(value, " ")
    return re.findall(r"[A-Za-z]{2,}", text)


@pytest.fixture
async def zh_site(clock: FakeClock) -> AsyncIterator[Site]:
    async with open_site(MemoryStore(), clock) as site:
        site.client.headers.update(ZH)
        yield site


async def test_every_page_is_chinese(zh_site: Site) -> None:
    site = zh_site
    allowed = {"otp_flow", E164, EMAIL, "+86139****5678"}
    seen: dict[str, str] = {}

    async def look(name: str, response_text: str) -> None:
        seen[name] = response_text
        assert _english_words(response_text, allowed) == [], name

    await look("login", (await site.client.get("/auth/login")).text)
    await look("signup", (await site.client.get("/auth/signup")).text)
    await look("reset", (await site.client.get("/auth/reset_password")).text)
    await look("bad identifier", (await site.post("/auth/signup", {"identifier": "1"})).text)
    await site.send_code("signup", PHONE)
    await look("code", (await site.client.get("/auth/signup/code")).text)
    await look("resend too early", (await site.post("/auth/signup/resend", {})).text)
    await look("wrong code", (await site.enter_code("signup", "00000a")).text)
    await site.enter_code("signup", await site.code_for(E164))
    await look("details", (await site.client.get("/auth/signup/details")).text)
    await look(
        "details error", (await site.post("/auth/signup/details", {"display_name": ""})).text
    )
    await site.post("/auth/signup/details", {"display_name": "安"})
    await look("profile", (await site.client.get("/auth/update_userinfo?notice=saved")).text)
    await look("logout", (await site.client.get("/auth/logout")).text)
    await look("forbidden", (await site.client.post("/auth/logout")).text)
    await site.logout()
    site.later()
    await site.send_code("login", PHONE)
    await look("login code", (await site.client.get("/auth/login/code?notice=resent")).text)
    site.later(301)
    await look("restart", (await site.enter_code("login", "123456")).text)
    await look(
        "password",
        (await site.post("/auth/login", {"identifier": PHONE, "password": "x" * 9})).text,
    )
    assert "验证码已通过短信发送至 +8613612345678。" in seen["code"]
    assert "验证码不正确，您还有 4 次机会。" in seen["wrong code"]
    assert "秒后可重新获取" in seen["resend too early"]
    assert '<html lang="zh-CN">' in seen["login"]


async def test_the_code_message_and_the_change_notice_follow_the_language(zh_site: Site) -> None:
    site = zh_site
    await site.signup(PHONE, E164, name="安")
    await site.send_code("update_userinfo", EMAIL, display_name="安")
    await site.enter_code("update_userinfo", await site.code_for(EMAIL))
    await site.send_code("update_userinfo", "13912345678", display_name="安")
    await site.enter_code("update_userinfo", await site.code_for("+8613912345678"))
    notice = (await site.messages(E164))[0]
    assert notice.get("kind") == "notice"
    assert notice["text"].startswith("您账号的手机号已改为+86139****5678。")
    assert re.search(r"[\u4e00-\u9fff]", (await site.messages(EMAIL))[0]["text"])


def test_extra_translations() -> None:
    translator = Translator({"zh-CN": {"Sign in": "登入", "Hello": "你好"}})
    _ = translator.gettext("zh-CN")
    assert _("Sign in") == "登入"
    assert _("Hello") == "你好"
    assert _("Sign out") == "退出登录"
    assert translator.gettext("en")("Sign in") == "Sign in"
    assert translator.duration("en")(1) == "1 second"
    assert translator.duration("en")(90) == "90 seconds"
    assert translator.duration("zh-CN")(3600) == "60 分钟"
    assert translator.duration("en")(5 * 3600) == "5 hours"
    with pytest.raises(ValueError, match="unsupported locale"):
        Translator({"qaa": {}})
