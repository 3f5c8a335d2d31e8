"""Rendering the message that carries a code, from Jinja2 templates an application can override.

Templates live under ``messages/`` in the packaged ``templates/`` folder, one per channel × usage ×
locale (an override is a file at the same path in one of ``override_dirs``)::

    messages/sms/{usage}.{locale}.txt              the SMS text
    messages/email/{usage}.{locale}.subject.txt    the email subject (one line)
    messages/email/{usage}.{locale}.txt            the email's text part
    messages/email/{usage}.{locale}.html           the email's HTML part

Every template is rendered once when the renderer is built, so a broken override stops the
application at start-up with a message naming the template, instead of failing the first send.
SMS templates see only ``code``, ``ttl_minutes``, ``ttl_seconds``, ``usage`` and ``locale``, so
their longest possible text is known then; email templates also see ``recipient`` and
``client_id``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import jinja2

from otp_flow.policy import CALLER_TTL_SECONDS, CODE_LENGTH
from otp_flow.senders.base import Message
from otp_flow.senders.fields import ttl_minutes
from otp_flow.templating import make_environment
from otp_flow.types import CHANNELS, USAGES, Channel, Usage

__all__ = [
    "LOCALES",
    "Locale",
    "MessageRenderer",
    "TemplateRenderer",
    "default_renderer",
    "negotiate_locale",
    "sms_length",
    "template_names",
]

Locale = Literal["en", "zh-CN"]
LOCALES: tuple[Locale, ...] = get_args(Locale)

# What validation renders with: the longest code the policy allows and the longest lifetime a
# caller may ask for, so no real send can produce a longer SMS than the one checked.
_LONGEST_CODE = "7Q3X9K2M5W8R4T6Y"[: CODE_LENGTH[1]]
_LONGEST_TTL = CALLER_TTL_SECONDS[1]
_SAMPLE_TTLS = (_LONGEST_TTL, 60)

# The GSM 03.38 alphabet: a text made only of these fits 160 characters in one SMS segment
# (extension characters take two); anything else is sent as UCS-2, 70 per segment.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
_UCS2_LIMIT = 70
_GSM7_LIMIT = 160

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)


class MessageRenderer(Protocol):
    def render(
        self,
        *,
        channel: Channel,
        recipient: str,
        usage: Usage,
        code: str,
        ttl_seconds: int,
        locale: str | None,
        client_id: str,
    ) -> Message: ...


def negotiate_locale(requested: str | None, default: Locale = "en") -> Locale:
    """``zh``, ``zh-CN``, ``zh_TW``, ``zh-Hans``… → ``zh-CN``; anything else → ``en``.

    Takes a single tag or a whole ``Accept-Language`` value (the first language wins); None or
    empty → ``default``.
    """
    if not requested or not requested.strip():
        return default
    first = requested.split(",", 1)[0].split(";", 1)[0].strip().lower()
    if not first or first == "*":
        return default
    return "zh-CN" if first.startswith("zh") else "en"


def sms_length(text: str, locale: Locale) -> tuple[int, int]:
    """(length, single-segment limit) of an SMS as carriers count it.

    Chinese text is always limited to 70 characters (the carriers' rule the seeds quote); other
    text gets 160 GSM 7-bit characters, or 70 once one character falls outside that alphabet.
    """
    if locale != "zh-CN" and all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text):
        return sum(2 if c in _GSM7_EXTENDED else 1 for c in text), _GSM7_LIMIT
    # UTF-16 code units: a character outside the BMP (an emoji) takes two.
    return len(text.encode("utf-16-le")) // 2, _UCS2_LIMIT


def template_names(channel: Channel, usage: Usage, locale: Locale) -> dict[str, str]:
    """Part name → template name for one message."""
    base = f"messages/{channel}/{usage}.{locale}"
    if channel == "sms":
        return {"text": f"{base}.txt"}
    return {"subject": f"{base}.subject.txt", "text": f"{base}.txt", "html": f"{base}.html"}


class TemplateRenderer:
    """Renders messages from the packaged templates and the application's overrides.

    ``origin_domain``: when set (e.g. ``"example.com"``), every SMS ends with the origin-bound
    line ``@example.com #123456`` so browsers can offer the code for autofill (WebOTP).
    Raises ``ValueError`` naming the template when any template is missing, does not compile,
    lacks the code, or renders an SMS longer than one segment.
    """

    def __init__(
        self,
        *,
        override_dirs: Sequence[str | Path] = (),
        default_locale: str = "en",
        origin_domain: str | None = None,
    ) -> None:
        if default_locale not in LOCALES:
            raise ValueError(f"default_locale must be one of {', '.join(LOCALES)}")
        if origin_domain is not None:
            origin_domain = origin_domain.strip().lower()
            if not _DOMAIN.match(origin_domain):
                raise ValueError(
                    f"origin_domain must be a bare host name like example.com, "
                    f"got {origin_domain!r}"
                )
        for directory in override_dirs:
            if not Path(directory).is_dir():
                raise ValueError(f"template override directory {str(directory)!r} does not exist")
        self.default_locale: Locale = "zh-CN" if default_locale == "zh-CN" else "en"
        self.origin_domain = origin_domain
        self._env = make_environment(override_dirs)
        self._templates: dict[str, jinja2.Template] = {}
        for channel in CHANNELS:
            for usage in USAGES:
                for locale in LOCALES:
                    self._check(channel, usage, locale)

    def render(
        self,
        *,
        channel: Channel,
        recipient: str,
        usage: Usage,
        code: str,
        ttl_seconds: int,
        locale: str | None,
        client_id: str,
    ) -> Message:
        chosen = negotiate_locale(locale, self.default_locale)
        context = _context(channel, usage, chosen, code, ttl_seconds, recipient, client_id)
        parts = {
            part: self._render(name, context)
            for part, name in template_names(channel, usage, chosen).items()
        }
        text = self._with_origin(parts["text"], code) if channel == "sms" else parts["text"]
        return Message(
            channel=channel,
            recipient=recipient,
            usage=usage,
            code=code,
            ttl_seconds=ttl_seconds,
            locale=chosen,
            text=text,
            subject=parts.get("subject"),
            html=parts.get("html"),
            client_id=client_id,
        )

    def _with_origin(self, text: str, code: str) -> str:
        return f"{text}\n@{self.origin_domain} #{code}" if self.origin_domain else text

    def _render(self, name: str, context: dict[str, Any]) -> str:
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self._env.get_template(name)
        return template.render(context).strip()

    def _check(self, channel: Channel, usage: Usage, locale: Locale) -> None:
        for ttl in _SAMPLE_TTLS:
            context = _context(
                channel, usage, locale, _LONGEST_CODE, ttl, "someone@example.com", "default"
            )
            for part, name in template_names(channel, usage, locale).items():
                text = self._checked_render(name, context)
                if part == "subject":
                    if not text or "\n" in text:
                        raise ValueError(f"message template {name!r} must render one line")
                elif _LONGEST_CODE not in text:
                    raise ValueError(f"message template {name!r} must show the code {{{{ code }}}}")
                if channel == "sms":
                    self._check_sms_length(name, self._with_origin(text, _LONGEST_CODE), locale)

    def _checked_render(self, name: str, context: dict[str, Any]) -> str:
        try:
            return self._render(name, context)
        except jinja2.TemplateSyntaxError as exc:
            # The error may be in a template this one extends or includes: name that one.
            where = exc.name or name
            raise ValueError(f"message template {where!r}, line {exc.lineno}: {exc}") from exc
        except jinja2.TemplateNotFound as exc:
            raise ValueError(f"message template {name!r}: {exc.name!r} was not found") from exc
        except jinja2.TemplateError as exc:
            raise ValueError(f"message template {name!r}: {exc}") from exc

    def _check_sms_length(self, name: str, text: str, locale: Locale) -> None:
        length, limit = sms_length(text, locale)
        if length > limit:
            with_origin = " with the origin-bound line" if self.origin_domain else ""
            raise ValueError(
                f"message template {name!r} renders {length} characters{with_origin} for a "
                f"{len(_LONGEST_CODE)}-character code and a {_LONGEST_TTL // 60}-minute lifetime; "
                f"one {locale} SMS holds at most {limit}"
            )


def _context(
    channel: Channel,
    usage: Usage,
    locale: Locale,
    code: str,
    ttl_seconds: int,
    recipient: str,
    client_id: str,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "code": code,
        "ttl_minutes": ttl_minutes(ttl_seconds),
        "ttl_seconds": ttl_seconds,
        "usage": usage,
        "locale": locale,
    }
    if channel == "email":
        context |= {"recipient": recipient, "client_id": client_id}
    return context


@cache
def default_renderer() -> TemplateRenderer:
    """The packaged templates, English by default: built (and checked) once per process."""
    return TemplateRenderer()
