"""Every engine and sender outcome as a friendly, translated sentence and an HTTP status.

Form problems re-render the page with 422; a dependency that is down answers 503 (a store outage
never reaches this module: the sub-app turns ``StoreUnavailable`` into the 503 page).
"""

from __future__ import annotations

from dataclasses import dataclass

from otp_flow.errors import (
    AttemptsExceeded,
    BlockedEmail,
    DeliveryFailed,
    MalformedEmail,
    OTPError,
    PhoneRegionNotAllowed,
    QuotaExhausted,
    RateLimited,
    TooManyChecks,
    VerificationFailed,
    WrongCode,
)
from otp_flow.web._i18n import N_, Texts

__all__ = [
    "NOTICES",
    "Problem",
    "attempts_problem",
    "name_problem",
    "password_problem",
    "send_problem",
    "taken_problem",
    "verify_problem",
]

#: Messages a page shows after a redirect, picked by ``?notice=<key>`` (only these keys).
NOTICES = {
    "restart": N_("Your code request has expired or is no longer valid. Please start again."),
    "resent": N_("We sent you a new code."),
    "saved": N_("Your changes are saved."),
    "signed_out": N_("You are signed out."),
    "sign_in_first": N_("Please sign in first."),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """What to tell the person: the sentence, the page status, the field it belongs to, and
    (a 429) the seconds after which to try again (the ``Retry-After`` header)."""

    message: str
    status: int = 422
    field: str | None = None
    retry_after: int | None = None


def send_problem(exc: OTPError, t: Texts) -> Problem:
    """A refused or failed send (the identifier field, or the whole form)."""
    _ = t.gettext
    match exc:
        case PhoneRegionNotAllowed():
            message = _(
                "Mobile numbers from this country or region (+{code}) cannot be used here.",
                code=str(exc.calling_code),
            )
            return Problem(message, field="identifier")
        case MalformedEmail():
            return Problem(_("Enter a valid email address."), field="identifier")
        case BlockedEmail():
            return Problem(_("Email addresses of this domain cannot be used."), field="identifier")
        case RateLimited(limit="resend_interval"):
            wait = t.duration(exc.retry_after)
            return Problem(
                _("A code was sent a moment ago. You can ask for a new one in {wait}.", wait=wait)
            )
        case RateLimited(limit="failures"):
            wait = t.duration(exc.retry_after)
            return Problem(
                _("Too many wrong codes. You can ask for a new one in {wait}.", wait=wait)
            )
        case RateLimited():
            wait = t.duration(exc.retry_after)
            message = _("Too many codes were requested. Please try again in {wait}.", wait=wait)
            if exc.limit.startswith("requester_"):  # this requester's own limits: a 429
                return Problem(message, 429, retry_after=exc.retry_after)
            return Problem(message)
        case QuotaExhausted():
            return Problem(_("We cannot send codes right now. Please try again later."), 503)
        case DeliveryFailed():
            return Problem(_("We could not send the code. Please try again in a moment."), 503)
        case _:  # MalformedPhoneNumber, or an identifier that is neither phone nor email
            return Problem(_("Enter a valid mobile number or email address."), field="identifier")


def verify_problem(exc: VerificationFailed, t: Texts) -> Problem:
    """A code that was not accepted (always about the ``code`` field)."""
    _ = t.gettext
    match exc:
        case TooManyChecks():
            return attempts_problem(exc.retry_after, t, field="code")
        case WrongCode() if exc.attempts_remaining > 0:
            message = t.ngettext(
                "That code is not correct. You have 1 attempt left.",
                "That code is not correct. You have {n} attempts left.",
                exc.attempts_remaining,
            )
            return Problem(message, field="code")
        case WrongCode() | AttemptsExceeded():
            message = N_("Too many wrong attempts: this code no longer works. Ask for a new one.")
            return Problem(_(message), field="code")
        case _:  # CodeExpired, NoChallenge: this code will never work again
            return Problem(_("This code has expired. Ask for a new one."), field="code")


def attempts_problem(retry_after: int, t: Texts, *, field: str | None = None) -> Problem:
    """429: too many tries (codes checked by a requester, or passwords for an identifier), with
    the whole minutes to wait; ``field`` is where to show it (None: the whole form)."""
    message = t.ngettext(
        "Too many attempts. Try again in 1 minute.",
        "Too many attempts. Try again in {n} minutes.",
        -(-retry_after // 60),  # whole minutes, rounded up: never "0 minutes"
    )
    return Problem(message, 429, field=field, retry_after=retry_after)


def taken_problem(field: str, t: Texts, *, to_sign_in: bool) -> Problem:
    """The proven address is already registered (only ever said after the code)."""
    _ = t.gettext
    if to_sign_in:
        if field == "phone_number":
            return Problem(_("This phone number is already registered. Please sign in instead."))
        return Problem(_("This email address is already registered. Please sign in instead."))
    if field == "phone_number":
        return Problem(_("This phone number already belongs to another account."))
    return Problem(_("This email address already belongs to another account."))


def name_problem(problem: str, t: Texts, max_length: int) -> Problem:
    _ = t.gettext
    if problem == "required":
        return Problem(_("Enter a display name."), field="display_name")
    if problem == "too_long":
        message = _("The display name can have at most {n} characters.", n=max_length)
        return Problem(message, field="display_name")
    message = _("The display name contains characters that are not allowed.")
    return Problem(message, field="display_name")


def password_problem(problem: str, t: Texts, min_length: int, max_length: int) -> Problem:
    _ = t.gettext
    if problem == "too_short":
        message = _("The password must have at least {n} characters.", n=min_length)
    else:
        message = _("The password can have at most {n} characters.", n=max_length)
    return Problem(message, field="password")
