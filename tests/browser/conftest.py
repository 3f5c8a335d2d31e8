"""A real headless Chromium (Debian's, driven by Playwright) against the demo served by uvicorn.

One browser for the whole session; the demo runs in a thread on a free loopback port with an
injected clock, so a test moves time past the resend interval instead of sleeping. Screenshots go
to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright

from demo_app import create_demo_app
from otp_flow.config import Settings
from otp_flow.runtime import Runtime, build_runtime
from tests.conftest import FakeClock
from tests.redis_harness import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent.parent.parent / "test-artifacts" / "screenshots"


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", *packages]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        subprocess.run(command, env=env, capture_output=True, check=True)


def _can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium; installed here when missing and we are root, else a clear failure."""
    if not os.access(CHROMIUM, os.X_OK):
        if not _can_install():
            pytest.fail(
                f"{CHROMIUM} is missing: install Debian's chromium package "
                "(apt-get install -y chromium) to run the browser tests"
            )
        _apt_install("chromium")
    # Without a CJK font the Chinese screenshots would be boxes (the assertions read the DOM).
    has_cjk = (
        shutil.which("fc-list")
        and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
    )
    if not has_cjk and _can_install():
        _apt_install("fonts-wqy-microhei")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class DemoServer:
    url: str
    clock: FakeClock
    runtime: Runtime

    async def outbox(self) -> list[dict[str, str]]:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{self.url}/dev/outbox.json")
        answer.raise_for_status()
        messages: list[dict[str, str]] = answer.json()["messages"]
        return messages

    async def code_for(self, recipient: str) -> str:
        codes = [
            m["code"] for m in await self.outbox() if m["recipient"] == recipient and m["code"]
        ]
        assert codes, f"no code in the outbox for {recipient}"
        return codes[0]


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    clock = FakeClock(time.time())
    settings = Settings.from_mapping(
        {
            "secret_keys": ["browser-test-secret-0123456789"],
            "dev": True,
            # One browser walks the whole journey in every language from one address: room for
            # all of it (tests/test_web_abuse.py covers the per-requester defaults).
            "requesters": {"sends_per_window": 30, "sends_per_day": 60},
        }
    )
    runtime = build_runtime(settings, clock=clock)
    port = free_port()
    config = uvicorn.Config(
        create_demo_app(runtime=runtime, clock=clock),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo server did not start")
        time.sleep(0.02)  # polling the server thread's start-up, not passing test time
    yield DemoServer(f"http://127.0.0.1:{port}", clock, runtime)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
