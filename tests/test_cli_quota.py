"""``otp-flow quota show|reset`` as a real process against a private redis-server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from otp_flow.config import load_config
from otp_flow.errors import QuotaExhausted
from otp_flow.runtime import build_runtime
from tests.redis_harness import RedisServer, free_port

CONFIG = """
secret_keys = ["quota-cli-secret-key-0123456789"]
store = "{store}"
dev = true
[limits]
resend_interval_seconds = 0
[[clients]]
id = "shop"
secret = "shop-secret-0123456789"
sms_quota = 2
email_quota = 5
"""


def otp_flow(*args: str) -> subprocess.CompletedProcess[str]:
    # The console script beside the interpreter running the tests: its venv need not be on PATH.
    script = Path(sys.executable).with_name("otp-flow")
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=60, check=False
    )


def write_config(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "otp-flow.toml"
    path.write_text(CONFIG.replace("{store}", store), encoding="utf-8")
    return path


async def use_quota(config: Path, sms: int, email: int) -> None:
    runtime = build_runtime(load_config(config))
    try:
        for n in range(sms):
            await runtime.engine.send(f"+86136123456{n:02d}", client_id="shop")
        for n in range(email):
            await runtime.engine.send(f"user{n}@example.com", client_id="shop")
    finally:
        await runtime.aclose()


async def test_show_and_reset_a_clients_quota(tmp_path: Path, private_redis: RedisServer) -> None:
    config = write_config(tmp_path, private_redis.url)
    await use_quota(config, sms=2, email=3)

    shown = otp_flow("quota", "show", "--config", str(config), "--client", "shop")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "client shop",
        "  sms    used 2 of 2",
        "  email  used 3 of 5",
    ]
    # The quota is spent: the next SMS is refused.
    with pytest.raises(QuotaExhausted):
        await use_quota(config, sms=1, email=0)

    reset = otp_flow(
        "quota", "reset", "--config", str(config), "--client", "shop", "--channel", "sms"
    )
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.splitlines() == ["client shop", "  sms    reset: used 2 of 2 before, now 0"]
    after = otp_flow("quota", "show", "--config", str(config), "--client", "shop")
    assert after.stdout.splitlines()[1:] == ["  sms    used 0 of 2", "  email  used 3 of 5"]
    await use_quota(config, sms=2, email=0)  # two SMS go out again

    everything = otp_flow("quota", "reset", "--config", str(config), "--client", "shop")
    assert everything.returncode == 0
    channel_only = otp_flow(
        "quota", "show", "--config", str(config), "--client", "shop", "--channel", "email"
    )
    assert channel_only.stdout.splitlines() == ["client shop", "  email  used 0 of 5"]
    final = otp_flow("quota", "show", "--config", str(config), "--client", "shop")
    assert final.stdout.splitlines()[1:] == ["  sms    used 0 of 2", "  email  used 0 of 5"]


async def test_a_client_missing_from_the_config_is_shown_but_flagged(
    tmp_path: Path, private_redis: RedisServer
) -> None:
    config = write_config(tmp_path, private_redis.url)
    shown = otp_flow("quota", "show", "--config", str(config), "--client", "gone")
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[0] == "client gone (not in the configuration)"
    assert "used 0 of unlimited" in shown.stdout


def test_the_memory_store_is_refused_with_the_reason(tmp_path: Path) -> None:
    config = write_config(tmp_path, "memory")
    result = otp_flow("quota", "show", "--config", str(config), "--client", "shop")
    assert result.returncode == 2
    assert "memory store lives inside each serving process" in result.stderr


def test_an_unreachable_store_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    result = otp_flow("quota", "reset", "--config", str(config), "--client", "shop")
    assert result.returncode == 1
    assert "the store is unavailable" in result.stderr


def test_a_bad_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('secret_keys = ["quota-cli-secret-key-0123456789"]\nstore = "nope"\n')
    result = otp_flow("quota", "show", "--config", str(path), "--client", "shop")
    assert result.returncode == 2 and "store must be" in result.stderr
