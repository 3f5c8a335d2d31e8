"""The Jinja2 environment for pages and messages: the application's folders first, then ours.

An application overrides any template by putting a file of the same name in one of its
``override_dirs``; the override can still extend the packaged original as
``{% extends "@otp_flow/login.html" %}`` (the prefix always reaches the packaged file).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jinja2

__all__ = ["make_environment", "packaged_templates"]


@cache
def packaged_templates() -> Path:
    """Where the shipped templates are: inside the wheel, or the checkout's top-level folder."""
    inside_wheel = Path(__file__).parent / "templates"
    if inside_wheel.is_dir():
        return inside_wheel
    checkout = Path(__file__).parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise RuntimeError("otp_flow's templates are missing from this installation")


def make_environment(override_dirs: Sequence[str | Path] = ()) -> jinja2.Environment:
    packaged = jinja2.FileSystemLoader(packaged_templates())
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(d) for d in override_dirs]),
            jinja2.PrefixLoader({"@otp_flow": packaged}, delimiter="/"),
            packaged,
        ]
    )
    return jinja2.Environment(
        loader=loader,
        # HTML is escaped; SMS and email text templates (.txt) are not.
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
