"""``otp-flow``: ``serve`` as a real subprocess driven over HTTP, and ``check-config``."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from otp_flow._cli import main
from tests.api_helpers import basic
from tests.redis_harness import free_port

CONFIG = """
secret_keys = ["cli-test-secret-key-0123456789"]
dev = true
[limits]
resend_interval_seconds = 0
[[clients]]
id = "TENANT_CLIENT_ID"
secret = "TENANT_CLIENT_SECRET"
[[clients]]
id = "98d44b4a3543db79"
secret = "8d08fbbd89a547df8bda56eba12fac2e"
[[auth_sources]]
id = "MOCK_EMAIL_OTP_AUTH_SOURCE_ID"
channel = "email"
code_length = 8
ttl_seconds = 300
"""


@contextmanager
def serving(command: list[str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run ``command`` (which must listen on the port it was given) until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the server exited: {process.stderr.read() if process.stderr else ''}"
                )
            try:
                if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer in time")
            time.sleep(0.05)  # polling a child process's start-up, not passing test time
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def otp_flow_command() -> list[str]:
    """The ``otp-flow`` console script of the running interpreter's environment: where pip put
    it, found whether or not that environment is activated (on ``PATH``)."""
    script = Path(sysconfig.get_path("scripts")) / "otp-flow"
    assert script.is_file(), f"no console script at {script} (pip install -e .)"
    return [str(script)]


def test_serve_with_a_config_file_answers_every_dialect(tmp_path: Path) -> None:
    config = tmp_path / "otp-flow.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with serving([*otp_flow_command(), "serve", "--config", str(config)]) as (url, process):
        with httpx.Client(base_url=url, timeout=10) as http:
            sent = http.post(
                "/otp/send",
                json={
                    "usage": "login",
                    "email": "a@example.com",
                    "auth_source_id": "MOCK_EMAIL_OTP_AUTH_SOURCE_ID",
                },
                headers=basic("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET"),
            )
            assert sent.status_code == 200
            (message,) = http.get("/dev/outbox.json").json()["messages"]
            assert len(message["code"]) == 8  # the auth source applies
            verified = http.post(
                "/otp/verify",
                json={"otp_token": sent.json()["otp_token"], "code": message["code"]},
                headers=basic("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET"),
            )
            assert verified.json() == {"verified": True, "usage": "login", "email": "a@example.com"}

            app_key = {"x-app-id": "TENANT_CLIENT_ID", "x-app-key": "TENANT_CLIENT_SECRET"}
            yunpian = http.post("/api/sms/sendCode?phone=%2B8613612345678", headers=app_key)
            assert yunpian.json()["code"] == 0
            sms = http.get("/dev/outbox.json").json()["messages"][0]
            # The code in a query string, as the Yunpian seed sends it.
            checked = http.post(
                f"/api/sms/verifyCode?phone=%2B8613612345678&code={sms['code']}", headers=app_key
            )
            assert checked.json()["code"] == 0
            onlyid = http.post(
                "/api/open/send-otp",
                json={
                    "recipient": "13612345678",
                    "clientId": "98d44b4a3543db79",
                    "clientSecret": "8d08fbbd89a547df8bda56eba12fac2e",
                },
            )
            assert onlyid.status_code == 200 and len(onlyid.json()["code"]) == 6
            assert http.post("/otp/send", json={}).status_code == 401
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells why.
        assert process.wait(timeout=15) in (0, -signal.SIGTERM)
        assert process.stdout is not None and process.stderr is not None
        output = process.stdout.read() + process.stderr.read()
    assert "Application shutdown complete" in output
    # The access log is kept, without query strings: codes never reach the logs.
    assert '"POST /api/sms/verifyCode HTTP/1.1" 200' in output
    for code in (message["code"], sms["code"]):
        assert code not in output
    assert not re.search(r"[?&](code|phone)=", output)
    # One event line per send and verify, recipients masked.
    assert "otp_flow.events: send outcome=sent channel=sms country_code=86" in output
    assert "recipient=+86*********78" in output and "+8613612345678" not in output


def test_serve_without_a_config_prints_a_working_development_client() -> None:
    command = [sys.executable, "-m", "otp_flow", "serve"]
    with serving(command) as (url, process):
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        text = "".join(lines)
        client_id = re.search(r"client id:\s+(\S+)", text)
        secret = re.search(r"client secret:\s+(\S+)", text)
        assert client_id and secret, text
        assert "/dev/outbox" in text
        with httpx.Client(base_url=url, timeout=10) as http:
            sent = http.post(
                "/otp/send",
                json={"phone_number": "13612345678"},
                headers=basic(client_id[1], secret[1]),
            )
            outbox = http.get("/dev/outbox.json").json()["messages"]
    assert sent.status_code == 200
    assert outbox[0]["recipient"] == "+8613612345678"


def test_a_bad_config_stops_serve_with_the_key_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.replace("resend_interval_seconds = 0", "resend_interval_seconds = -5"))
    result = subprocess.run(
        [*otp_flow_command(), "serve", "--config", str(config), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    expected = "limits.resend_interval_seconds must be an integer between 0 and 1000000000"
    assert expected in result.stderr


def test_check_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(CONFIG, encoding="utf-8")
    bad.write_text(CONFIG + '\n[senders.email]\ntype = "smtp"\n', encoding="utf-8")
    assert main(["check-config", str(good)]) == 0
    assert capsys.readouterr().out.strip().endswith(": ok")
    assert main(["check-config", str(bad)]) == 2
    assert "senders.email.host is required" in capsys.readouterr().err
    assert main(["check-config", str(tmp_path / "missing.toml")]) == 2
    capsys.readouterr()
    bad_store = tmp_path / "bad-store.toml"
    bad_store.write_text('store = "redis://localhost:notaport/0"\n' + CONFIG, encoding="utf-8")
    assert main(["check-config", str(bad_store)]) == 2
    assert "store is not a valid Redis URL" in capsys.readouterr().err


def test_usage_errors_exit_with_argparse_status() -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


def test_serve_writes_json_event_lines_when_configured(tmp_path: Path) -> None:
    config = tmp_path / "otp-flow.toml"
    config.write_text(CONFIG + '[logging]\nformat = "json"\n', encoding="utf-8")
    with serving([*otp_flow_command(), "serve", "--config", str(config)]) as (url, process):
        with httpx.Client(base_url=url, timeout=10) as http:
            sent = http.post(
                "/otp/send",
                json={"phone_number": "13612345678"},
                headers=basic("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET"),
            )
            assert sent.status_code == 200
            (message,) = http.get("/dev/outbox.json").json()["messages"]
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert process.stderr is not None
        lines = process.stderr.read().splitlines()
    events = [json.loads(line) for line in lines if '"otp_flow.events"' in line]
    assert len(events) == 1
    assert events[0]["event"] == "send" and events[0]["outcome"] == "sent"
    assert events[0]["recipient"] == "+86*********78" and events[0]["country_code"] == "86"
    assert message["code"] not in "\n".join(lines)


def test_serve_completes_a_ciam_email_login_verified_by_its_jwks(tmp_path: Path) -> None:
    """A CIAM client's whole flow against ``otp-flow serve``: send, sign in with auto_signup,
    verify the id token with the published keys, read and update userinfo, renew."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    config = tmp_path / "otp-flow.toml"
    config.write_text(CONFIG, encoding="utf-8")
    client = {"client_id": "TENANT_CLIENT_ID", "client_secret": "TENANT_CLIENT_SECRET"}
    command = [*otp_flow_command(), "serve", "--config", str(config)]
    with serving(command) as (url, _process), httpx.Client(base_url=url, timeout=10) as http:
        sent = http.post(
            "/otp/send",
            json={"email": "b@example.com", "auth_source_id": "MOCK_EMAIL_OTP_AUTH_SOURCE_ID"},
            headers=basic("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET"),
        )
        (message,) = http.get("/dev/outbox.json").json()["messages"]
        tokens = http.post(
            "/oauth2/token",
            data={
                **client,
                "grant_type": "http://tencentciam.com/oauth2/grant-type/otp/email",
                "auth_source_id": "MOCK_EMAIL_OTP_AUTH_SOURCE_ID",
                "email": "b@example.com",
                "otp_token": sent.json()["otp_token"],
                "otp": message["code"],
                "auto_signup": "true",
            },
        ).json()
        keys = KeySet.import_key_set(http.get("/.well-known/jwks.json").json())
        issuer = http.get("/.well-known/openid-configuration").json()["issuer"]
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        updated = http.patch("/userinfo", json={"nickname": "Bea"}, headers=bearer)
        renewed = http.post(
            "/oauth2/token",
            json={
                **client,
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
            },
        )
    claims = jwt.decode(tokens["id_token"], keys, algorithms=["ES256"]).claims
    assert (claims["iss"], claims["email"]) == (issuer, "b@example.com")
    assert updated.json()["nickname"] == "Bea"
    assert renewed.status_code == 200


def test_serve_keeps_users_in_the_sql_database_of_the_users_table(tmp_path: Path) -> None:
    database = tmp_path / "users.db"
    config = tmp_path / "otp-flow.toml"
    config.write_text(
        CONFIG + f'[users]\nurl = "sqlite+aiosqlite:///{database}"\n', encoding="utf-8"
    )
    auth = basic("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET")

    def sign_up(http: httpx.Client) -> httpx.Response:
        sent = http.post(
            "/otp/send", json={"usage": "signup", "email": "ann@example.com"}, headers=auth
        )
        if sent.status_code != 200:
            return sent
        code = http.get("/dev/outbox.json").json()["messages"][0]["code"]
        body = {"email": "ann@example.com", "email_otp_token": sent.json()["otp_token"]}
        return http.post("/signup", json={**body, "email_otp": code, "name": "Ann"}, headers=auth)

    command = [*otp_flow_command(), "serve", "--config", str(config)]
    for run in ("first", "second"):
        with serving(command) as (url, _process), httpx.Client(base_url=url, timeout=10) as http:
            answer = sign_up(http)
        if run == "first":  # the table was created at start-up, and the user is in it
            assert answer.status_code == 200, answer.text
            with sqlite3.connect(database) as db:
                rows = db.execute("SELECT display_name, email FROM otp_flow_users").fetchall()
            assert rows == [("Ann", "ann@example.com")]
        else:  # a restarted service (memory store) still knows her: users outlive the codes
            assert answer.status_code == 400
            assert answer.json() == {"error": "email_is_used"}


def test_a_users_url_that_is_not_sql_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG + '[users]\nurl = "mysql://db/users"\n', encoding="utf-8")
    assert main(["check-config", str(bad)]) == 2
    assert "users.url must start with sqlite+aiosqlite:// or postgresql+asyncpg://" in (
        capsys.readouterr().err
    )
