"""The one locale registry: which languages exist, their gettext catalogs, and choosing one.

A language exists when a catalog ``<dir>/<ll_CC>/LC_MESSAGES/otp_flow.po`` exists in the packaged
``otp_flow/locales`` folder or in one of an application's ``locale_dirs`` (English, the source
language, always exists: its msgids are the English sentences, so it needs no catalog and a
missing translation shows English). Pages (``otp_flow.web._i18n``) and messages
(``otp_flow.messages``) both read this registry and both negotiate with ``negotiate`` here, so a
new language is one ``.po`` file plus the message templates, without Python.

Catalogs are compiled in memory when first loaded (Babel reads the ``.po``, writes the ``.mo``,
the standard library's ``gettext`` reads that), so no build step is needed.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DOMAIN",
    "N_",
    "PACKAGED_LOCALE_DIR",
    "SOURCE_LOCALE",
    "available_locales",
    "load_translations",
    "negotiate",
]

#: The language the msgids are written in.
SOURCE_LOCALE = "en"
#: The gettext domain: catalogs are ``<locale>/LC_MESSAGES/otp_flow.po``.
DOMAIN = "otp_flow"
PACKAGED_LOCALE_DIR = Path(__file__).parent / "locales"
# A header longer than this many entries is cut (a browser sends a handful).
_MAX_ENTRIES = 20


def N_(message: str) -> str:  # the gettext convention: pybabel extracts N_() by default
    """Marks ``message`` for extraction without translating it (it is translated where shown)."""
    return message


def _tag(folder: str) -> str:
    """gettext folder name → BCP 47 tag: ``zh_CN`` → ``zh-CN``."""
    return folder.replace("_", "-")


def _catalog_paths(locale_dirs: Sequence[str | Path]) -> dict[str, list[Path]]:
    """Locale tag → its catalogs, the application's dirs first, the packaged one last."""
    found: dict[str, list[Path]] = {}
    for directory in (*locale_dirs, PACKAGED_LOCALE_DIR):
        root = Path(directory)
        if not root.is_dir():
            raise ValueError(f"locale directory {str(directory)!r} does not exist")
        for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            found.setdefault(_tag(po.parent.parent.name), []).append(po)
    return found


def available_locales(locale_dirs: Sequence[str | Path] = ()) -> tuple[str, ...]:
    """English first, then every locale with a catalog, sorted: ``("en", "zh-CN")``."""
    others = sorted(set(_catalog_paths(locale_dirs)) - {SOURCE_LOCALE})
    return (SOURCE_LOCALE, *others)


@cache
def _compiled(po_path: Path) -> bytes:
    with po_path.open("rb") as po:
        catalog = read_po(po, locale=po_path.parent.parent.name)
    mo = io.BytesIO()
    write_mo(mo, catalog)  # fuzzy entries are left out, as msgfmt does
    return mo.getvalue()


def load_translations(
    locale: str, locale_dirs: Sequence[str | Path] = ()
) -> gettext.NullTranslations:
    """The catalogs of ``locale`` chained (the application's first); for a locale without a
    catalog (English), translations that return the msgid."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    for po_path in reversed(_catalog_paths(locale_dirs).get(locale, [])):
        translations = gettext.GNUTranslations(io.BytesIO(_compiled(po_path)))
        translations.add_fallback(chain)
        chain = translations
    return chain


def negotiate(requested: str | None, locales: Sequence[str], default: str | None = None) -> str:
    """The best of ``locales`` for an ``Accept-Language`` value or a single tag (RFC 9110).

    q-values are honoured (q=0 or an unreadable q means "not acceptable"; with equal q the
    earlier entry wins, as browsers list preferences). A tag matches a locale exactly, else by
    its language: ``zh``, ``zh-TW``, ``zh-Hans`` → ``zh-CN`` (Simplified is closer for a
    Traditional reader than English), ``en-US`` → ``en``. Nothing asked (None, empty, ``*``) →
    ``default``; something asked but nothing offered matches → English, else ``default``.
    ``default`` is English when offered, else the first of ``locales``.
    """
    if not locales:
        raise ValueError("negotiate needs at least one locale")
    if default is None:
        default = SOURCE_LOCALE if SOURCE_LOCALE in locales else locales[0]
    entries = _parse(requested)
    if not entries or all(tag == "*" for tag, _ in entries):
        return default
    best, best_q = "", 0.0
    for tag, q in entries:
        locale = default if tag == "*" else _match(tag, locales)
        if locale and q > best_q:
            best, best_q = locale, q
    return best or (SOURCE_LOCALE if SOURCE_LOCALE in locales else default)


def _parse(requested: str | None) -> list[tuple[str, float]]:
    entries = []
    for item in (requested or "").split(",")[:_MAX_ENTRIES]:
        tag, _, params = item.partition(";")
        tag = tag.strip().replace("_", "-").lower()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # RFC 9110 bounds q to 0..1; nan compares false, so it is never chosen.
        entries.append((tag, min(q, 1.0)))
    return entries


def _match(tag: str, locales: Sequence[str]) -> str | None:
    by_tag = {locale.lower(): locale for locale in locales}
    if tag in by_tag:
        return by_tag[tag]
    language = tag.split("-")[0]
    return next((loc for loc in locales if loc.lower().split("-")[0] == language), None)
