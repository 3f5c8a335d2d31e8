"""TemplateRenderer: every packaged template, locale negotiation, start-up checks, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from otp_flow._usages import sent_by
from otp_flow.messages import (
    LOCALES,
    ChangedField,
    TemplateRenderer,
    default_renderer,
    negotiate_locale,
    notice_template_names,
    sms_length,
    template_names,
)
from otp_flow.senders._base import Message
from otp_flow.types import CHANNELS, USAGES, Channel, Usage

#: How each message must state what the code is for.
USAGE_WORDS: dict[tuple[Channel, str], dict[Usage, str]] = {
    ("sms", "en"): {
        "login": "sign in",
        "signup": "create your account",
        "update_userinfo": "confirm your new phone number",
        "reset_password": "reset your password",
    },
    ("sms", "zh-CN"): {
        "login": "登录",
        "signup": "注册",
        "update_userinfo": "更换手机号",
        "reset_password": "重置密码",
    },
    ("email", "en"): {
        "login": "sign in",
        "signup": "create your account",
        "update_userinfo": "confirm your new email address",
        "reset_password": "reset your password",
    },
    ("email", "zh-CN"): {
        "login": "登录",
        "signup": "注册账号",
        "update_userinfo": "确认新邮箱",
        "reset_password": "重置密码",
    },
}
LIFETIME = {"en": "5 min", "zh-CN": "5分钟"}


def render(
    renderer: TemplateRenderer,
    channel: Channel = "sms",
    usage: Usage = "login",
    locale: str | None = "en",
    code: str = "482913",
    ttl_seconds: int = 300,
    recipient: str | None = None,
) -> Message:
    if recipient is None:
        recipient = "+8613800138000" if channel == "sms" else "alice@example.com"
    return renderer.render(
        channel=channel,
        recipient=recipient,
        usage=usage,
        code=code,
        ttl_seconds=ttl_seconds,
        locale=locale,
        client_id="default",
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("usage", sent_by("sms"))
def test_every_sms_template_states_code_usage_and_lifetime(usage: Usage, locale: str) -> None:
    message = render(default_renderer(), "sms", usage, locale)
    assert (message.channel, message.locale, message.usage) == ("sms", locale, usage)
    assert message.subject is None and message.html is None
    assert "482913" in message.text
    assert USAGE_WORDS["sms", locale][usage] in message.text
    assert LIFETIME[locale] in message.text
    length, limit = sms_length(message.text, locale)
    assert length <= limit == (70 if locale == "zh-CN" else 160)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("usage", sent_by("email"))
def test_every_email_template_has_subject_text_and_html(usage: Usage, locale: str) -> None:
    message = render(default_renderer(), "email", usage, locale)
    assert message.locale == locale
    assert message.subject and "\n" not in message.subject
    assert message.html is not None
    words = USAGE_WORDS["email", locale][usage]
    assert words in message.subject
    for body in (message.text, message.html):
        assert "482913" in body
        assert words in body
        assert LIFETIME[locale] in body
    # The code is the most prominent thing in the HTML: large, on its own.
    assert "font-size:36px" in message.html.split("482913")[0].rsplit("<p", 1)[1]
    assert f'lang="{locale}"' in message.html


def test_english_lifetime_is_singular_for_one_minute() -> None:
    message = render(
        default_renderer(), "email", code="1234", ttl_seconds=90, recipient="a@example.com"
    )
    assert "expires in 1 minute." in message.text


def test_html_escapes_what_it_shows(tmp_path: Path) -> None:
    override = tmp_path / "messages" / "email"
    override.mkdir(parents=True)
    (override / "login.en.html").write_text("<p>{{ recipient }}</p><b>{{ code }}</b>")
    renderer = TemplateRenderer(override_dirs=[tmp_path])
    message = render(
        renderer, "email", code="123456", ttl_seconds=60, recipient="<script>@example.com"
    )
    assert message.html == "<p>&lt;script&gt;@example.com</p><b>123456</b>"


@pytest.mark.parametrize(
    ("requested", "default", "chosen"),
    [
        ("zh-CN", "en", "zh-CN"),
        ("zh", "en", "zh-CN"),
        ("zh_TW", "en", "zh-CN"),
        ("ZH-Hans-CN", "en", "zh-CN"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "en", "zh-CN"),
        ("en-US,en;q=0.9,zh;q=0.8", "zh-CN", "en"),
        ("qaa", "zh-CN", "en"),  # a language never shipped (ISO 639 private use)
        ("en", "zh-CN", "en"),
        (None, "zh-CN", "zh-CN"),
        (None, "en", "en"),
        ("", "zh-CN", "zh-CN"),
        ("*", "zh-CN", "zh-CN"),
    ],
)
def test_locale_negotiation(requested: str | None, default: str, chosen: str) -> None:
    assert negotiate_locale(requested, default) == chosen  # type: ignore[arg-type]


def test_default_locale_applies_without_a_request_locale() -> None:
    renderer = TemplateRenderer(default_locale="zh-CN")
    message = render(renderer, locale=None, ttl_seconds=60)
    assert message.locale == "zh-CN"
    assert "登录" in message.text


def test_origin_bound_line_ends_every_sms() -> None:
    renderer = TemplateRenderer(origin_domain="Example.COM")
    for locale in LOCALES:
        for usage in USAGES:
            message = render(renderer, "sms", usage, locale, ttl_seconds=60)
            assert message.text.splitlines()[-1] == "@example.com #482913"
    email = render(renderer, "email", ttl_seconds=60, recipient="a@example.com")
    assert "@example.com #" not in email.text


def test_no_origin_bound_line_by_default() -> None:
    message = render(default_renderer(), ttl_seconds=60)
    assert "#482913" not in message.text


def test_template_names_cover_every_part() -> None:
    assert template_names("sms", "login", "zh-CN") == {"text": "messages/sms/login.zh-CN.txt"}
    assert template_names("email", "signup", "en") == {
        "subject": "messages/email/signup.en.subject.txt",
        "text": "messages/email/signup.en.txt",
        "html": "messages/email/signup.en.html",
    }
    assert CHANNELS == ("sms", "email")


# ----------------------------------------------------------------- overrides


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return root


def test_an_override_directory_wins_over_the_package(tmp_path: Path) -> None:
    write(
        tmp_path,
        "messages/sms/login.zh-CN.txt",
        "【示例】您的登录码{{ code }}，{{ ttl_minutes }}分钟有效",
    )
    write(
        tmp_path,
        "messages/email/login.en.html",
        '{% extends "@otp_flow/messages/email/login.en.html" %}'
        "{% block body %}<h1>Acme</h1><p>{{ code }}</p>{% endblock %}",
    )
    renderer = TemplateRenderer(override_dirs=[str(tmp_path)])

    sms = render(renderer, locale="zh-CN")
    assert sms.text == "【示例】您的登录码482913，5分钟有效"
    html = render(renderer, channel="email").html
    assert html is not None
    assert "<h1>Acme</h1><p>482913</p>" in html
    assert "<title>Your code to sign in</title>" in html  # the packaged layout still wraps it
    # Everything not overridden is still the package's.
    assert "sign in" in render(renderer, locale="en").text


def test_the_first_override_directory_wins(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "messages/sms/login.en.txt", "first {{ code }}")
    second = write(tmp_path / "b", "messages/sms/login.en.txt", "second {{ code }}")
    renderer = TemplateRenderer(override_dirs=[first, second])
    assert render(renderer).text == "first 482913"


ZH_SMS = "messages/sms/signup.zh-CN.txt"


#: (template name, override text, what the start-up error says) for the code messages.
BAD_CODE_OVERRIDES = [
    # The placeholder is missing: the code never reaches the person.
    (ZH_SMS, "您正在注册，验证码请见邮件。", "must show the code"),
    ("messages/sms/signup.en.txt", "Your code: 123456", "must show the code"),
    ("messages/email/signup.en.html", "<p>Welcome!</p>", "must show the code"),
    ("messages/email/signup.zh-CN.txt", "欢迎", "must show the code"),
    # 71 characters with the longest code (10) and lifetime ("20"): one over the limit.
    (ZH_SMS, "验证码{{ code }}" + "，" * 56 + "{{ ttl_minutes }}", "renders 71 characters"),
    # English text is allowed 160 GSM characters...
    ("messages/sms/signup.en.txt", "{{ code }}" + "x" * 151, "renders 161 characters"),
    # ...but only 70 once one character is outside the GSM alphabet.
    ("messages/sms/signup.en.txt", "{{ code }} ✓" + "x" * 60, "at most 70"),
    # SMS templates cannot see variable-length values: their length must be known now.
    ("messages/sms/signup.en.txt", "{{ code }} for {{ recipient }}", "recipient"),
    ("messages/email/signup.en.subject.txt", "Your\ncode", "one line"),
    ("messages/email/signup.en.subject.txt", "{{ nope }}", "nope"),
    ("messages/email/signup.en.txt", "{% if code %}{{ code }}", "line 1"),
]


def test_seventy_characters_is_still_fine(tmp_path: Path) -> None:
    write(tmp_path, ZH_SMS, "验证码{{ code }}" + "，" * 55 + "{{ ttl_minutes }}")
    renderer = TemplateRenderer(override_dirs=[tmp_path])
    assert render(renderer, usage="signup", locale="zh-CN", code="1234567890", ttl_seconds=1200)


def test_the_origin_bound_line_counts_towards_the_limit(tmp_path: Path) -> None:
    # 50 characters fit alone; the origin-bound line "\n@example.com.cn #" + code adds 28.
    write(tmp_path, ZH_SMS, "验证码{{ code }}" + "，" * 35 + "{{ ttl_minutes }}")
    TemplateRenderer(override_dirs=[tmp_path])
    with pytest.raises(ValueError, match=r"78 characters with the origin-bound line"):
        TemplateRenderer(override_dirs=[tmp_path], origin_domain="example.com.cn")


def test_a_template_that_extends_a_broken_one_names_the_broken_one(tmp_path: Path) -> None:
    write(tmp_path, "messages/email/_base.en.txt", "{{ code }} {% endif %}")
    with pytest.raises(ValueError, match=r"messages/email/_base\.en\.txt"):
        TemplateRenderer(override_dirs=[tmp_path])


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"default_locale": "qaa"}, "default_locale"),
        ({"default_locale": "zh"}, "default_locale"),
        ({"origin_domain": "https://example.com"}, "origin_domain"),
        ({"origin_domain": "example.com:8443"}, "origin_domain"),
        ({"origin_domain": "exa mple.com"}, "origin_domain"),
        ({"origin_domain": ""}, "origin_domain"),
        ({"override_dirs": ["/nonexistent/otp-flow-templates"]}, "does not exist"),
    ],
)
def test_rejects_bad_configuration(options: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        TemplateRenderer(**options)  # type: ignore[arg-type]


# -------------------------------------------------------------------- notices

NOTICE_WORDS = {
    ("en", "phone_number"): "phone number of your account was changed to",
    ("en", "email"): "email address of your account was changed to",
    ("zh-CN", "phone_number"): "您账号的手机号已改为",
    ("zh-CN", "email"): "您账号的邮箱已改为",
}


def notice(
    renderer: TemplateRenderer,
    channel: Channel,
    locale: str | None,
    changed: ChangedField = "phone_number",
    masked: str = "+86139****5678",
) -> Message:
    return renderer.render_notice(
        channel=channel,
        recipient="+8613800138000" if channel == "sms" else "alice@example.com",
        locale=locale,
        client_id="default",
        changed=changed,
        new_value_masked=masked,
    )


@pytest.mark.parametrize("changed", ["phone_number", "email"])
@pytest.mark.parametrize("locale", LOCALES)
def test_the_sms_notice_names_the_new_value_without_a_code(
    locale: str, changed: ChangedField
) -> None:
    masked = "+86139****5678" if changed == "phone_number" else "b***@example.org"
    message = notice(default_renderer(), "sms", locale, changed, masked)
    assert (message.kind, message.code, message.ttl_seconds) == ("notice", "", 0)
    assert (message.channel, message.locale, message.usage) == ("sms", locale, "update_userinfo")
    assert message.template_params == (masked,)
    assert message.subject is None and message.html is None
    assert NOTICE_WORDS[locale, changed] in message.text and masked in message.text
    length, limit = sms_length(message.text, locale)
    assert length <= limit == (70 if locale == "zh-CN" else 160)


@pytest.mark.parametrize("changed", ["phone_number", "email"])
@pytest.mark.parametrize("locale", LOCALES)
def test_the_email_notice_has_subject_text_and_html(locale: str, changed: ChangedField) -> None:
    message = notice(default_renderer(), "email", locale, changed, "b***@example.org")
    assert (message.kind, message.code, message.locale) == ("notice", "", locale)
    assert message.subject and "\n" not in message.subject
    assert message.html is not None and f'lang="{locale}"' in message.html
    for body in (message.text, message.html):
        assert NOTICE_WORDS[locale, changed] in body
        assert "b***@example.org" in body
        assert "alice@example.com" in body  # says where the notice went


def test_the_notice_follows_the_default_locale_and_has_no_origin_line() -> None:
    renderer = TemplateRenderer(default_locale="zh-CN", origin_domain="example.com")
    message = notice(renderer, "sms", None)
    assert message.locale == "zh-CN"
    assert "@example.com" not in message.text  # no code, nothing for the browser to fill in


def test_a_long_masked_value_is_shortened_to_fit_one_sms() -> None:
    masked = "a***@" + "very-long-subdomain." * 5 + "example.com"
    message = notice(default_renderer(), "sms", "zh-CN", "email", masked)
    [shown] = message.template_params
    assert len(shown) == 32 and shown.startswith("a***@ve") and shown.endswith("example.com")
    assert "..." in shown and shown in message.text
    assert sms_length(message.text, "zh-CN")[0] <= 70
    # Email has room: the value is shown whole.
    assert masked in notice(default_renderer(), "email", "en", "email", masked).text


def test_an_unknown_changed_field_is_refused() -> None:
    with pytest.raises(ValueError, match="changed"):
        notice(default_renderer(), "sms", "en", "password")  # type: ignore[arg-type]


def test_notice_template_names() -> None:
    assert notice_template_names("sms", "en") == {
        "text": "messages/sms/notice_identifier_changed.en.txt"
    }
    assert notice_template_names("email", "zh-CN") == {
        "subject": "messages/email/notice_identifier_changed.zh-CN.subject.txt",
        "text": "messages/email/notice_identifier_changed.zh-CN.txt",
        "html": "messages/email/notice_identifier_changed.zh-CN.html",
    }


def test_a_notice_override_wins_and_needs_no_code(tmp_path: Path) -> None:
    write(tmp_path, "messages/sms/notice_identifier_changed.en.txt", "Now {{ new_value_masked }}")
    renderer = TemplateRenderer(override_dirs=[tmp_path])
    assert notice(renderer, "sms", "en").text == "Now +86139****5678"


ZH_NOTICE = "messages/sms/notice_identifier_changed.zh-CN.txt"


#: The same for the notices.
BAD_NOTICE_OVERRIDES = [
    # 39 + the longest masked value the SMS may show (32): one over.
    (ZH_NOTICE, "改" * 39 + "{{ new_value_masked }}", "renders 71 characters"),
    (ZH_NOTICE, "改" * 39 + "{{ new_value_masked }}", "32-character masked email"),
    # A notice has no code: a template that asks for one is broken.
    (ZH_NOTICE, "验证码{{ code }}", "code"),
    # SMS notices cannot see the recipient either (its length is unknown).
    ("messages/sms/notice_identifier_changed.en.txt", "{{ recipient }}", "recipient"),
    ("messages/email/notice_identifier_changed.en.subject.txt", "Changed\nnow", "one line"),
    ("messages/email/notice_identifier_changed.zh-CN.html", "{% if x %}", "line 1"),
]


@pytest.mark.parametrize(("name", "text", "error"), BAD_CODE_OVERRIDES + BAD_NOTICE_OVERRIDES)
def test_a_bad_override_is_rejected_at_start_up_naming_it(
    tmp_path: Path, name: str, text: str, error: str
) -> None:
    write(tmp_path, name, text)
    with pytest.raises(ValueError, match=error) as rejected:
        TemplateRenderer(override_dirs=[tmp_path])
    assert name in str(rejected.value)


def test_seventy_characters_of_notice_is_still_fine(tmp_path: Path) -> None:
    write(tmp_path, ZH_NOTICE, "改" * 38 + "{{ new_value_masked }}")
    assert TemplateRenderer(override_dirs=[tmp_path])
