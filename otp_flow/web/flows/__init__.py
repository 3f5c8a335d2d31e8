"""The page flows of the auth sub-app, one module each."""

from __future__ import annotations

from starlette.routing import BaseRoute

from otp_flow.web.flows.login import LoginFlow
from otp_flow.web.flows.logout import LogoutFlow
from otp_flow.web.flows.reset_password import ResetPasswordFlow
from otp_flow.web.flows.sending import SendTimer
from otp_flow.web.flows.signup import SignupFlow
from otp_flow.web.flows.update_userinfo import UpdateUserinfoFlow
from otp_flow.web.settings import AuthSettings

__all__ = ["SendTimer", "routes"]

FLOWS = (LoginFlow, SignupFlow, UpdateUserinfoFlow, ResetPasswordFlow, LogoutFlow)


def routes(settings: AuthSettings, timer: SendTimer) -> list[BaseRoute]:
    # One timer for all flows: every real send teaches the silent ones how long to take.
    return [route for flow in FLOWS for route in flow(settings, timer).routes()]
