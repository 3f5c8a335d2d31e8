"""The built wheel carries everything the pages need: install it, run the demo, fetch a page.

The virtualenv sees the system's packages (no downloads), but otp_flow itself comes from the
wheel (installed without dependencies), and the demo runs from a copy outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

from tests.redis_harness import free_port

ROOT = Path(__file__).parent.parent


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OTP_FLOW_CONFIG")}
    return {**env, **extra}


def test_the_wheel_ships_the_templates_and_serves_the_demo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, ROOT)
    wheel = next(dist.glob("otp_flow-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every template, Lua script and data file of the source tree is in the wheel.
    shipped = {
        f"otp_flow/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    } | {
        p.relative_to(ROOT).as_posix()
        for pattern in ("*.lua", "*.json", "py.typed")
        for p in (ROOT / "otp_flow").rglob(pattern)
    }
    assert "otp_flow/stores/lua/issue.lua" in shipped
    assert "otp_flow/templates/messages/sms/login.zh-CN.txt" in shipped
    assert shipped <= names, sorted(shipped - names)

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", "--force-reinstall", wheel,
    )  # fmt: skip
    app_dir = tmp_path / "app"
    shutil.copytree(ROOT / "demo_app", app_dir / "demo_app")
    where = _run(
        python, "-c",
        "import otp_flow, otp_flow.templating as t; print(otp_flow.__file__); "
        "print(t.packaged_templates())",
        cwd=app_dir,
    ).split()  # fmt: skip
    for path in where:
        assert Path(path).resolve().is_relative_to(venv.resolve()), where

    port = free_port()
    server = subprocess.Popen(
        [str(python), "-m", "demo_app"],
        cwd=app_dir,
        env=_clean_env(HOST="127.0.0.1", PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/auth/login", server)
        assert page.status_code == 200
        assert 'name="identifier"' in page.text and 'name="csrf_token"' in page.text
        assert "Demo mode" in page.text  # the demo's override, extending the packaged page
        zh = httpx.get(f"http://127.0.0.1:{port}/auth/signup", headers={"Accept-Language": "zh-CN"})
        assert "创建账户" in zh.text
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "Traceback" not in output, output


def _wait_for(url: str, server: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError as exc:
            if server.poll() is not None:
                output = server.stdout.read() if server.stdout else ""
                message = f"the demo exited with {server.returncode}:\n{output}"
                raise AssertionError(message) from exc
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # polling the server process's start-up, not passing test time
