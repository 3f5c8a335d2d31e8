"""The locales messages are written in, and choosing one from what a caller asked for."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["LOCALES", "Locale", "negotiate_locale"]

Locale = Literal["en", "zh-CN"]
LOCALES: tuple[Locale, ...] = get_args(Locale)


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
