"""The page flows of the auth sub-app, one module each."""

from __future__ import annotations

from starlette.routing import BaseRoute

from otp_flow.web._settings import AuthSettings
from otp_flow.web.flows._login import LoginFlow
from otp_flow.web.flows._logout import LogoutFlow
from otp_flow.web.flows._reset_password import ResetPasswordFlow
from otp_flow.web.flows._sending import SendTimer
from otp_flow.web.flows._signup import SignupFlow
from otp_flow.web.flows._update_userinfo import UpdateUserinfoFlow

__all__ = ["SendTimer", "routes"]

FLOWS = (LoginFlow, SignupFlow, UpdateUserinfoFlow, ResetPasswordFlow, LogoutFlow)


def routes(settings: AuthSettings, timer: SendTimer) -> list[BaseRoute]:
    # One timer for all flows: every real send teaches the silent ones how long to take.
    return [route for flow in FLOWS for route in flow(settings, timer).routes()]
