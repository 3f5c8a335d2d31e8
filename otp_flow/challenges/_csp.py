"""The Content-Security-Policy a page needs when it shows a challenge widget.

Without a challenge the pages load no script at all (``default-src 'none'``); with one, exactly
the chosen provider's origins are allowed, and only in the directives the widget uses.
"""

from __future__ import annotations

from otp_flow.challenges._base import Challenge, CSPSources

__all__ = ["csp_sources", "csp_with_challenge"]


def csp_sources(challenge: Challenge | None) -> CSPSources:
    """The origins to allow for ``challenge`` (nothing for None)."""
    return challenge.csp if challenge is not None else CSPSources()


def csp_with_challenge(policy: str, challenge: Challenge | None) -> str:
    """``policy`` (a CSP header value) with the challenge's origins added.

    A directive the policy already has gets the origins appended (a lone ``'none'`` is
    replaced, since it cannot be combined); a missing one is added — its fallback,
    ``default-src``, is not widened.
    """
    extra = csp_sources(challenge).directives()
    if not extra:
        return policy
    parts = [p.strip() for p in policy.split(";") if p.strip()]
    seen: set[str] = set()
    out: list[str] = []
    for part in parts:
        name, _, value = part.partition(" ")
        name = name.lower()
        if name in extra:
            seen.add(name)
            tokens = [t for t in value.split() if t != "'none'"]
            tokens += [o for o in extra[name] if o not in tokens]
            part = " ".join([name, *tokens])
        out.append(part)
    out += [" ".join([name, *origins]) for name, origins in extra.items() if name not in seen]
    return "; ".join(out)
