"""``python -m demo_app``: serve the demo on ``HOST``:``PORT`` (default 127.0.0.1:8000).

``OTP_FLOW_CONFIG=path/to/config.toml`` loads the same configuration file as ``otp-flow serve``;
without it the demo runs on the embedded memory store with outbox senders (codes appear at
``/dev/outbox``).
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

from demo_app.app import create_demo_app, load_settings
from otp_flow._cli import WithoutQueryString
from otp_flow.config import ConfigError


def access_log_config() -> dict[str, Any]:
    """uvicorn's logging, with the access log cut before the query string (as ``otp-flow
    serve`` does): a Yunpian ``verifyCode?...&code=...`` must never put a code in the log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["without_query_string"] = {"()": WithoutQueryString}
    config["loggers"]["uvicorn.access"]["filters"] = ["without_query_string"]
    return config


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    config = os.environ.get("OTP_FLOW_CONFIG")
    raw_port = os.environ.get("PORT", "8000")
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        print(f"demo_app: PORT must be a port number, got {raw_port!r}", file=sys.stderr)
        return 2
    port = int(raw_port)
    try:
        settings = load_settings(config)
        app = create_demo_app(settings)
    except (ValueError, ConfigError) as exc:
        print(f"demo_app: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    base = f"http://{host}:{port}"
    print(f"demo_app: serving {base}  (sign in at {base}/auth/login)", flush=True)
    if settings.dev and app.state.runtime.outbox is not None:
        print(f"demo_app: messages are not sent; read them at {base}/dev/outbox", flush=True)
    if not config:  # a random development client, so the JSON APIs can be tried too
        client = settings.clients[0]
        print(f"demo_app: JSON API client id {client.id}, secret {client.secret}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=access_log_config())
    return 0


if __name__ == "__main__":
    sys.exit(main())
