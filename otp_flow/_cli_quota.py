"""``otp-flow quota show|reset``: a client's quota use in the configured store.

Only meaningful with a Redis store: the memory store lives inside each ``otp-flow serve``
process, where no other command can reach it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from otp_flow.config import Settings
from otp_flow.errors import StoreUnavailable
from otp_flow.runtime import build_store
from otp_flow.types import CHANNELS, Channel

__all__ = ["add_quota_parser", "run_quota"]

_MEMORY = (
    "otp-flow: the memory store lives inside each serving process; "
    "quota needs the shared store (store = a Redis URL)"
)


def add_quota_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    quota = commands.add_parser(
        "quota", help="show or reset a client's quota use (Redis store only)"
    )
    actions = quota.add_subparsers(dest="action", required=True)
    for action, text in (("show", "show the quota used"), ("reset", "set the quota used to 0")):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("--config", type=Path, required=True, help="TOML configuration file")
        sub.add_argument("--client", required=True, help="the client id")
        sub.add_argument(
            "--channel", choices=CHANNELS, help="one channel only (default: every channel)"
        )


def run_quota(settings: Settings, args: argparse.Namespace) -> int:
    if settings.store == "memory":
        print(_MEMORY, file=sys.stderr)
        return 2
    channels: tuple[Channel, ...] = (args.channel,) if args.channel else CHANNELS
    try:
        return asyncio.run(_run(settings, args.action, args.client, channels))
    except StoreUnavailable as exc:
        print(f"otp-flow: the store is unavailable: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a client id no key can hold
        print(f"otp-flow: {exc}", file=sys.stderr)
        return 2


async def _run(
    settings: Settings, action: str, client_id: str, channels: tuple[Channel, ...]
) -> int:
    from otp_flow.stores._quotas import RedisQuotaAdmin
    from otp_flow.stores.redis import RedisStore

    store = build_store(settings)
    if not isinstance(store, RedisStore):  # cannot be: build_store made it from a Redis URL
        raise TypeError("quota needs a RedisStore")
    admin = RedisQuotaAdmin(store)
    client = next((c for c in settings.clients if c.id == client_id), None)
    try:
        used = {channel: await admin.quota_used(client_id, channel) for channel in channels}
        if action == "reset":
            await admin.reset_quota(
                client_id, None if len(channels) == len(CHANNELS) else channels[0]
            )
    finally:
        await store.aclose()
    note = "" if client else " (not in the configuration)"
    print(f"client {client_id}{note}")
    for channel, count in used.items():
        quota = client.quota(channel) if client else None
        limit = "unlimited" if quota is None else str(quota)
        if action == "reset":
            print(f"  {channel:<6} reset: used {count} of {limit} before, now 0")
        else:
            print(f"  {channel:<6} used {count} of {limit}")
    return 0
