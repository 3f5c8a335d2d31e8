"""Checking a code posted on a code page: the engine's verdict as the page needs it.

The pending challenge's token was read once already (``Flow.waiting``), so the engine is given
its claims and does not decode it again.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from otp_flow.errors import InvalidRequest, InvalidToken, VerificationFailed
from otp_flow.types import TokenClaims, Usage
from otp_flow.web._forms import normalise_code
from otp_flow.web._outcomes import Problem, verify_problem
from otp_flow.web._settings import AuthSettings

__all__ = ["verify_from_page"]


async def verify_from_page(
    settings: AuthSettings,
    request: Request,
    claims: TokenClaims,
    form: Mapping[str, str],
    *,
    usage: Usage,
) -> tuple[str, str] | Problem | None:
    """Check the posted ``code`` against the challenge ``claims`` name: the proven
    (channel, value), the problem to show on the code page, or None when the challenge is not
    this flow's to check (the flow restarts)."""
    try:
        result = await settings.engine.verify(
            claims,
            normalise_code(form.get("code", "")),
            client_id=settings.client_id,
            requester=settings.requester(request.scope),
        )
    except InvalidToken:
        return None
    except InvalidRequest:
        message = settings.pages.texts(request).gettext("Enter the code we sent you.")
        return Problem(message, field="code")
    except VerificationFailed as exc:
        return verify_problem(exc, settings.pages.texts(request))
    if result.usage != usage:
        return None
    return (result.recipient.channel, result.recipient.value)
