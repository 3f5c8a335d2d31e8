"""``TemplateRenderer``: messages (codes and notices) rendered from the packaged templates and an
application's overrides; ``MessageRenderer``, the protocol the engine renders through."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import jinja2

from otp_flow import defaults
from otp_flow._i18n import available_locales
from otp_flow._templating import make_environment
from otp_flow.messages._contexts import CHANGED_FIELDS, ChangedField, code_context, notice_context
from otp_flow.messages._locales import Locale, negotiate_locale
from otp_flow.messages._names import notice_template_names, template_names
from otp_flow.messages._sms_text import MASKED_SMS_MAX, add_origin_line, shorten
from otp_flow.messages._validation import check_templates
from otp_flow.senders._base import Message
from otp_flow.types import Channel, Usage

__all__ = ["MessageRenderer", "TemplateRenderer", "default_renderer"]

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


class TemplateRenderer:
    """Renders messages from the packaged templates and the application's overrides.

    ``origin_domain``: when set (e.g. ``"example.com"``), every SMS ends with the origin-bound
    line ``@example.com #123456`` so browsers can offer the code for autofill (WebOTP).
    ``locale_dirs``: folders of extra gettext catalogs (``<locale>/LC_MESSAGES/otp_flow.po``);
    every locale with a catalog is offered, so its templates must exist (in ``override_dirs``).
    Raises ``ValueError`` naming the template when any template is missing, does not compile,
    lacks the code (notices have none), or renders an SMS longer than one segment.
    """

    def __init__(
        self,
        *,
        override_dirs: Sequence[str | Path] = (),
        default_locale: str = defaults.MESSAGE_LOCALE,
        origin_domain: str | None = None,
        locale_dirs: Sequence[str | Path] = (),
    ) -> None:
        self.locales = available_locales(locale_dirs)
        if default_locale not in self.locales:
            raise ValueError(f"default_locale must be one of {', '.join(self.locales)}")
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
        self.default_locale: Locale = default_locale
        self.origin_domain = origin_domain
        self._env = make_environment(override_dirs)
        self._templates: dict[str, jinja2.Template] = {}
        check_templates(self._render, origin_domain=origin_domain, locales=self.locales)

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
        chosen = negotiate_locale(locale, self.default_locale, self.locales)
        context = code_context(channel, usage, chosen, code, ttl_seconds, recipient, client_id)
        parts = self._render_parts(template_names(channel, usage, chosen), context)
        text = parts["text"]
        if channel == "sms":
            text = add_origin_line(text, code, self.origin_domain)
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
        if changed not in CHANGED_FIELDS:
            raise ValueError(f"changed must be one of {', '.join(CHANGED_FIELDS)}")
        chosen = negotiate_locale(locale, self.default_locale, self.locales)
        if channel == "sms":
            new_value_masked = shorten(new_value_masked, MASKED_SMS_MAX)
        context = notice_context(channel, chosen, changed, new_value_masked, recipient, client_id)
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

    def _render_parts(self, names: dict[str, str], context: dict[str, Any]) -> dict[str, str]:
        return {part: self._render(name, context) for part, name in names.items()}

    def _render(self, name: str, context: dict[str, Any]) -> str:
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self._env.get_template(name)
        return template.render(context).strip()


@cache
def default_renderer() -> TemplateRenderer:
    """The packaged templates, English by default: built (and checked) once per process."""
    return TemplateRenderer()
