"""The ``otp-flow`` command: ``serve`` runs the JSON APIs; ``check-config`` validates a file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from otp_flow.config import ConfigError, Settings, load_config

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otp-flow", description="One-time passcodes by SMS and email."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the CIAM, Yunpian and OnlyID JSON APIs")
    serve.add_argument(
        "--config",
        type=Path,
        help="TOML configuration file (default: memory store, dev outbox, one random client)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
    )
    check = commands.add_parser("check-config", help="validate a configuration file and exit")
    check.add_argument("config", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-config":
            load_config(args.config)
            print(f"{args.config}: ok")
            return 0
        settings = load_config(args.config) if args.config else Settings.development()
    except ConfigError as exc:
        print(f"otp-flow: {exc}", file=sys.stderr)
        return 2
    return _serve(
        settings, host=args.host, port=args.port, log_level=args.log_level, dev=not args.config
    )


def _serve(settings: Settings, *, host: str, port: int, log_level: str, dev: bool) -> int:
    import uvicorn

    from otp_flow.service import create_app

    if dev:
        client = settings.clients[0]
        print(
            "otp-flow: no --config: memory store, outbox senders and one development client\n"
            f"  client id:     {client.id}\n"
            f"  client secret: {client.secret}",
            flush=True,
        )
    if settings.dev:
        print(f"otp-flow: dev outbox at http://{host}:{port}/dev/outbox", flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
    return 0
