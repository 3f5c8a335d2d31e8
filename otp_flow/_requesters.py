"""Per-requester limits as the store sees them: ``RequesterLimits`` turned into the numbers of
one send or one check, and the store's counts turned back into ``RequesterStats``; and the
``[requesters]`` table of the configuration file, which is ``RequesterLimits`` and the proxies
whose forwarding headers name the requester.

A requester is whoever asks (the pages use the client address, ``otp_flow.web._requester``);
the engine only needs its key, a short string kept under the client's hash tag.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_network

from otp_flow._tables import Texts
from otp_flow.policy import RequesterLimits
from otp_flow.stores.base import IssueOutcome, RequesterChecks, RequesterSends
from otp_flow.types import RequesterStats, Usage

__all__ = [
    "RequesterSettings",
    "requester_checks",
    "requester_sends",
    "requester_stats",
    "trusted_networks",
]

_MAX_KEY_LENGTH = 200


def _check(requester: object) -> str:
    if not isinstance(requester, str) or not 0 < len(requester) <= _MAX_KEY_LENGTH:
        raise ValueError(f"requester must be a string of 1 to {_MAX_KEY_LENGTH} characters")
    return requester


def requester_sends(
    limits: RequesterLimits, requester: str | None, usage: Usage
) -> RequesterSends | None:
    """What one send by ``requester`` may spend (None: no requester named, no limits)."""
    if requester is None:
        return None
    signup = usage == "signup"
    return RequesterSends(
        key=_check(requester),
        budget="s" if signup else "l",
        window_ms=limits.window_seconds * 1000,
        window_limit=limits.signup_sends_per_window if signup else limits.sends_per_window,
        day_limit=limits.sends_per_day,
        recipient_day_limit=limits.recipient_per_day,
    )


def requester_checks(limits: RequesterLimits, requester: str | None) -> RequesterChecks | None:
    if requester is None:
        return None
    return RequesterChecks(
        _check(requester), limits.window_seconds * 1000, limits.checks_per_window
    )


def requester_stats(outcome: IssueOutcome, sends: RequesterSends | None) -> RequesterStats | None:
    if sends is None:
        return None
    return RequesterStats(
        window_count=outcome.requester_window_count,
        window_limit=sends.window_limit,
        day_count=outcome.requester_day_count,
        day_limit=sends.day_limit,
    )


class RequesterSettings(RequesterLimits, frozen=True):
    """Who is asking on the pages and how much one requester may do (`otp_flow.RequesterLimits`);
    `0` switches a limit off. The JSON APIs, whose callers are authenticated clients, name no
    requester. See [Limits](limits.md#per-requester-limits)."""

    trusted_proxies: Texts = ()
    """Addresses or CIDR networks of the reverse proxies whose `X-Forwarded-For` / `Forwarded`
    headers are believed; from anyone else they are ignored. The demo passes it to
    `create_auth_app(trusted_proxies=)` (`otp-flow serve` has no pages)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        trusted_networks(self.trusted_proxies)  # at start, as the pages' ClientAddress will

    @property
    def limits(self) -> RequesterLimits:
        return self.to(RequesterLimits)


def trusted_networks(proxies: Iterable[str]) -> tuple[IPv4Network | IPv6Network, ...]:
    """``trusted_proxies`` (addresses or CIDR networks, blanks around ignored) as networks, else
    ``ValueError`` saying which: the configuration and ``ClientAddress`` read them alike."""
    try:
        return tuple(ip_network(proxy.strip(), strict=False) for proxy in proxies)
    except (ValueError, AttributeError) as exc:  # AttributeError: not a string
        raise ValueError(f"trusted_proxies: {exc}") from exc
