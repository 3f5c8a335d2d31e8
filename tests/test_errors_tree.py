"""Every exception otp_flow defines is in the tree ``otp_flow.errors`` draws, where it is drawn.

The drawing is what a user reads to know what to catch; these tests keep it true: each exception
class in any module of the package appears in it, under the parent it really derives from, and
nothing in it derives from a bare ``Exception`` but ``OTPError`` itself.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import otp_flow
from otp_flow import errors

#: A drawn class: the root at the margin, every other after a branch; its column gives its depth.
_TREE_LINE = re.compile(r"^(?:[ │]*(?:├── |└── ))?(?P<name>[A-Z]\w+)\b")


def _defined_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(otp_flow.__path__, "otp_flow."):
        if info.name.endswith("__main__"):
            continue  # runs the CLI on import
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[value.__qualname__] = value
    return found


def _drawn_parents() -> dict[str, str | None]:
    """Name → the name drawn as its parent (None for the root), from the docstring."""
    doc = errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in doc.splitlines():
        if not line.startswith("    "):
            continue  # the drawing is indented by four spaces; prose is not
        match = _TREE_LINE.match(line[4:])
        if match is None:
            continue
        depth, name = match.start("name") // 4, match["name"]
        del stack[depth:]
        parents[name] = stack[-1] if stack else None
        stack.append(name)
    return parents


def test_every_exception_of_the_package_is_drawn_in_the_tree() -> None:
    defined = _defined_exceptions()
    assert len(defined) > 30  # the walk found the package's modules
    assert set(defined) - set(_drawn_parents()) == set()


def test_the_tree_draws_only_exceptions_that_exist() -> None:
    assert set(_drawn_parents()) - set(_defined_exceptions()) == set()


def test_each_exception_is_drawn_under_the_class_it_derives_from() -> None:
    defined = _defined_exceptions()
    for name, parent in _drawn_parents().items():
        ours = [base for base in defined[name].__bases__ if base.__module__.startswith("otp_flow")]
        assert [base.__name__ for base in ours] == ([parent] if parent else []), name


def test_nothing_but_the_root_derives_from_bare_exception() -> None:
    for name, cls in _defined_exceptions().items():
        if cls is not errors.OTPError:
            assert issubclass(cls, errors.OTPError), name


def test_moved_exceptions_keep_their_old_import_paths() -> None:
    from otp_flow.config import ConfigError
    from otp_flow.tokens import RefreshRejected, TokenRejected
    from otp_flow.users import IdentifierRequired, IdentifierTaken, Refused
    from otp_flow.users._base import IdentifierTaken as TakenFromBase
    from otp_flow.users._changes import IdentifierRequired as RequiredFromChanges
    from otp_flow.users._hooks import Refused as RefusedFromHooks

    assert ConfigError is errors.ConfigError and issubclass(ConfigError, ValueError)
    assert (TokenRejected, RefreshRejected) == (errors.TokenRejected, errors.RefreshRejected)
    assert IdentifierTaken is TakenFromBase is errors.IdentifierTaken
    assert IdentifierRequired is RequiredFromChanges is errors.IdentifierRequired
    assert Refused is RefusedFromHooks is errors.Refused
