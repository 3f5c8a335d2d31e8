"""The ``Challenge`` protocol and the values a page needs to show one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from otp_flow import defaults
from otp_flow.errors import ChallengeUnavailable

__all__ = [
    "ASK_AFTER_SENDS",
    "ASK_SITE_SHARE",
    "CSPSources",
    "Challenge",
    "ChallengeUnavailable",
    "Widget",
]

#: The pages ask one requester for a challenge once it has made this many sends in its window,
ASK_AFTER_SENDS = defaults.CHALLENGE_AFTER_SENDS_PER_REQUESTER
#: ... and everyone once this share of the site's day budget (``Limits.app_per_day``) is spent.
ASK_SITE_SHARE = defaults.CHALLENGE_SITE_BUDGET_THRESHOLD


@dataclass(frozen=True, slots=True)
class CSPSources:
    """Origins a page showing the widget must allow, per Content-Security-Policy directive."""

    script_src: tuple[str, ...] = ()
    frame_src: tuple[str, ...] = ()
    connect_src: tuple[str, ...] = ()
    style_src: tuple[str, ...] = ()

    def directives(self) -> dict[str, tuple[str, ...]]:
        """``{"script-src": (...), ...}``, only the directives with origins."""
        named = {
            "script-src": self.script_src,
            "frame-src": self.frame_src,
            "connect-src": self.connect_src,
            "style-src": self.style_src,
        }
        return {name: origins for name, origins in named.items() if origins}


@dataclass(frozen=True, slots=True)
class Widget:
    """What a template needs to render the widget inside a form.

    ``<script src="{{ script_url }}" async defer></script>`` once per page, and
    ``<div class="{{ element_class }}" data-sitekey="{{ site_key }}"></div>`` inside the form;
    the provider's script then adds a hidden field ``field_name`` holding the token.
    reCAPTCHA v3 (``invisible``) has no element: the page runs
    ``grecaptcha.execute(site_key, {action})`` and puts the token in ``field_name`` itself.
    """

    provider: str
    site_key: str
    script_url: str
    element_class: str
    field_name: str
    invisible: bool = False


@runtime_checkable
class Challenge(Protocol):
    """Verifies the token a form posts. See the package docstring for the outcomes."""

    @property
    def widget(self) -> Widget: ...

    @property
    def field_name(self) -> str: ...

    @property
    def csp(self) -> CSPSources: ...

    async def verify(
        self, token: str, *, remote_ip: str | None, action: str | None = None
    ) -> bool: ...

    async def aclose(self) -> None: ...
