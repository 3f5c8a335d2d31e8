"""Logout: GET asks for confirmation (a link cannot sign anyone out), POST ends the session.

The session is deleted on the server, so a copy of the cookie stops working too.
"""

from __future__ import annotations

from typing import ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from otp_flow.web._forms import safe_next
from otp_flow.web._signin import sign_out
from otp_flow.web.flows._base import Flow

__all__ = ["LogoutFlow"]


class LogoutFlow(Flow):
    name: ClassVar[str] = "logout"
    template: ClassVar[str] = "logout.html"

    def routes(self) -> list[Route]:
        return [Route("/logout", self.logout, methods=["GET", "POST"], name="logout")]

    async def logout(self, request: Request) -> Response:
        user = await self.current_user(request)
        if request.method == "GET":
            next_url = safe_next(request.query_params.get("next"), "")
            if user is None:
                return RedirectResponse(
                    next_url or self.settings.pages.home(request), status_code=303
                )
            return self.page(request, user, next=next_url)
        form = await self.form(request)
        target = safe_next(form.get("next"), "") or self.url(request, "login", notice="signed_out")
        response = RedirectResponse(target, status_code=303)
        await sign_out(self.settings, request, response)
        return response
