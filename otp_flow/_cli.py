"""The ``otp-flow`` command: ``serve`` runs the JSON APIs; ``check-config`` validates a file;
``config-schema`` writes the file's JSON Schema; ``quota show|reset`` reads or resets a client's
quota use (see ``otp_flow._cli_quota``)."""

from __future__ import annotations

import argparse
import copy
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from otp_flow._cli_quota import add_quota_parser, run_quota
from otp_flow.config import ConfigError, Settings, load_config
from otp_flow.config.schema import FILE_NAME
from otp_flow.config.schema import main as write_schema
from otp_flow.events import LoggingSettings, logging_config

__all__ = ["WithoutQueryString", "main"]


class WithoutQueryString(logging.Filter):
    """Cuts the query string off the path in uvicorn's access log lines.

    Yunpian callers put the phone number and the code in the query string
    (``/api/sms/verifyCode?phone=...&code=...``); codes must never reach the logs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs (client, method, path with query, http version, status) as arguments.
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].partition("?")[0], *args[3:])
        return True


def _log_config(logs: LoggingSettings) -> dict[str, Any]:
    """uvicorn's own logging configuration, with the access log passed through the filter,
    plus the ``otp_flow`` loggers (events included) as ``[logging]`` asks: text or JSON lines."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["without_query_string"] = {"()": WithoutQueryString}
    config["loggers"]["uvicorn.access"]["filters"] = ["without_query_string"]
    for section, entries in logging_config(logs.format, logs.level).items():
        config.setdefault(section, {}).update(entries)
    return config


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
    schema = commands.add_parser("config-schema", help="write the JSON Schema of the file")
    schema.add_argument("path", nargs="?", default=FILE_NAME, help=f"default: {FILE_NAME}")
    add_quota_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check-config":
            load_config(args.config)
            print(f"{args.config}: ok")
            return 0
        if args.command == "config-schema":
            return write_schema([args.path])
        if args.command == "quota":
            return run_quota(load_config(args.config), args)
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
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level,
        log_config=_log_config(settings.logging),
    )
    return 0
