"""The public API is deliberate: everything in __all__ exists, and nothing public is missed."""

from __future__ import annotations

import otp_flow


def test_all_exports_exist() -> None:
    for name in otp_flow.__all__:
        assert hasattr(otp_flow, name), name


def test_every_public_top_level_name_is_exported() -> None:
    public = {
        name
        for name, value in vars(otp_flow).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("otp_flow")
    }
    assert public <= set(otp_flow.__all__)
