"""The configuration file: the issue's example loads, every mistake names its key, and the
builders turn settings into a working engine, store, users and senders."""

from __future__ import annotations

import inspect
import secrets
import tomllib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from starlette.applications import Starlette

from demo_app import create_demo_app
from otp_flow._clients import Client
from otp_flow.config import ApiSettings, AuthSource, ConfigError, Settings, load_config
from otp_flow.policy import CodePolicy, Limits, RequesterLimits
from otp_flow.runtime import build_engine, build_runtime, build_senders
from otp_flow.senders import ChannelRouter, ConsoleSender, HTTPSender, OutboxSender, SMTPSender
from otp_flow.service import create_app
from otp_flow.stores.memory import MemoryStore
from otp_flow.users import MemoryUserStore, RedisUserStore
from otp_flow.web.api import create_api_app
from tests.api_helpers import basic
from tests.conftest import FakeClock
from tests.http_harness import RecordingHTTPServer
from tests.smtp_harness import SMTPServer

# The example of the issue, verbatim apart from a real secret key.
EXAMPLE = """
secret_keys = ["0123456789abcdef0123456789abcdef"]
store = "memory"
timezone = "Asia/Shanghai"
dev = true
allowed_regions = ["CN"]
blocked_email_domains = ["mailinator.com"]
[defaults]
code_length = 6
ttl_seconds = 60
max_failures = 5
token_ttl_seconds = 300
[limits]
app_per_day = 1000
recipient_per_minute = 10
recipient_per_hour = 30
recipient_per_day = 30
resend_interval_seconds = 30
[[clients]]
id = "TENANT_CLIENT_ID"
secret = "TENANT_CLIENT_SECRET"
sms_quota = 1000
email_quota = 1000
[[auth_sources]]
id = "MOCK_SMS_OTP_AUTH_SOURCE_ID"
channel = "sms"
code_length = 6
ttl_seconds = 300
[senders.sms]
type = "outbox"
[senders.email]
type = "outbox"
"""


TENCENT = {
    "type": "tencent",
    "secret_id": "id",
    "secret_key": "key",
    "sdk_app_id": "1400000000",
    "sign_name": "otp_flow",
    "template_ids": {"login": "100"},
}


def example(**changes: Any) -> dict[str, Any]:
    """The example as a mapping; ``changes`` maps dotted paths to new values (None deletes)."""
    data = tomllib.loads(EXAMPLE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def test_the_issue_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "otp-flow.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    settings = load_config(path)
    assert settings.secret_keys == ("0123456789abcdef0123456789abcdef",)
    assert settings.store == "memory" and settings.dev is True
    assert settings.allowed_regions == ("CN",)
    assert settings.blocked_email_domains == ("mailinator.com",)
    assert settings.defaults == CodePolicy(
        code_length=6, ttl_seconds=60, max_failures=5, token_ttl_seconds=300
    )
    assert settings.limits == Limits(
        app_per_day=1000,
        recipient_per_minute=10,
        recipient_per_hour=30,
        recipient_per_day=30,
        resend_interval_seconds=30,
        timezone="Asia/Shanghai",
    )
    assert settings.clients == (Client("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET", 1000, 1000),)
    assert settings.auth_sources == (AuthSource("MOCK_SMS_OTP_AUTH_SOURCE_ID", "sms", 6, 300),)
    assert settings.sms_sender.type == settings.email_sender.type == "outbox"
    assert settings.api.max_body_bytes == 64 * 1024
    assert settings.api.signature_window_seconds == 300


def test_defaults_apply_to_everything_left_out() -> None:
    settings = Settings.from_mapping({"secret_keys": ["k" * 32], "dev": True})
    assert settings.defaults == CodePolicy()
    assert settings.limits == Limits()
    assert settings.clients == ()
    assert settings.sms_sender.type == "outbox"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"limits__app_per_day": -1},
            "limits.app_per_day must be an integer between 0 and 1000000000",
        ),
        (
            {"limits__app_per_day": "10"},
            "limits.app_per_day must be an integer between 0 and 1000000000",
        ),
        (
            {"limits__recipient_per_hour": 1.5},
            "limits.recipient_per_hour must be an integer between 0 and 1000000000",
        ),
        ({"limits__per_day": 3}, "unknown key limits.per_day"),
        ({"defaults__code_length": 3}, "defaults.code_length must be an integer between 4 and 10"),
        (
            {"defaults__ttl_seconds": True},
            "defaults.ttl_seconds must be an integer between 10 and 1200",
        ),
        (
            {"defaults__token_ttl_seconds": 30},
            "defaults.token_ttl_seconds must be at least ttl_seconds",
        ),
        ({"secret_keys": None}, "secret_keys is required"),
        ({"secret_keys": "one-key-not-a-list-of-them"}, "secret_keys must be a list of strings"),
        ({"secret_keys": ["short"]}, "secret_keys: every secret key must be at least 16 bytes"),
        ({"secret_keys": []}, "secret_keys: secret_keys must hold at least one key"),
        ({"store": "postgres://db"}, 'store must be "memory" or a Redis URL'),
        ({"store": "redis://localhost:notaport/0"}, "store is not a valid Redis URL: Port"),
        ({"store": "redis+cluster://localhost:99999"}, "store is not a valid Redis URL: Port"),
        ({"store": "rediss://h/0?socket_timeout=soon"}, "store is not a valid Redis URL"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not a known IANA time zone"),
        ({"dev": "yes"}, "dev must be true or false"),
        ({"allowed_regions": ["XX"]}, "allowed_regions: 'XX' is not a known region code"),
        ({"blocked_email_domains": "mailinator.com"}, "blocked_email_domains must be a list"),
        ({"secret_key": "x"}, "unknown key secret_key"),
        ({"clients": {"id": "A"}}, "clients must be an array of tables ([[clients]])"),
        ({"clients__0__secret": None}, "clients[0].secret is required"),
        ({"clients__0__secret": ""}, "clients[0].secret must be a non-empty string"),
        ({"clients__0__sms_quota": -1}, "clients[0].sms_quota must be an integer >= 0"),
        ({"clients__0__id": "bad id"}, "clients[0].id: client id 'bad id' must be 1-128 of"),
        ({"clients__0__quota": 1}, "unknown key clients[0].quota"),
        ({"auth_sources__0__channel": "fax"}, 'auth_sources[0].channel must be "sms" or "email"'),
        (
            {"auth_sources__0__ttl_seconds": 30},
            "auth_sources[0].ttl_seconds must be an integer between 60 and 1200",
        ),
        (
            {"auth_sources__0__ttl_seconds": 600},
            "auth_sources[0].ttl_seconds must not exceed defaults.token_ttl_seconds",
        ),
        (
            {"auth_sources__0__code_length": "6"},
            "auth_sources[0].code_length must be an integer between 4 and 10",
        ),
        (
            {"senders__sms__type": "pigeon"},
            "senders.sms.type must be one of outbox | console | http | tencent",
        ),
        ({"senders__email__type": "http"}, "senders.email.type must be one of outbox | console"),
        ({"senders__email": {"type": "smtp"}}, "senders.email.host is required for type = 'smtp'"),
        (
            {"senders__email": {"type": "smtp", "host": "h", "from_address": "a@b.c", "port": 0}},
            "senders.email.port must be an integer between 1 and 65535",
        ),
        (
            {"senders__email": {"type": "smtp", "hots": "h", "from_address": "a@b.c"}},
            "unknown key senders.email.hots",
        ),
        (
            {"senders__sms": {"type": "http", "url": "ftp://x"}},
            "senders.sms.url must be an http:// or https:// URL",
        ),
        ({"senders__sms": {"type": "outbox", "max_messages": 0}}, "senders.sms.max_messages"),
        *[
            ({"senders__" + channel: {**options, "timeout": bad}}, f"senders.{channel}.timeout")
            for channel, options in (
                ("sms", {"type": "http", "url": "https://sms.example.com/send"}),
                ("email", {"type": "smtp", "host": "h", "from_address": "a@b.c"}),
                ("sms", TENCENT),
            )
            for bad in (0, -1, float("nan"), float("inf"), "10", True)
        ],
        ({"senders__fax": {"type": "outbox"}}, "unknown key senders.fax"),
        (
            {"dev": False, "senders__email": {"type": "console"}},
            'senders.sms.type = "outbox" needs dev = true',
        ),
        (
            {"dev": False, "senders__sms": {"type": "console"}},
            'senders.email.type = "outbox" needs dev = true',
        ),
        (
            {"senders__delivery_timeout_seconds": 0},
            "senders.delivery_timeout_seconds must be a number > 0",
        ),
        (
            {"senders__delivery_timeout_seconds": -1.5},
            "senders.delivery_timeout_seconds must be a number > 0",
        ),
        (
            {"senders__delivery_timeout_seconds": "10"},
            "senders.delivery_timeout_seconds must be a number > 0",
        ),
        (
            {"senders__delivery_timeout_seconds": True},
            "senders.delivery_timeout_seconds must be a number > 0",
        ),
        (
            {"senders__delivery_timeout_seconds": float("inf")},
            "senders.delivery_timeout_seconds must be a number > 0",
        ),
        ({"dev": False, "senders": None}, "senders.sms is required when dev = false"),
        ({"api__onlyid_language": "fr"}, 'api.onlyid_language must be "zh" or "en"'),
        (
            {"api__max_body_bytes": 10},
            "api.max_body_bytes must be an integer between 1024 and 16777216",
        ),
        (
            {"api__signature_window_seconds": 7200},
            "api.signature_window_seconds must be an integer between 1 and 3600",
        ),
        ({"messages__default_locale": "xx"}, "messages.default_locale must be one of"),
        ({"messages__origin_domain": "not a domain"}, "messages.origin_domain must be a bare"),
        ({"tokens__lifetime": 5}, "unknown key tokens.lifetime"),
        (
            {"tokens__access_token_ttl_seconds": 90000},
            "tokens.access_token_ttl_seconds must be an integer between 60 and 86400",
        ),
        ({"tokens__signing_keys": ["/nonexistent/key.pem"]}, "tokens.signing_keys: "),
        ({"tokens__issuer": ""}, "tokens.issuer must be a non-empty string"),
    ],
)
def test_every_mistake_names_its_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as failure:
        Settings.from_mapping(example(**changes))
    assert str(failure.value).startswith(message), str(failure.value)


@pytest.mark.parametrize(("written", "expected"), [(None, 10.0), (2.5, 2.5), (30, 30.0)])
def test_the_delivery_timeout_reaches_the_engine(written: float | None, expected: float) -> None:
    settings = Settings.from_mapping(example(senders__delivery_timeout_seconds=written))
    assert settings.delivery_timeout_seconds == expected
    assert build_engine(settings, store=MemoryStore()).delivery_timeout == expected


def test_duplicate_ids_are_refused() -> None:
    data = example()
    data["clients"].append(dict(data["clients"][0]))
    with pytest.raises(ConfigError, match=r"clients\[1\]\.id 'TENANT_CLIENT_ID' is used"):
        Settings.from_mapping(data)
    data = example()
    data["auth_sources"].append(dict(data["auth_sources"][0]))
    with pytest.raises(ConfigError, match=r"auth_sources\[1\]\.id .* is used"):
        Settings.from_mapping(data)


def test_tables_of_other_components_are_kept_read_only() -> None:
    settings = Settings.from_mapping(example(pages={"title": "Demo", "locales": ["en", "zh"]}))
    assert settings.extra["pages"]["title"] == "Demo"
    with pytest.raises(TypeError):
        settings.extra["pages"]["title"] = "changed"  # type: ignore[index]


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("secret_keys = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(broken)


def test_development_settings_have_one_random_client() -> None:
    first, second = Settings.development(), Settings.development()
    assert first.dev and first.store == "memory"
    assert len(first.clients) == 1 and first.clients[0].id.startswith("dev-")
    assert first.clients[0].id != second.clients[0].id
    assert first.clients[0].secret != second.clients[0].secret
    assert first.secret_keys != second.secret_keys


async def test_a_memory_runtime_sends_into_the_shared_outbox(clock: FakeClock) -> None:
    runtime = build_runtime(Settings.from_mapping(example()), clock=clock)
    assert isinstance(runtime.store, MemoryStore)
    assert isinstance(runtime.users, MemoryUserStore)
    assert isinstance(runtime.outbox, OutboxSender)
    assert runtime.engine.clients["TENANT_CLIENT_ID"].sms_quota == 1000
    assert runtime.engine.limits.timezone == "Asia/Shanghai"
    await runtime.engine.send("13612345678", client_id="TENANT_CLIENT_ID")
    await runtime.engine.send("a@example.com", client_id="TENANT_CLIENT_ID")
    messages = await runtime.outbox.messages()
    assert [m["channel"] for m in messages] == ["email", "sms"]  # both channels, one outbox
    await runtime.aclose()


async def test_a_redis_runtime_keeps_codes_and_users_in_redis(
    redis_url: str, clock: FakeClock
) -> None:
    from otp_flow.stores.redis import RedisStore

    runtime = build_runtime(Settings.from_mapping(example(store=redis_url)), clock=clock)
    try:
        assert isinstance(runtime.store, RedisStore)
        assert isinstance(runtime.users, RedisUserStore)
        user = await runtime.users.create(display_name="R", phone_number="+8613612345699")
        assert await runtime.users.find_by_phone("+8613612345699") == user
        sent = await runtime.engine.send("13612345698", client_id="TENANT_CLIENT_ID")
        assert (await runtime.engine.verify(sent.otp_token, sent.code)).usage == "login"
    finally:
        await runtime.aclose()


async def test_configured_senders_are_built_with_their_options(clock: FakeClock) -> None:
    with RecordingHTTPServer() as gateway:
        gateway.respond(200, {"result": "OK"})
        sms = {
            "type": "http",
            "url": f"{gateway.url}/sms",
            "body": {"to": "{recipient}", "msg": "{text}"},
            "success_field": "result",
            "success_value": "OK",
            "timeout": 5,
        }
        settings = Settings.from_mapping(
            example(dev=False, senders={"sms": sms, "email": {"type": "console"}})
        )
        router, outbox = build_senders(settings, MemoryStore(), clock=clock)
        assert isinstance(router, ChannelRouter) and outbox is None
        assert isinstance(router.senders["sms"], HTTPSender)
        assert isinstance(router.senders["email"], ConsoleSender)

        engine = build_engine(settings, store=MemoryStore(), clock=clock)
        sent = await engine.send("13612345678", client_id="TENANT_CLIENT_ID")
    (request,) = gateway.requests
    assert request.json()["to"] == "+8613612345678"
    assert sent.code in request.json()["msg"]


def test_smtp_options_map_one_to_one(clock: FakeClock) -> None:
    email = {
        "type": "smtp",
        "host": "smtp.example.com",
        "port": 465,
        "from_address": "OTP <otp@example.com>",
        "username": "u",
        "password": "p",
        "use_tls": True,
        "timeout": 3.5,
    }
    settings = Settings.from_mapping(example(senders={"email": email}))
    router, outbox = build_senders(settings, MemoryStore(), clock=clock)
    sender = router.senders["email"]
    assert isinstance(sender, SMTPSender)
    assert (sender.host, sender.port) == ("smtp.example.com", 465)
    assert isinstance(outbox, OutboxSender)  # the SMS channel still uses the outbox


async def test_smtp_ca_file_is_checked_at_start_up_and_trusted_when_sending(
    clock: FakeClock, tmp_path: Path
) -> None:
    with SMTPServer(tls="starttls") as server:
        email = {
            "type": "smtp",
            "host": "127.0.0.1",
            "port": server.port,
            "from_address": "otp@example.com",
            "starttls": True,
            "ca_file": str(tmp_path / "missing.pem"),
        }
        with pytest.raises(ConfigError, match=r"^senders\.email\.ca_file '.*' cannot be loaded"):
            Settings.from_mapping(example(senders={"email": email}))

        email["ca_file"] = server.write_ca_file(tmp_path / "ca.pem")
        settings = Settings.from_mapping(example(senders={"email": email}))
        router, _outbox = build_senders(settings, MemoryStore(), clock=clock)
        sent = await build_engine(settings, store=MemoryStore(), clock=clock).send(
            "bob@example.com", client_id="TENANT_CLIENT_ID"
        )
        sender = router.senders["email"]
        assert isinstance(sender, SMTPSender) and sender.ca_file == email["ca_file"]
        [mail] = server.mails
    assert mail.tls_version is not None
    assert sent.code in mail.part("text/plain")


def test_the_api_table_maps_one_to_one_onto_create_api_app() -> None:
    keywords = inspect.signature(create_api_app).parameters
    assert {f.name for f in msgspec.structs.fields(ApiSettings)} <= set(keywords)


@pytest.mark.parametrize("make_app", [create_app, create_demo_app], ids=["service", "demo"])
async def test_the_service_and_the_demo_apply_the_api_table(
    make_app: Callable[..., Starlette], clock: FakeClock
) -> None:
    # Both build their API with otp_flow.service.create_api: the demo once dropped onlyid_*.
    settings = Settings.from_mapping(
        example(api={"onlyid_language": "en", "onlyid_expire_minutes": 2, "max_body_bytes": 2048})
    )
    app = make_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    body = {"recipient": "13612345678", "clientId": "TENANT_CLIENT_ID"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        refused = await http.post("/api/open/send-otp", json={**body, "clientSecret": "x"})
        sent = await http.post(
            "/api/open/send-otp", json={**body, "clientSecret": "TENANT_CLIENT_SECRET"}
        )
        large = await http.post(
            "/otp/send",
            content=b"x" * 2049,
            headers=basic("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET"),
        )
    assert refused.json() == {
        "error": "The app does not exist or the app ID is wrong; please check it"
    }
    assert sent.json()["expireDate"] == "2026-03-10T09:02:00"
    assert large.status_code == 413


def test_the_requesters_table_sets_trusted_proxies_and_per_requester_limits() -> None:
    settings = Settings.from_mapping(
        {
            "secret_keys": ["0123456789abcdef0123456789abcdef"],
            "dev": True,
            "limits": {"resend_backoff_max_seconds": 600},
            "requesters": {
                "trusted_proxies": ["10.0.0.0/8", "192.0.2.1"],
                "sends_per_window": 3,
                "signup_sends_per_window": 2,
                "window_seconds": 900,
                "sends_per_day": 12,
                "recipient_per_day": 4,
                "checks_per_window": 20,
            },
        }
    )
    assert settings.limits.resend_backoff_max_seconds == 600
    assert settings.requesters.trusted_proxies == ("10.0.0.0/8", "192.0.2.1")
    assert settings.requesters.limits == RequesterLimits(
        sends_per_window=3,
        signup_sends_per_window=2,
        window_seconds=900,
        sends_per_day=12,
        recipient_per_day=4,
        checks_per_window=20,
    )
    engine = build_engine(settings, store=MemoryStore())
    assert engine.requester_limits == settings.requesters.limits


@pytest.mark.parametrize(
    ("table", "error"),
    [
        # The words of the pages' ClientAddress (test_web_requester), under the table's name.
        (
            {"trusted_proxies": ["nope"]},
            "^requesters.trusted_proxies: 'nope' does not appear to be an IPv4 or IPv6 network$",
        ),
        ({"window_seconds": 0}, "window_seconds"),
        ({"sends_per_hour": 3}, "sends_per_hour"),
    ],
)
def test_bad_requesters_tables_name_the_key(table: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        Settings.from_mapping(
            {"secret_keys": ["0123456789abcdef0123456789abcdef"], "dev": True, "requesters": table}
        )


async def test_the_service_signs_tokens_with_the_configured_keys(
    tmp_path: Path, clock: FakeClock
) -> None:
    from joserfc.jwk import ECKey, RSAKey

    old, new = ECKey.generate_key("P-256"), RSAKey.generate_key(2048)
    paths = []
    for name, key in (("old.pem", old), ("new.pem", new)):
        (tmp_path / name).write_bytes(key.as_pem(private=True))
        paths.append(str(tmp_path / name))
    settings = Settings.from_mapping(
        example(tokens__signing_keys=paths, tokens__issuer="https://id.example.com")
    )
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        jwks = (await http.get("/.well-known/jwks.json")).json()
        discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert [k["kid"] for k in jwks["keys"]] == [new.thumbprint(), old.thumbprint()]
    assert discovery["issuer"] == "https://id.example.com"
    assert discovery["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[str]:
    """The URL of a new database of this test's own on the private PostgreSQL, dropped after."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"config_{secrets.token_hex(6)}"
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    await admin.dispose()


async def test_the_users_table_keeps_users_in_postgresql(
    postgres_database: str, clock: FakeClock
) -> None:
    from otp_flow.users.sql import SQLUserStore

    settings = Settings.from_mapping(example(users={"url": postgres_database}))
    first = build_runtime(settings, clock=clock)
    assert isinstance(first.users, SQLUserStore)
    await first.open()  # creates otp_flow's table: a new database has none
    user = await first.users.create(display_name="Pg", email="pg@example.com")
    await first.aclose()
    second = build_runtime(settings, clock=clock)
    try:
        await second.open()  # the table exists now: left as it is
        assert await second.users.find_by_email("pg@example.com") == user
    finally:
        await second.aclose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://localhost/0", "users.url must start with sqlite+aiosqlite:// or postgresql"),
        ("postgresql+asyncpg://host:port/db", "users.url is not a valid SQLAlchemy URL"),
        (5, "users.url must be a string"),
    ],
)
def test_a_bad_users_url_names_the_key(url: object, message: str) -> None:
    with pytest.raises(ConfigError) as failure:
        Settings.from_mapping(example(users={"url": url}))
    assert str(failure.value).startswith(message), str(failure.value)
