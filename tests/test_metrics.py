"""Metrics: the figures of real sends, refusals and verifies, scraped over real HTTP."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from otp_flow import Client, DeliveryFailed, Limits, OTPEngine, QuotaExhausted, RateLimited
from otp_flow.config import ConfigError, Settings, load_config
from otp_flow.metrics import MessagePrices, Metrics
from otp_flow.senders._base import Message
from otp_flow.senders._outbox import OutboxSender
from otp_flow.service import create_app
from otp_flow.stores.base import OTPStore
from tests.api_helpers import basic
from tests.conftest import FakeClock
from tests.uvicorn_harness import UvicornProcess

TOKEN = "scrape-token-0123456789"
CLIENT = ("shop", "shop-secret-0123456789")
CONFIG = """
secret_keys = ["metrics-test-secret-key-0123456789"]
store = "{store}"
dev = true
allowed_regions = ["CN", "HK"]
[limits]
resend_interval_seconds = 30
[[clients]]
id = "shop"
secret = "shop-secret-0123456789"
[metrics]
enabled = true
bearer_token = "scrape-token-0123456789"
currency = "EUR"
sms_price = 0.05
email_price = 0.001
[metrics.sms_price_by_country_code]
"852" = 0.04
"""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def served_app() -> Starlette:
    """The uvicorn factory: ``otp-flow serve``'s app for the file the test names."""
    return create_app(load_config(os.environ["OTP_FLOW_TEST_CONFIG"]))


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


@pytest.fixture(params=["memory", "redis"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    store = "memory"
    if request.param == "redis":
        store = request.getfixturevalue("private_redis").url
    config = tmp_path / "otp-flow.toml"
    config.write_text(CONFIG.replace("{store}", store), encoding="utf-8")
    with UvicornProcess(
        "tests.test_metrics:served_app", env={"OTP_FLOW_TEST_CONFIG": str(config)}
    ) as server:
        yield server.url


def test_metrics_show_every_figure_after_real_traffic(served: str) -> None:
    auth = basic(*CLIENT)
    with httpx.Client(base_url=served, timeout=10) as http:
        for phone in ("13612345678", "13612345679", "+85291234567"):
            assert http.post("/otp/send", json={"phone_number": phone}, headers=auth).is_success
        sent = http.post("/otp/send", json={"email": "a@example.com"}, headers=auth)
        assert sent.is_success
        again = http.post("/otp/send", json={"phone_number": "13612345678"}, headers=auth)
        assert not again.is_success  # the resend interval (CIAM answers 400)
        outbox = http.get("/dev/outbox.json").json()["messages"]
        code = next(m["code"] for m in outbox if m["recipient"] == "a@example.com")
        token = sent.json()["otp_token"]
        wrong = "000000" if code != "000000" else "111111"
        body = {"otp_token": token, "code": wrong}
        assert http.post("/otp/verify", json=body, headers=auth).status_code == 400
        body["code"] = code
        assert http.post("/otp/verify", json=body, headers=auth).json()["verified"] is True

        scraped = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    found = samples(scraped.text)
    for text in [m["code"] for m in outbox]:
        assert text not in scraped.text

    sends = "otp_flow_sends_total"
    assert (
        sample(found, sends, channel="sms", country_code="86", usage="login", outcome="sent") == 2
    )
    assert (
        sample(found, sends, channel="sms", country_code="852", usage="login", outcome="sent") == 1
    )
    assert (
        sample(found, sends, channel="email", country_code="none", usage="login", outcome="sent")
        == 1
    )
    refused = {"channel": "sms", "country_code": "86", "usage": "login", "outcome": "refused"}
    assert sample(found, sends, **refused) == 1
    assert sample(found, "otp_flow_refusals_total", channel="sms", limit="resend_interval") == 1
    verifies = "otp_flow_verifies_total"
    assert sample(found, verifies, channel="email", usage="login", outcome="wrong") == 1
    assert sample(found, verifies, channel="email", usage="login", outcome="verified") == 1
    latency = "otp_flow_delivery_seconds_count"
    assert sample(found, latency, channel="sms", outcome="sent") == 3
    assert sample(found, latency, channel="email", outcome="sent") == 1
    assert (sample(found, "otp_flow_delivery_seconds_sum", channel="sms", outcome="sent") or 0) > 0
    spend = "otp_flow_estimated_spend_total"
    assert sample(found, spend, channel="sms", country_code="86", currency="EUR") == pytest.approx(
        0.10
    )
    assert sample(found, spend, channel="sms", country_code="852", currency="EUR") == (
        pytest.approx(0.04)
    )
    assert sample(found, spend, channel="email", country_code="none", currency="EUR") == (
        pytest.approx(0.001)
    )


def test_the_endpoint_asks_for_the_bearer_token(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        missing = http.get("/metrics")
        wrong = http.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        posted = http.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        head = http.head("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "otp_flow" not in missing.text
    assert posted.status_code == 405
    assert head.status_code == 200 and head.content == b""


def test_serve_has_no_metrics_unless_enabled() -> None:
    app = create_app(Settings.development())
    assert "/metrics" not in {getattr(route, "path", "") for route in app.routes}


class BrokenSender:
    async def send(self, message: Message) -> None:
        raise ConnectionError("gateway down")


async def test_failed_silent_and_quota_outcomes(store: OTPStore, clock: FakeClock) -> None:
    metrics = Metrics(prices=MessagePrices(sms=0.05))
    engine = OTPEngine(
        secret_keys=["k" * 32],
        store=store,
        clock=clock,
        limits=Limits(resend_interval_seconds=0),
        sender=OutboxSender(store, clock=clock),
        clients=[Client("limited", "secret-0123456789", sms_quota=1)],
        observers=[metrics],
    )
    await engine.send("13612345678", deliver=False, usage="signup")
    await engine.send("13612345678", client_id="limited")
    with pytest.raises(QuotaExhausted):
        await engine.send("13612345679", client_id="limited")
    broken = OTPEngine(
        secret_keys=["k" * 32], store=store, clock=clock, sender=BrokenSender(), observers=[metrics]
    )
    with pytest.raises(DeliveryFailed):
        await broken.send("13612345670")
    value = metrics.registry.get_sample_value
    sms86 = {"channel": "sms", "country_code": "86"}
    assert value("otp_flow_sends_total", {**sms86, "usage": "signup", "outcome": "silent"}) == 1
    assert value("otp_flow_sends_total", {**sms86, "usage": "login", "outcome": "refused"}) == 1
    assert value("otp_flow_refusals_total", {"channel": "sms", "limit": "quota"}) == 1
    assert value("otp_flow_sends_total", {**sms86, "usage": "login", "outcome": "failed"}) == 1
    assert value("otp_flow_delivery_seconds_count", {"channel": "sms", "outcome": "failed"}) == 1
    # Only the one delivered message costs anything: not the silent, refused or failed ones.
    spent = value("otp_flow_estimated_spend_total", {**sms86, "currency": "USD"})
    assert spent == pytest.approx(0.05)


async def test_every_metrics_has_its_own_registry(memory_store: OTPStore, clock: FakeClock) -> None:
    first, second = Metrics(), Metrics(registry=CollectorRegistry())
    engine = OTPEngine(secret_keys=["k" * 32], store=memory_store, clock=clock, observers=[first])
    await engine.send("13612345678")
    labels = {"channel": "sms", "country_code": "86", "usage": "login", "outcome": "issued"}
    assert first.registry.get_sample_value("otp_flow_sends_total", labels) == 1
    assert second.registry.get_sample_value("otp_flow_sends_total", labels) is None
    with pytest.raises(RateLimited):
        await engine.send("13612345678")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"sms_price": -1}, "metrics.sms_price must be a number >= 0"),
        ({"sms_price_by_country_code": {"x1": 0.1}}, "must be 1 to 3 digits"),
        ({"bearer_token": "short"}, "metrics.bearer_token must be at least 16 characters"),
        ({"enable": True}, "unknown key metrics.enable"),
    ],
)
def test_bad_metrics_tables_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_mapping({"secret_keys": ["k" * 32], "dev": True, "metrics": table})


def test_the_readme_metrics_example_loads() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[metrics]" in b)
    document = {"secret_keys": ["k" * 32], "dev": True, **tomllib.loads(block)}
    settings = Settings.from_mapping(document)
    assert settings.metrics.enabled and settings.logging.format == "json"
    assert settings.metrics.prices.of("sms", "86") == 0.006
    assert settings.metrics.prices.of("sms", "1") == 0.05
