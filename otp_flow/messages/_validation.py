"""Start-up checks: every template is rendered once when the renderer is built.

A broken override then stops the application at start-up with a message naming the template,
instead of failing the first send. SMS templates see only values whose longest form is known
(see ``contexts``), so each SMS is checked to fit one segment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jinja2

from otp_flow._usages import REGISTRY, UsageSpec
from otp_flow.messages._contexts import CHANGED_FIELDS, ChangedField, code_context, notice_context
from otp_flow.messages._locales import LOCALES, Locale
from otp_flow.messages._names import notice_template_names, template_names
from otp_flow.messages._sms_text import MASKED_SMS_MAX, add_origin_line
from otp_flow.policy import CALLER_TTL_SECONDS, CODE_LENGTH
from otp_flow.senders._segments import sms_length
from otp_flow.types import CHANNELS, Channel, Usage

__all__ = ["RenderTemplate", "check_templates"]

#: Template name and context → rendered text: the renderer's own, so the checks see what a send
#: would produce.
RenderTemplate = Callable[[str, dict[str, Any]], str]

# What validation renders with: the longest code the policy allows and the longest lifetime a
# caller may ask for, so no real send can produce a longer SMS than the one checked.
_LONGEST_CODE = "7Q3X9K2M5W8R4T6Y"[: CODE_LENGTH[1]]
_LONGEST_TTL = CALLER_TTL_SECONDS[1]
_SAMPLE_TTLS = (_LONGEST_TTL, 60)
_LONGEST_MASKED: dict[ChangedField, str] = {
    "phone_number": "+8613912****5678",
    "email": "a***@" + "m" * (MASKED_SMS_MAX - 9) + ".com",
}


def check_templates(
    render: RenderTemplate,
    *,
    origin_domain: str | None,
    locales: Sequence[Locale] = LOCALES,
    usages: Mapping[Usage, UsageSpec] = REGISTRY,
) -> None:
    """Renders every message and notice template in every one of ``locales``: each usage's
    on the channels it is sent by (``UsageSpec.channels``), the notices on every channel.

    Raises ``ValueError`` naming the template when any template is missing, does not compile,
    lacks the code (notices have none), or renders an SMS longer than one segment.
    """
    for channel in CHANNELS:
        for usage in (name for name, spec in usages.items() if channel in spec.channels):
            for locale in locales:
                _check_code_message(render, origin_domain, channel, usage, locale)
        for locale in locales:
            _check_notice(render, channel, locale)


def _check_code_message(
    render: RenderTemplate,
    origin_domain: str | None,
    channel: Channel,
    usage: Usage,
    locale: Locale,
) -> None:
    longest = f"a {len(_LONGEST_CODE)}-character code and a {_LONGEST_TTL // 60}-minute lifetime"
    for ttl in _SAMPLE_TTLS:
        context = code_context(
            channel, usage, locale, _LONGEST_CODE, ttl, "someone@example.com", "default"
        )
        for part, name in template_names(channel, usage, locale).items():
            text = _checked_render(render, name, context, part)
            if part != "subject" and _LONGEST_CODE not in text:
                raise ValueError(f"message template {name!r} must show the code {{{{ code }}}}")
            if channel == "sms":
                text = add_origin_line(text, _LONGEST_CODE, origin_domain)
                _check_sms_length(name, text, locale, longest, bool(origin_domain))


def _check_notice(render: RenderTemplate, channel: Channel, locale: Locale) -> None:
    for changed in CHANGED_FIELDS:
        masked = _LONGEST_MASKED[changed]
        context = notice_context(channel, locale, changed, masked, "someone@example.com", "default")
        for part, name in notice_template_names(channel, locale).items():
            text = _checked_render(render, name, context, part)
            if channel == "sms":
                longest = f"a {len(masked)}-character masked {changed.replace('_', ' ')}"
                _check_sms_length(name, text, locale, longest, False)


def _checked_render(render: RenderTemplate, name: str, context: dict[str, Any], part: str) -> str:
    try:
        text = render(name, context)
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
    name: str, text: str, locale: Locale, longest: str, with_origin: bool
) -> None:
    length, limit = sms_length(text, locale)
    if length > limit:
        origin = " with the origin-bound line" if with_origin else ""
        raise ValueError(
            f"message template {name!r} renders {length} characters{origin} for "
            f"{longest}; one {locale} SMS holds at most {limit}"
        )
