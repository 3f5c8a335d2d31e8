"""Serve from an installed otp_flow wheel: ``otp-flow serve`` on Redis, then the demo.

Run with the interpreter of an environment the wheel was installed into, from a directory outside
the checkout, so nothing can come from the source tree:

    <venv>/bin/python tests/wheel_check.py --demo demo_app [--redis-server PATH]

Only the standard library and otp_flow's own dependencies are used (the test extra may be absent).
``otp-flow serve`` runs the console script the wheel installed, on a private redis-server (so the
Lua scripts must load from the wheel); the demo renders the packaged page templates and messages.
tests/test_wheel.py runs it against a wheel it built; .ci/run against a wheel installed with its
declared dependencies. Exit status 0 and a last line ``wheel check: ok`` mean it all worked.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CLIENT_ID, CLIENT_SECRET = "wheel-client", "wheel-client-secret"
CONFIG = """
secret_keys = ["wheel-check-secret-key-0123456789"]
store = "{store}"
dev = true
[limits]
resend_interval_seconds = 0
[[clients]]
id = "{client_id}"
secret = "{client_secret}"
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_installed_package() -> None:
    import otp_flow
    from otp_flow._templating import packaged_templates

    package = Path(otp_flow.__file__).resolve().parent
    prefix = Path(sys.prefix).resolve()
    assert package.is_relative_to(prefix), f"otp_flow comes from {package}, not from {prefix}"
    templates = packaged_templates().resolve()
    assert templates == package / "templates", templates
    for name in ("login.html", "messages/sms/login.zh-CN.txt"):
        assert (templates / name).is_file(), f"{name} is missing from the installed templates"
    catalog = package / "locales" / "zh_CN" / "LC_MESSAGES" / "otp_flow.po"
    assert catalog.is_file(), "the Chinese catalog is missing from the installed package"
    for script in ("issue.lua", "verify.lua", "cancel.lua"):
        assert (package / "stores" / "lua" / script).is_file(), f"{script} is missing"


@contextmanager
def process(
    command: list[str], *, url: str, cwd: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """Run ``command`` until the block ends, once ``url`` answers; its output on failure."""
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if child.poll() is not None or time.monotonic() > deadline:
                    child.kill()
                    output = child.communicate()[0]
                    raise SystemExit(f"{command} did not start:\n{output}") from None
                time.sleep(0.1)  # polling a child process's start-up
        yield child
    finally:
        child.terminate()
        output = child.communicate(timeout=30)[0]
        if "Traceback" in output:
            raise SystemExit(f"{command} logged a traceback:\n{output}")


@contextmanager
def redis_server(binary: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    command = [
        binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
        "--dir", str(workdir),
    ]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"redis-server ({binary}) did not start")
            time.sleep(0.05)  # polling a child process's start-up
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        child.kill()
        child.wait(timeout=10)


def check_serve(workdir: Path, redis_url: str) -> None:
    config = workdir / "otp-flow.toml"
    config.write_text(
        CONFIG.format(store=redis_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
        encoding="utf-8",
    )
    script = Path(sysconfig.get_path("scripts")) / "otp-flow"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(script), "serve", "--config", str(config), "--port", str(port)]
    with process(command, url=f"{url}/openapi.json", cwd=workdir):
        auth = (CLIENT_ID, CLIENT_SECRET)
        with httpx.Client(base_url=url, auth=auth, timeout=10) as http:
            sent = http.post("/otp/send", json={"phone_number": "13612345678"})
            assert sent.status_code == 200, sent.text
            (message,) = http.get("/dev/outbox.json").json()["messages"]
            assert message["code"] in message["text"], message  # rendered from the templates
            verified = http.post(
                "/otp/verify", json={"otp_token": sent.json()["otp_token"], "code": message["code"]}
            )
            assert verified.json()["verified"] is True, verified.text
            again = http.post(
                "/otp/verify", json={"otp_token": sent.json()["otp_token"], "code": message["code"]}
            )
            assert again.status_code == 400, again.text  # the Lua verify spent the code


def check_demo(workdir: Path, demo: Path) -> None:
    app_dir = workdir / "app"
    shutil.copytree(demo, app_dir / "demo_app", ignore=shutil.ignore_patterns("__pycache__"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OTP_FLOW_CONFIG")}
    env.update(HOST="127.0.0.1", PORT=str(port))
    command = [sys.executable, "-m", "demo_app"]
    with process(command, url=f"{url}/auth/login", cwd=app_dir, env=env):
        page = httpx.get(f"{url}/auth/login", timeout=10)
        assert page.status_code == 200, page.text
        assert 'name="identifier"' in page.text and 'name="csrf_token"' in page.text
        assert "Demo mode" in page.text  # the demo's override, extending the packaged page
        zh = httpx.get(f"{url}/auth/signup", headers={"Accept-Language": "zh-CN"}, timeout=10)
        assert "创建账户" in zh.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, required=True, help="the checkout's demo_app")
    parser.add_argument("--redis-server", default=shutil.which("redis-server"))
    args = parser.parse_args()
    if not args.redis_server:
        raise SystemExit("no redis-server: pass --redis-server")
    check_installed_package()
    with tempfile.TemporaryDirectory(prefix="otp-flow-wheel-") as tmp:
        workdir = Path(tmp)
        with redis_server(args.redis_server, workdir) as redis_url:
            check_serve(workdir, redis_url)
        check_demo(workdir, args.demo.resolve())
    print("wheel check: ok")


if __name__ == "__main__":
    main()
