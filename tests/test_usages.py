"""The usage registry is the one home of per-usage facts: every other table derives from it.

These tests pin that each consumer reads the registry (so adding a ``UsageSpec`` is the only
edit), and that the Redis field letters never change (codes stored by an older release must
still be found after an upgrade).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import jinja2
import pytest

import otp_flow.types
from otp_flow._usages import HOOK_KINDS, REDIS_FIELDS, REGISTRY, USAGES, Usage, UsageSpec
from otp_flow.errors import InvalidRequest
from otp_flow.messages._locales import LOCALES
from otp_flow.messages._names import template_names
from otp_flow.messages._validation import check_templates
from otp_flow.policy import check_channel
from otp_flow.stores import redis as redis_store
from otp_flow.types import CHANNELS
from otp_flow.users._hooks import UserEvent, UserHooks

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_the_registry_lists_every_usage_of_the_type() -> None:
    assert tuple(REGISTRY) == get_args(Usage) == USAGES
    assert otp_flow.types.USAGES is USAGES
    assert all(spec.name == name for name, spec in REGISTRY.items())


def test_redis_field_letters_are_unchanged() -> None:
    # Stored data depends on these letters: changing one orphans every pending code of that usage.
    assert dict(REDIS_FIELDS) == {
        "login": "l",
        "signup": "s",
        "update_userinfo": "u",
        "reset_password": "r",
    }


def test_the_redis_store_reads_its_fields_from_the_registry() -> None:
    assert {name: s.redis_field for name, s in REGISTRY.items()} == redis_store._USAGE_FIELDS


def test_hooks_accept_exactly_the_registry_hook_kinds() -> None:
    assert tuple(name for name, spec in REGISTRY.items() if spec.hook_kind) == HOOK_KINDS
    hooks = UserHooks()

    async def hook(event: UserEvent) -> None:
        pass

    for kind in HOOK_KINDS:
        assert hooks.register(kind, hook) is hook
    with pytest.raises(ValueError, match="unknown user event"):
        hooks.register("send", hook)  # type: ignore[arg-type]


def test_message_templates_are_named_by_the_registry_stem() -> None:
    for name, spec in REGISTRY.items():
        for channel in spec.channels:
            for locale in LOCALES:
                for template in template_names(channel, name, locale).values():
                    assert f"/{spec.template_stem}.{locale}." in template
                    assert (TEMPLATES / template).is_file(), template


def test_a_registry_that_disagrees_with_the_type_is_refused() -> None:
    from otp_flow._usages import _registry

    with pytest.raises(ValueError, match="disagree"):
        _registry(UsageSpec("login", redis_field="l", hook_kind=True, template_stem="login"))
    with pytest.raises(ValueError, match="one-letter"):
        _registry(
            *(
                UsageSpec(name, redis_field="x", hook_kind=True, template_stem=name)
                for name in USAGES
            )
        )


def test_a_usage_is_sent_by_known_channels_every_shipped_one_by_both() -> None:
    from otp_flow._usages import _registry

    assert all(spec.channels == CHANNELS for spec in REGISTRY.values())
    for channels in ((), ("fax",)):
        specs = [replace(spec, channels=channels) for spec in REGISTRY.values()]  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="channels"):
            _registry(*specs)


def test_an_email_only_usage_needs_no_sms_templates(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES / "messages", tmp_path / "messages")
    for sms in (tmp_path / "messages" / "sms").glob("signup.*"):
        sms.unlink()
    env = jinja2.Environment(  # make_environment's settings, without the packaged fallback
        loader=jinja2.FileSystemLoader(tmp_path),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def render(name: str, context: dict[str, Any]) -> str:
        return env.get_template(name).render(context)

    email_only = {**REGISTRY, "signup": replace(REGISTRY["signup"], channels=("email",))}
    check_templates(render, origin_domain=None, usages=email_only)
    with pytest.raises(ValueError, match=r"messages/sms/signup\.en\.txt"):
        check_templates(render, origin_domain=None)
    # ... and the engine refuses to send it by the channel it has no templates for.
    check_channel("signup", "email", email_only)
    with pytest.raises(InvalidRequest, match="usage signup is sent only by email"):
        check_channel("signup", "sms", email_only)
