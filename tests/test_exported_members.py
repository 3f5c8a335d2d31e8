"""The public API is deliberate (as httpx's tests/test_exported_members.py): each public package's
``__all__`` equals the public names it actually holds, so nothing is exported by accident (a
helper imported into ``__init__``) and nothing public is left out of ``__all__``."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

import otp_flow
import otp_flow.errors

PUBLIC_PACKAGES = (
    "otp_flow",
    "otp_flow.challenges",
    "otp_flow.config",
    "otp_flow.messages",
    "otp_flow.senders",
    "otp_flow.stores",
    "otp_flow.tokens",
    "otp_flow.users",
    "otp_flow.users.sql",
    "otp_flow.web",
    "otp_flow.web.api",
)
# otp_flow.web.flows and otp_flow.web.openapi are implementation details of otp_flow.web; so
# are the dialect modules of otp_flow.web.api (one import, create_api_app, serves them all).
#: Modules a user imports from besides the packages above; every other module is private
#: (a leading underscore), its names reached through its package.
PUBLIC_MODULES = (
    "otp_flow.config.schema",  # python -m otp_flow.config.schema
    "otp_flow.defaults",
    "otp_flow.engine",
    "otp_flow.errors",
    "otp_flow.events",
    "otp_flow.identifiers",
    "otp_flow.metrics",
    "otp_flow.observers",
    "otp_flow.passwords",
    "otp_flow.policy",
    "otp_flow.runtime",
    "otp_flow.service",  # the ASGI factory of otp-flow serve
    "otp_flow.stores.base",
    "otp_flow.stores.memory",
    "otp_flow.stores.redis",
    "otp_flow.types",
    "otp_flow.web.flows",  # a package (pybabel skips directories named _*); its modules are private
    "otp_flow.web.openapi",
)
#: Dunder names a package exports on purpose.
PUBLIC_DUNDERS = {"__version__"}


def _public_names(package: types.ModuleType) -> set[str]:
    """Names a user can import from the package: its namespace (submodules aside) and the
    names it imports on first use (``_LAZY``, so that e.g. redis-py loads only when needed)."""
    held = {
        name
        for name, value in vars(package).items()
        if (not name.startswith("_") or name in PUBLIC_DUNDERS)
        and not isinstance(value, types.ModuleType)
    }
    return held | set(getattr(package, "_LAZY", ()))


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_equals_the_public_names(name: str) -> None:
    package = importlib.import_module(name)
    exported = package.__all__
    assert len(exported) == len(set(exported)), "a name is listed twice"
    assert set(exported) == _public_names(package)


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_every_exported_name_resolves(name: str) -> None:
    package = importlib.import_module(name)
    for exported in package.__all__:
        assert getattr(package, exported) is not None, exported


def test_every_other_module_is_private() -> None:
    """A module nobody is told to import from carries a leading underscore (httpx's layout), so
    what is public is a decision written above, not an accident of a file name."""
    public = {"otp_flow", "otp_flow.__main__", *PUBLIC_PACKAGES, *PUBLIC_MODULES}
    found = {
        module.name
        for module in pkgutil.walk_packages(otp_flow.__path__, "otp_flow.")
        if not any(part.startswith("_") for part in module.name.split("."))
    }
    assert found - public == set()
    assert public - found - {"otp_flow", "otp_flow.__main__"} == set()  # no stale entry


def test_every_error_of_the_tree_is_importable_from_the_top() -> None:
    assert set(otp_flow.errors.__all__) <= set(otp_flow.__all__)


def test_importing_otp_flow_does_not_load_redis() -> None:
    # A memory-store application pays nothing for redis-py; RedisStore loads it on first use.
    code = "import sys, otp_flow, otp_flow.stores; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    from otp_flow.stores import RedisStore
    from otp_flow.stores.redis import RedisStore as Direct

    assert RedisStore is Direct
