"""otp_flow.web's public API (its ``__all__`` equality is checked with every public package's in
tests/test_exported_members.py): what an application raises or catches is exported from it."""

from __future__ import annotations

import otp_flow.web
from otp_flow.errors import OTPError


def test_the_web_errors_an_application_handles_are_exported() -> None:
    # require_user raises LoginRequired (an endpoint may too); CSRFError may reach the app's
    # own handlers. Both are in the one tree, so ``except OTPError`` covers them.
    for name in ("LoginRequired", "CSRFError"):
        assert name in otp_flow.web.__all__
        assert issubclass(getattr(otp_flow.web, name), OTPError)
