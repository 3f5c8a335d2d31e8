"""The documentation site: it builds with ``mkdocs build --strict``, its generated references
cover every configuration key, limit and endpoint the code has, and its examples run."""

from __future__ import annotations

import copy
import html
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import msgspec
import pytest
from mkdocs.exceptions import PluginError

from otp_flow.config import ConfigError, Settings
from otp_flow.policy import CodePolicy, Limits, RequesterLimits
from otp_flow.senders import OutboxSender
from otp_flow.web.openapi import openapi_document
from tests.test_config import EXAMPLE

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def load_hook(name: str) -> ModuleType:
    """A MkDocs hook module of docs/ (they are files, not a package)."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen_config = load_hook("gen_config")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    target = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    built = subprocess.run(
        [*command, "-f", str(ROOT / "mkdocs.yml"), "-d", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stdout + built.stderr
    yield target


def test_the_site_builds_strictly_with_every_page_of_the_nav(site: Path) -> None:
    for page in ("index.html", "configuration/index.html", "api/index.html", "pages/index.html"):
        assert (site / page).is_file(), page
    assert not list(site.rglob("*.py")), "the hooks are build code, not pages"


# ------------------------------------------------------------------------- configuration


def documented_keys(markdown: str) -> set[str]:
    """Key paths read back from the generated reference: its headings name the tables, its
    rows the keys (sender options under their type's heading, for the channels it names)."""
    keys: set[str] = set()
    table, channels = "", [""]
    for line in markdown.splitlines():
        if heading := re.match(r"### (Top level|`\[\[?([^\]]+)\]\]?`|Sender options)$", line):
            table = heading.group(2) or ""
            table = f"{table}[]" if line.startswith("### `[[") else table
            if table:
                keys.add(table.removesuffix("[]"))
            channels = [""]
        elif channel_line := re.match(r"Channels: (.*)\. Class:", line):
            channels = [f"senders.{c}" for c in channel_line.group(1).split(", ")]
        elif row := re.match(r"\| `([a-z_]+|<[a-z ]+>)` \|", line):
            for prefix in channels if channels != [""] else [table]:
                keys.add(f"{prefix}.{row.group(1)}" if prefix else row.group(1))
    return keys


def test_the_reference_documents_every_key_the_reader_accepts(site: Path) -> None:
    accepted = set(gen_config.accepted_keys())
    reference = gen_config.configuration_reference()
    assert documented_keys(reference) == accepted
    page = (site / "configuration" / "index.html").read_text(encoding="utf-8")
    tables = {k for k in accepted if any(a.startswith((f"{k}.", f"{k}[].")) for a in accepted)}
    for key in accepted:
        # A table is a heading ([senders.sms], [[clients]]), a key a row of its table.
        name = html.escape(key.rpartition(".")[2], quote=False)  # <calling code> of a map
        shown = rf"\[\[?{re.escape(key)}\]\]?" if key in tables else re.escape(name)
        assert re.search(rf"<code>{shown}</code>", page), key


def key_paths(table: dict[str, object], prefix: str = "") -> Iterator[str]:
    """Every key path of a parsed TOML document, arrays of tables as ``name[]``."""
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        yield path
        if isinstance(value, dict):
            yield from key_paths(value, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for entry in value:
                yield from key_paths(entry, f"{path}[]")


def test_the_recorded_keys_are_those_of_real_files_and_no_others() -> None:
    # Every key of the README's example and of the configuration tests' example is recorded...
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = [*re.findall(r"```toml\n(.*?)```", readme, re.S), EXAMPLE]
    accepted = set(gen_config.accepted_keys())
    for example in examples:
        # A map table's keys are the operator's: each stands for the map's one placeholder.
        paths = {gen_config.generic_path(p) for p in key_paths(tomllib.loads(example))}
        paths = {p.removesuffix("[]") for p in paths}
        assert paths - accepted == set()
    # ...and a key the reader did not ask for is refused by it.
    with pytest.raises(ConfigError, match=r"unknown key limits\.per_fortnight"):
        Settings.from_mapping({**gen_config.PROBE, "limits": {"per_fortnight": 1}})


def test_a_new_key_without_a_description_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    # Descriptions live in the models (the string below each field); take one out of the schema.
    schema = copy.deepcopy(gen_config.schema())
    del schema["properties"]["limits"]["properties"]["app_per_day"]["description"]
    monkeypatch.setattr(gen_config, "schema", lambda: schema)
    with pytest.raises(PluginError, match=r"'limits\.app_per_day' has no description"):
        gen_config.configuration_reference()


def test_a_map_table_is_one_placeholder_key_and_an_unnamed_one_fails_the_build() -> None:
    # The operator's keys ("86", "1") all stand for the map's one documented key...
    placeholder = "metrics.sms_price_by_country_code.<calling code>"
    assert placeholder in gen_config.accepted_keys()
    for code in ("86", "1"):
        assert gen_config.generic_path(f"metrics.sms_price_by_country_code.{code}") == placeholder
    # ...and a table that takes keys it never asks for cannot ship without a name for them.
    original = gen_config.MAP_KEYS
    gen_config.MAP_KEYS = {}
    try:
        with pytest.raises(PluginError, match=r"sms_price_by_country_code' takes keys"):
            gen_config.configuration_reference()
    finally:
        gen_config.MAP_KEYS = original


def test_the_configuration_examples_load() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    examples = re.findall(r"```toml\n(.*?)```", page, re.S)
    assert examples
    for example in examples:
        settings = Settings.from_mapping(tomllib.loads(example))
        assert settings.sms_sender.type == "http" and settings.email_sender.type == "smtp"


# -------------------------------------------------------------------------------- limits


def test_the_limits_table_has_every_engine_limit_with_its_default(site: Path) -> None:
    table = gen_config.limits_table()
    for value in (CodePolicy(), Limits(), RequesterLimits()):
        owner = type(value).__name__
        for field in msgspec.structs.fields(value):
            if field.name in ("alphabet", "timezone"):
                continue
            row = next(line for line in table.splitlines() if f"{owner}({field.name}=)" in line)
            assert f"| {getattr(value, field.name)} |" in row
    assert "password_attempts" in (site / "limits" / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------- OpenAPI


def test_the_api_page_lists_every_endpoint_and_publishes_the_document(site: Path) -> None:
    document = openapi_document(dev=True)
    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    for path, operations in document["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in page, (method, path)
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name.lower()}"' in page, name
    published = json.loads((site / "api" / "openapi.json").read_text(encoding="utf-8"))
    assert published == document


# -------------------------------------------------------------------------------- examples


def marked_examples() -> list[tuple[str, str]]:
    """(page, code) of every python block marked ``<!-- test: app -->``."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for code in re.findall(r"<!-- test: app -->\n```python\n(.*?)```", text, re.S):
            found.append((str(page.relative_to(DOCS)), code))
    return found


PHONE, E164 = "13612345678", "+8613612345678"


@pytest.mark.parametrize(("page", "code"), marked_examples(), ids=lambda v: str(v)[:30])
async def test_the_quick_start_examples_run_as_written(
    page: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # an example's SQLite file (sqlite+aiosqlite:///app.db) lands here
    namespace: dict[str, object] = {}
    exec(compile(code, page, "exec"), namespace)
    app = namespace["app"]
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),  # type: ignore[attr-defined]
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        login = await http.get("/auth/login")
        assert login.status_code == 200 and 'name="identifier"' in login.text
        account = await http.get("/account", headers={"accept": "text/html"})
        assert account.status_code == 303
        assert account.headers["location"] == "/auth/login?next=%2Faccount"
        # A person signs up through the pages, with the code from the example's outbox, and the
        # protected page then greets them: the example's user store really keeps users.
        form = await http.get("/auth/signup")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        token = csrf.group(1)
        sent = await http.post("/auth/signup", data={"csrf_token": token, "identifier": PHONE})
        assert sent.status_code == 303, sent.text
        outbox = OutboxSender(namespace["store"])  # type: ignore[arg-type]
        code = next(m["code"] for m in await outbox.messages() if m["recipient"] == E164)
        # dev_outbox=True: the same code on the pages' own outbox, as the quick starts say.
        shown = (await http.get("/auth/dev/outbox.json")).json()["messages"]
        assert [m["code"] for m in shown if m["recipient"] == E164] == [code]
        proven = await http.post("/auth/signup/code", data={"csrf_token": token, "code": code})
        assert proven.headers["location"] == "/auth/signup/details"
        made = await http.post(
            "/auth/signup/details", data={"csrf_token": token, "display_name": "Ann"}
        )
        assert made.status_code == 303, made.text
        signed_in = await http.get("/account")
        assert signed_in.status_code == 200 and "Ann" in signed_in.text
        stored = await namespace["users"].find_by_phone(E164)  # type: ignore[attr-defined]
        assert stored is not None and stored.display_name == "Ann"


def test_both_quick_starts_have_a_tested_example() -> None:
    pages = {page for page, _ in marked_examples()}
    assert {"quickstart/starlette.md", "quickstart/fastapi.md"} <= pages


# ---------------------------------------------------------------------------------- images


def test_every_screenshot_is_shown_and_the_set_stays_small() -> None:
    gallery = (DOCS / "pages.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\(images/([^)]+)\)", gallery))
    on_disk = {p.name for p in (DOCS / "images").glob("*.png")}
    assert shown == on_disk
    assert sum((DOCS / "images" / name).stat().st_size for name in on_disk) < 400 * 1024


def test_the_readme_points_to_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "mkdocs serve" in readme and "docs/" in readme
