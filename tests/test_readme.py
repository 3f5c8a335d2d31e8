"""The README's integration example runs as written: copy-paste must work."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import httpx

from otp_flow.config import Settings

README = Path(__file__).parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


async def test_the_pages_example_serves_a_login_page_and_protects_account() -> None:
    example = next(block for block in python_blocks() if "create_auth_app" in block)
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    app = namespace["app"]
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        login = await http.get("/auth/login")
        assert login.status_code == 200 and 'name="identifier"' in login.text
        account = await http.get("/account", headers={"accept": "text/html"})
        assert account.status_code == 303
        assert account.headers["location"].startswith("/auth/login?next=")
        outbox = await http.get("/auth/dev/outbox.json")  # dev_outbox=True
        assert outbox.status_code == 200 and outbox.json() == {"messages": []}


def test_the_readme_names_the_commands_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "python -m pip install -c constraints/test.txt -e '.[test]' && python -m pytest"
    assert f"```sh\n{test_command}\n```" in text
    assert f"{{ {test_command}; }}" in ci  # exactly the README's command, its status checked
    assert "constraints/refresh" in text and (README.parent / "constraints" / "refresh").is_file()
    assert "pip install -e . && python -m demo_app" in text


def test_the_configuration_example_loads() -> None:
    example = re.search(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert example is not None
    text = example.group(1).replace('["..."]', '["' + "x" * 32 + '"]')
    settings = Settings.from_mapping(tomllib.loads(text))
    assert settings.delivery_timeout_seconds == 10
    assert [c.id for c in settings.clients] == ["TENANT_CLIENT_ID"]


async def test_the_fastapi_example_runs_passwordless_at_any_mount() -> None:
    from tests.live_server import serve

    example = next(block for block in python_blocks() if "FastAPI()" in block)
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    async with serve(namespace["app"]) as url, httpx.AsyncClient(base_url=url) as http:  # type: ignore[arg-type]
        login = await http.get("/sign-in/login")
        assert login.status_code == 200 and "password" not in login.text.lower()
        me = await http.get("/me", headers={"accept": "text/html"})
        assert me.status_code == 303
        assert me.headers["location"] == "/sign-in/login?next=%2Fme"
        assert (await http.get("/me", headers={"accept": "application/json"})).status_code == 401
        assert (await http.get("/hello")).json() == {"hello": "stranger"}
