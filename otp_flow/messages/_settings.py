"""The ``[messages]`` table of the configuration file, and the renderer it builds."""

from __future__ import annotations

import functools

from otp_flow import defaults
from otp_flow._tables import Table, Texts
from otp_flow.messages._renderer import TemplateRenderer

__all__ = ["MessageSettings"]


class MessageSettings(Table, frozen=True):
    """The SMS and email templates (`otp_flow.messages.TemplateRenderer`); every template is
    rendered once at start, so a broken override fails there."""

    template_dirs: Texts = ()
    """Folders searched before the packaged message templates (`messages/sms/...`,
    `messages/email/...`); each must exist."""
    default_locale: str = defaults.MESSAGE_LOCALE
    'Language of a message when the caller names none: `"en"` or `"zh-CN"`.'
    origin_domain: str | None = None
    """A bare host name such as `example.com`: every SMS then ends with `@example.com #123456`,
    so browsers can offer the code for autofill (WebOTP)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.renderer()

    def renderer(self) -> TemplateRenderer:
        return _renderer(self)


@functools.lru_cache(maxsize=16)
def _renderer(settings: MessageSettings) -> TemplateRenderer:
    # Building one renders every template to check it (~0.1 s); equal settings share one.
    return TemplateRenderer(
        override_dirs=settings.template_dirs,
        default_locale=settings.default_locale,
        origin_domain=settings.origin_domain,
    )
