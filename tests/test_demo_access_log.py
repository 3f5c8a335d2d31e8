"""F6: the demo's access log never prints a query string (a Yunpian verifyCode URL carries the
code), as ``otp-flow serve`` already does. Runs ``python -m demo_app`` itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.redis_harness import free_port
from tests.uvicorn_harness import REPO_ROOT


def test_the_demo_access_log_leaves_query_strings_out() -> None:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("OTP_FLOW_CONFIG", None)
    demo = subprocess.Popen(
        [sys.executable, "-m", "demo_app"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/", timeout=1)
                break
            except httpx.TransportError:
                assert demo.poll() is None and time.monotonic() < deadline, "demo did not start"
                time.sleep(0.05)  # polling a child process's start-up, not passing test time
        httpx.post(f"{url}/api/sms/verifyCode?phone=13612345678&code=246810", timeout=5)
    finally:
        demo.terminate()
        output, _ = demo.communicate(timeout=15)
    log = output.decode()
    assert "/api/sms/verifyCode" in log  # the access log is on
    assert "246810" not in log and "phone=" not in log
