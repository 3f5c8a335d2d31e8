"""The locales messages are written in, and choosing one: the registry's (``otp_flow._i18n``).

A locale has messages when it has a catalog (packaged, or in a renderer's ``locale_dirs``); the
renderer then requires its templates (``messages/<channel>/<usage>.<locale>.*``) at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from otp_flow._i18n import SOURCE_LOCALE, available_locales, negotiate

__all__ = ["LOCALES", "Locale", "negotiate_locale"]

#: A BCP 47 tag of the registry, e.g. ``"en"`` or ``"zh-CN"``.
Locale = str
#: The packaged locales.
LOCALES: tuple[Locale, ...] = available_locales()


def negotiate_locale(
    requested: str | None, default: Locale = SOURCE_LOCALE, locales: Sequence[Locale] = LOCALES
) -> Locale:
    """The best of ``locales`` for a single tag or a whole ``Accept-Language`` value (q-values
    honoured): ``zh``, ``zh-CN``, ``zh_TW``, ``zh-Hans``… → ``zh-CN``; nothing asked (None,
    empty, ``*``) → ``default``; an unknown language → English."""
    return negotiate(requested, locales, default)
