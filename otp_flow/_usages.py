"""The one registry of usages (what a code is for): every table keyed by usage derives from here.

Adding a usage is one edit in this module: its name in ``Usage`` and its ``UsageSpec`` in
``REGISTRY`` (the module refuses to import when the two disagree). The Redis store's hash
fields (``REDIS_FIELDS``), the after-hooks' event kinds (``HOOK_KINDS``), the message
templates the start-up checks render (``otp_flow.messages._validation``) and the channels the
engine sends a usage by (``otp_flow.policy.check_channel``) all read from here.
What still needs adding by hand is content, not bookkeeping: the message templates themselves
(``templates/messages/<channel>/<template_stem>.<locale>.*``, for its ``channels`` only) and a
flow that uses the usage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

from otp_flow._channels import CHANNELS, Channel

__all__ = ["HOOK_KINDS", "REDIS_FIELDS", "REGISTRY", "USAGES", "Usage", "UsageSpec", "sent_by"]

Usage = Literal["login", "signup", "update_userinfo", "reset_password"]


@dataclass(frozen=True, slots=True)
class UsageSpec:
    """One usage and every fact other modules need about it."""

    name: Usage
    #: The field of the recipient's Redis hash that holds this usage's challenge (one letter;
    #: stored data depends on it, so a letter is never changed or reused).
    redis_field: str
    #: Whether the after-hooks fire for it (``UserHooks.register(name, ...)``).
    hook_kind: bool
    #: The file stem of its message templates: ``messages/<channel>/<stem>.<locale>.*``.
    template_stem: str
    #: The channels its codes are sent by: only their templates are needed (and checked at
    #: start-up); the engine refuses a send by another (an email-only usage: ``("email",)``).
    channels: tuple[Channel, ...] = CHANNELS


def _registry(*specs: UsageSpec) -> Mapping[Usage, UsageSpec]:
    fields = [spec.redis_field for spec in specs]
    if any(len(f) != 1 for f in fields) or len(set(fields)) != len(fields):
        raise ValueError(f"each usage needs its own one-letter Redis field, got {fields}")
    for spec in specs:
        if not spec.channels or not set(spec.channels) <= set(CHANNELS):
            raise ValueError(f"usage {spec.name} needs channels among {CHANNELS}")
    registry = {spec.name: spec for spec in specs}
    if tuple(registry) != get_args(Usage):
        raise ValueError(f"REGISTRY {tuple(registry)} and Usage {get_args(Usage)} disagree")
    return MappingProxyType(registry)


REGISTRY: Mapping[Usage, UsageSpec] = _registry(
    UsageSpec("login", redis_field="l", hook_kind=True, template_stem="login"),
    UsageSpec("signup", redis_field="s", hook_kind=True, template_stem="signup"),
    UsageSpec("update_userinfo", redis_field="u", hook_kind=True, template_stem="update_userinfo"),
    UsageSpec("reset_password", redis_field="r", hook_kind=True, template_stem="reset_password"),
)

USAGES: tuple[Usage, ...] = tuple(REGISTRY)
#: Usage → its field of the recipient hash (see stores/lua/issue.lua).
REDIS_FIELDS: Mapping[Usage, str] = MappingProxyType(
    {name: spec.redis_field for name, spec in REGISTRY.items()}
)
#: The usages after-hooks may register for, in registry order.
HOOK_KINDS: tuple[Usage, ...] = tuple(name for name, spec in REGISTRY.items() if spec.hook_kind)


def sent_by(channel: Channel) -> tuple[Usage, ...]:
    """The usages whose codes go by ``channel``, in registry order."""
    return tuple(name for name, spec in REGISTRY.items() if channel in spec.channels)
