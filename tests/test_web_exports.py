"""otp_flow.web's public API is deliberate: ``__all__`` lists exactly what it exports."""

from __future__ import annotations

import types

import otp_flow.web


def test_all_lists_the_public_names() -> None:
    public = {
        name
        for name, value in vars(otp_flow.web).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(otp_flow.web.__all__) == public
