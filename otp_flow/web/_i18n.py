"""Page languages: the registry's locales (``otp_flow._i18n``), chosen from ``Accept-Language``.

Message ids are the English sentences themselves (gettext style), so English needs no catalog and
a missing translation shows English rather than an id. The catalogs are the registry's ``.po``
files (the packaged ones, and an application's ``locale_dirs`` before them); an application adds
or replaces single entries (for strings of its own overriding templates) with
``translations={"zh-CN": {...}}``.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otp_flow._i18n import N_, available_locales, load_translations
from otp_flow._i18n import negotiate as _negotiate

__all__ = ["LOCALES", "N_", "Gettext", "Texts", "Translator", "negotiate"]

#: The packaged page languages (an application's ``locale_dirs`` may add more).
LOCALES = available_locales()

Gettext = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Texts:
    """The translation functions of one locale, as pages and flows use them."""

    locale: str
    gettext: Gettext
    ngettext: Callable[..., str]
    duration: Callable[[float], str]


def negotiate(accept_language: str | None, locales: Sequence[str] = LOCALES) -> str:
    """The best of ``locales`` for an ``Accept-Language`` header (``otp_flow._i18n.negotiate``)."""
    return _negotiate(accept_language, locales)


class Translator:
    """The catalogs, and the page languages offered (``locales``, default all the registry has:
    the packaged ones plus those in ``locale_dirs``)."""

    def __init__(
        self,
        extra: Mapping[str, Mapping[str, str]] | None = None,
        *,
        locales: Sequence[str] | None = None,
        locale_dirs: Sequence[str | Path] = (),
    ) -> None:
        known = available_locales(locale_dirs)
        offered = tuple(known if locales is None else locales)
        if not offered or not set(offered) <= set(known) or isinstance(locales, str):
            raise ValueError(f"locales must be a non-empty list of {known}, got {locales!r}")
        self.locales = offered
        extra = extra or {}
        unknown = set(extra) - set(known)
        if unknown:
            raise ValueError(f"translations: unsupported locale(s) {sorted(unknown)}; use {known}")
        self._overrides = {locale: dict(extra.get(locale, {})) for locale in known}
        self._catalogs: dict[str, gettext.NullTranslations] = {
            locale: load_translations(locale, locale_dirs) for locale in known
        }

    def negotiate(self, accept_language: str | None) -> str:
        """The best offered locale for an ``Accept-Language`` header."""
        return _negotiate(accept_language, self.locales)

    def texts(self, locale: str) -> Texts:
        return Texts(locale, self.gettext(locale), self.ngettext(locale), self.duration(locale))

    def gettext(self, locale: str) -> Gettext:
        """``_("Try again in {wait}.", wait=...)``: translate, then fill the named fields."""
        overrides = self._overrides.get(locale, {})
        catalog = self._catalogs.get(locale, gettext.NullTranslations())

        def translate(message: str, /, **fields: Any) -> str:
            text = overrides.get(message) or catalog.gettext(message)
            return text.format(**fields) if fields else text

        return translate

    def ngettext(self, locale: str) -> Callable[..., str]:
        """``n_("1 attempt left", "{n} attempts left", n)``: the catalog's plural rule picks the
        form; an override (``translations=``) is keyed by the English form n selects."""
        overrides = self._overrides.get(locale, {})
        catalog = self._catalogs.get(locale, gettext.NullTranslations())

        def plural(singular: str, plural: str, n: int, /, **fields: Any) -> str:
            english = singular if n == 1 else plural
            text = overrides.get(english) or catalog.ngettext(singular, plural, n)
            return text.format(n=n, **fields)

        return plural

    def duration(self, locale: str) -> Callable[[float], str]:
        """A wait in words: "30 seconds", "5 minutes", "3 hours"."""
        n_ = self.ngettext(locale)

        def words(seconds: float) -> str:
            seconds = max(int(seconds + 0.999), 1)
            if seconds < 120:
                return n_("1 second", "{n} seconds", seconds)
            if seconds < 2 * 3600:
                return n_("1 minute", "{n} minutes", (seconds + 59) // 60)
            return n_("1 hour", "{n} hours", (seconds + 3599) // 3600)

        return words
