"""Page languages: English and Simplified Chinese, chosen from ``Accept-Language``.

Message ids are the English sentences themselves (gettext style), so English needs no catalog and
a missing translation shows English rather than an id. The Chinese catalog is
``locales/zh-CN.json`` beside this module; an application adds or replaces entries (for strings
of its own overriding templates) with ``translations={"zh-CN": {...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["DEFAULT_LOCALE", "LOCALES", "Gettext", "Texts", "Translator", "negotiate"]

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"

Gettext = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Texts:
    """The translation functions of one locale, as pages and flows use them."""

    locale: str
    gettext: Gettext
    ngettext: Callable[..., str]
    duration: Callable[[float], str]


def negotiate(accept_language: str | None, locales: Sequence[str] = LOCALES) -> str:
    """The best of ``locales`` for an ``Accept-Language`` header (q-values honoured).

    Any Chinese variant maps to zh-CN: Simplified is closer for a Traditional reader than English.
    Without a match: English, or the first of ``locales`` when English is not offered.
    """
    best, best_q = (DEFAULT_LOCALE if DEFAULT_LOCALE in locales else locales[0]), 0.0
    for item in (accept_language or "").split(",")[:20]:
        tag, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        locale = {"zh": "zh-CN", "en": "en"}.get(primary)
        # Strictly greater: with equal q the earlier entry wins, as browsers list preferences.
        if locale is not None and locale in locales and q > best_q:
            best, best_q = locale, q
    return best


@cache
def _packaged(locale: str) -> dict[str, str]:
    path = resources.files("otp_flow.web").joinpath("locales", f"{locale}.json")
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


class Translator:
    """The catalogs, and the page languages offered (``locales``, default all of ``LOCALES``)."""

    def __init__(
        self,
        extra: Mapping[str, Mapping[str, str]] | None = None,
        *,
        locales: Sequence[str] | None = None,
    ) -> None:
        offered = tuple(LOCALES if locales is None else locales)
        if not offered or not set(offered) <= set(LOCALES) or isinstance(locales, str):
            raise ValueError(f"locales must be a non-empty list of {LOCALES}, got {locales!r}")
        self.locales = offered
        extra = extra or {}
        unknown = set(extra) - set(LOCALES)
        if unknown:
            raise ValueError(
                f"translations: unsupported locale(s) {sorted(unknown)}; use {LOCALES}"
            )
        self._catalogs: dict[str, dict[str, str]] = {
            locale: {**(_packaged(locale) if locale != "en" else {}), **extra.get(locale, {})}
            for locale in LOCALES
        }

    def negotiate(self, accept_language: str | None) -> str:
        """The best offered locale for an ``Accept-Language`` header."""
        return negotiate(accept_language, self.locales)

    def texts(self, locale: str) -> Texts:
        return Texts(locale, self.gettext(locale), self.ngettext(locale), self.duration(locale))

    def gettext(self, locale: str) -> Gettext:
        """``_("Try again in {wait}.", wait=...)``: translate, then fill the named fields."""
        catalog = self._catalogs.get(locale, {})

        def translate(message: str, /, **fields: Any) -> str:
            text = catalog.get(message) or message
            return text.format(**fields) if fields else text

        return translate

    def ngettext(self, locale: str) -> Callable[..., str]:
        """``n_("1 attempt left", "{n} attempts left", n)``; the plural form is the catalog id."""
        translate = self.gettext(locale)

        def plural(singular: str, plural: str, n: int, /, **fields: Any) -> str:
            return translate(singular if n == 1 else plural, n=n, **fields)

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
