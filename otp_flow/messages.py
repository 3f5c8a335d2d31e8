"""Rendering messages (codes and notices) from Jinja2 templates an application can override.

Templates live under ``messages/`` in the packaged ``templates/`` folder, one per channel × usage ×
locale (an override is a file at the same path in one of ``override_dirs``)::

    messages/sms/{usage}.{locale}.txt              the SMS text
    messages/email/{usage}.{locale}.subject.txt    the email subject (one line)
    messages/email/{usage}.{locale}.txt            the email's text part
    messages/email/{usage}.{locale}.html           the email's HTML part

Notices (messages without a code) use the same layout with the notice's name in place of the
usage: ``notice_identifier_changed`` tells the old address that the account's phone number or
email moved away from it.

Every template is rendered once when the renderer is built, so a broken override stops the
application at start-up with a message naming the template, instead of failing the first send.
SMS templates see only ``code``, ``ttl_minutes``, ``ttl_seconds``, ``usage`` and ``locale`` (a
notice: ``changed`` and ``new_value_masked``), so their longest possible text is known then;
email templates also see ``recipient`` and ``client_id``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import jinja2

from otp_flow.policy import CALLER_TTL_SECONDS, CODE_LENGTH
from otp_flow.senders.base import NOTICE_IDENTIFIER_CHANGED, Message
from otp_flow.senders.fields import ttl_minutes
from otp_flow.senders.segments import sms_length
from otp_flow.templating import make_environment
from otp_flow.types import CHANNELS, USAGES, Channel, Usage

__all__ = [
    "LOCALES",
    "ChangedField",
    "Locale",
    "MessageRenderer",
    "TemplateRenderer",
    "default_renderer",
    "negotiate_locale",
    "notice_template_names",
    "sms_length",
    "template_names",
]

Locale = Literal["en", "zh-CN"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
#: Which identifier of an account a notice is about.
ChangedField = Literal["phone_number", "email"]
_CHANGED_FIELDS: tuple[ChangedField, ...] = get_args(ChangedField)

# What validation renders with: the longest code the policy allows and the longest lifetime a
# caller may ask for, so no real send can produce a longer SMS than the one checked.
_LONGEST_CODE = "7Q3X9K2M5W8R4T6Y"[: CODE_LENGTH[1]]
_LONGEST_TTL = CALLER_TTL_SECONDS[1]
_SAMPLE_TTLS = (_LONGEST_TTL, 60)
# A notice's SMS shows at most this many characters of the masked new value (longer ones are
# shortened in the middle), so its length is known at start-up too. A masked phone number is at
# most 16 ("+" and 15 digits, 4 of them starred); a masked email address may be longer.
_MASKED_SMS_MAX = 32
_LONGEST_MASKED: dict[ChangedField, str] = {
    "phone_number": "+8613912****5678",
    "email": "a***@" + "m" * (_MASKED_SMS_MAX - 9) + ".com",
}

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

    def render_notice(
        self,
        *,
        channel: Channel,
        recipient: str,
        locale: str | None,
        client_id: str,
        changed: ChangedField,
        new_value_masked: str,
    ) -> Message:
        """The notice to an account's old address that ``changed`` is now ``new_value_masked``."""
        ...


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


def template_names(channel: Channel, usage: Usage, locale: Locale) -> dict[str, str]:
    """Part name → template name for one message."""
    return _part_names(channel, usage, locale)


def notice_template_names(channel: Channel, locale: Locale) -> dict[str, str]:
    """Part name → template name for the identifier-changed notice."""
    return _part_names(channel, NOTICE_IDENTIFIER_CHANGED, locale)


def _part_names(channel: Channel, stem: str, locale: Locale) -> dict[str, str]:
    base = f"messages/{channel}/{stem}.{locale}"
    if channel == "sms":
        return {"text": f"{base}.txt"}
    return {"subject": f"{base}.subject.txt", "text": f"{base}.txt", "html": f"{base}.html"}


class TemplateRenderer:
    """Renders messages from the packaged templates and the application's overrides.

    ``origin_domain``: when set (e.g. ``"example.com"``), every SMS ends with the origin-bound
    line ``@example.com #123456`` so browsers can offer the code for autofill (WebOTP).
    Raises ``ValueError`` naming the template when any template is missing, does not compile,
    lacks the code (notices have none), or renders an SMS longer than one segment.
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
            for locale in LOCALES:
                self._check_notice(channel, locale)

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
        context = _code_context(channel, usage, chosen, code, ttl_seconds, recipient, client_id)
        parts = self._render_parts(template_names(channel, usage, chosen), context)
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

    def render_notice(
        self,
        *,
        channel: Channel,
        recipient: str,
        locale: str | None,
        client_id: str,
        changed: ChangedField,
        new_value_masked: str,
    ) -> Message:
        """The notice to ``recipient`` (an old address) that ``changed`` is now
        ``new_value_masked``. No code, so an SMS notice gets no origin-bound line."""
        if changed not in _CHANGED_FIELDS:
            raise ValueError(f"changed must be one of {', '.join(_CHANGED_FIELDS)}")
        chosen = negotiate_locale(locale, self.default_locale)
        if channel == "sms":
            new_value_masked = _shorten(new_value_masked, _MASKED_SMS_MAX)
        context = _notice_context(channel, chosen, changed, new_value_masked, recipient, client_id)
        parts = self._render_parts(notice_template_names(channel, chosen), context)
        return Message(
            channel=channel,
            recipient=recipient,
            usage="update_userinfo",
            code="",
            ttl_seconds=0,
            locale=chosen,
            text=parts["text"],
            subject=parts.get("subject"),
            html=parts.get("html"),
            client_id=client_id,
            kind="notice",
            template_params=(new_value_masked,),
        )

    def _with_origin(self, text: str, code: str) -> str:
        return f"{text}\n@{self.origin_domain} #{code}" if self.origin_domain else text

    def _render_parts(self, names: dict[str, str], context: dict[str, Any]) -> dict[str, str]:
        return {part: self._render(name, context) for part, name in names.items()}

    def _render(self, name: str, context: dict[str, Any]) -> str:
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self._env.get_template(name)
        return template.render(context).strip()

    # ------------------------------------------------------------- start-up checks

    def _check(self, channel: Channel, usage: Usage, locale: Locale) -> None:
        longest = (
            f"a {len(_LONGEST_CODE)}-character code and a {_LONGEST_TTL // 60}-minute lifetime"
        )
        for ttl in _SAMPLE_TTLS:
            context = _code_context(
                channel, usage, locale, _LONGEST_CODE, ttl, "someone@example.com", "default"
            )
            for part, name in template_names(channel, usage, locale).items():
                text = self._checked_render(name, context, part)
                if part != "subject" and _LONGEST_CODE not in text:
                    raise ValueError(f"message template {name!r} must show the code {{{{ code }}}}")
                if channel == "sms":
                    text = self._with_origin(text, _LONGEST_CODE)
                    self._check_sms_length(name, text, locale, longest, bool(self.origin_domain))

    def _check_notice(self, channel: Channel, locale: Locale) -> None:
        for changed in _CHANGED_FIELDS:
            masked = _LONGEST_MASKED[changed]
            context = _notice_context(
                channel, locale, changed, masked, "someone@example.com", "default"
            )
            for part, name in notice_template_names(channel, locale).items():
                text = self._checked_render(name, context, part)
                if channel == "sms":
                    longest = f"a {len(masked)}-character masked {changed.replace('_', ' ')}"
                    self._check_sms_length(name, text, locale, longest, False)

    def _checked_render(self, name: str, context: dict[str, Any], part: str) -> str:
        try:
            text = self._render(name, context)
        except jinja2.TemplateSyntaxError as exc:
            # The error may be in a template this one extends or includes: name that one.
            where = exc.name or name
            raise ValueError(f"message template {where!r}, line {exc.lineno}: {exc}") from exc
        except jinja2.TemplateNotFound as exc:
            raise ValueError(f"message template {name!r}: {exc.name!r} was not found") from exc
        except jinja2.TemplateError as exc:
            raise ValueError(f"message template {name!r}: {exc}") from exc
        if part == "subject" and (not text or "\n" in text):
            raise ValueError(f"message template {name!r} must render one line")
        return text

    def _check_sms_length(
        self, name: str, text: str, locale: Locale, longest: str, with_origin: bool
    ) -> None:
        length, limit = sms_length(text, locale)
        if length > limit:
            origin = " with the origin-bound line" if with_origin else ""
            raise ValueError(
                f"message template {name!r} renders {length} characters{origin} for "
                f"{longest}; one {locale} SMS holds at most {limit}"
            )


def _code_context(
    channel: Channel,
    usage: Usage,
    locale: Locale,
    code: str,
    ttl_seconds: int,
    recipient: str,
    client_id: str,
) -> dict[str, Any]:
    values = {"ttl_minutes": ttl_minutes(ttl_seconds), "ttl_seconds": ttl_seconds}
    return _context(channel, recipient, client_id, code=code, usage=usage, locale=locale, **values)


def _notice_context(
    channel: Channel,
    locale: Locale,
    changed: ChangedField,
    new_value_masked: str,
    recipient: str,
    client_id: str,
) -> dict[str, Any]:
    values = {"changed": changed, "new_value_masked": new_value_masked, "locale": locale}
    return _context(channel, recipient, client_id, **values)


def _context(channel: Channel, recipient: str, client_id: str, **values: Any) -> dict[str, Any]:
    # SMS templates never see the recipient or the client id: their length is unknown at
    # start-up, so an SMS could outgrow one segment unnoticed.
    if channel == "email":
        values |= {"recipient": recipient, "client_id": client_id}
    return values


def _shorten(value: str, limit: int) -> str:
    """``value`` cut in the middle to ``limit`` characters; the end (the domain) stays."""
    if len(value) <= limit:
        return value
    head = (limit - 3) // 3
    return f"{value[:head]}...{value[-(limit - 3 - head) :]}"


@cache
def default_renderer() -> TemplateRenderer:
    """The packaged templates, English by default: built (and checked) once per process."""
    return TemplateRenderer()
