"""The example application (examples/fastapi_sqlalchemy): its otp_flow glue stays under 25 lines,
and served by uvicorn in a child process it starts, makes its own table and guards its dashboard.

tests/browser/test_example_app.py drives it end to end in Chromium.
"""

from __future__ import annotations

import ast
import io
import sqlite3
import tokenize
from pathlib import Path

import httpx

from tests.uvicorn_harness import UvicornProcess

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fastapi_sqlalchemy"
GLUE_START = "# --- otp_flow glue"
GLUE_END = "# --- end"
GLUE_LIMIT = 25


def glue_blocks(source: str) -> list[list[str]]:
    """The lines between each ``# --- otp_flow glue`` and the next ``# --- end``."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in source.splitlines():
        marker = line.strip()
        if marker == GLUE_START:
            assert current is None, "a glue block opens inside another"
            current = []
        elif marker == GLUE_END:
            assert current is not None, "a glue block ends that never began"
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    assert current is None, "a glue block never ends"
    return blocks


def glue_line_count(source: str) -> int:
    """Non-blank, non-comment lines inside the glue blocks."""
    return sum(
        1
        for block in glue_blocks(source)
        for line in block
        if line.strip() and not line.strip().startswith("#")
    )


def example_sources() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(EXAMPLE.glob("*.py"))}


def test_the_glue_is_under_25_lines() -> None:
    counts = {name: glue_line_count(source) for name, source in example_sources().items()}
    total = sum(counts.values())
    assert counts["app.py"] > 0  # the markers are there, and around code
    assert total < GLUE_LIMIT, f"{total} lines of otp_flow glue: {counts}"
    # The number the READMEs give is the real one.
    assert f"in {total} lines of glue" in (EXAMPLE / "README.md").read_text()
    assert (
        f"and {total} lines of otp_flow glue" in (EXAMPLE.parent.parent / "README.md").read_text()
    )


def test_the_counter_counts_code_not_comments() -> None:
    source = "\n".join(
        ["x = 1", GLUE_START, "a = 1", "", "  # why", "b = (", "    2,", ")", GLUE_END, "y = 2"]
    )
    assert glue_line_count(source) == 4


def otp_flow_outside_the_glue(source: str) -> list[str]:
    """Every import of otp_flow, and every use of a name imported from it, outside a glue block."""
    glue_lines = _glue_line_numbers(source)
    found: list[str] = []
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if (module or "").split(".")[0] == "otp_flow":
                imported |= {alias.asname or alias.name for alias in node.names}
                if node.lineno not in glue_lines:
                    found.append(f"{node.lineno}: import")
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        # "models.User" is the application's own User, not otp_flow's: skip attributes.
        line = token.start[0]
        is_name = token.type == tokenize.NAME and previous != "."
        if is_name and token.string in imported | {"otp_flow"} and line not in glue_lines:
            found.append(f"{line}: {token.string}")
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token.string
    return found


def test_nothing_of_otp_flow_is_used_outside_the_glue() -> None:
    """The count would mean nothing if otp_flow were also used outside the marked lines."""
    for name, source in example_sources().items():
        assert otp_flow_outside_the_glue(source) == [], name


def test_the_checker_sees_otp_flow_outside_the_glue() -> None:
    source = "\n".join(
        [
            GLUE_START,
            "from otp_flow.web import require_user",
            GLUE_END,
            "import otp_flow.web",
            "guard = require_user",
            "row = models.require_user",
        ]
    )
    assert otp_flow_outside_the_glue(source) == ["4: import", "4: otp_flow", "5: require_user"]


def _glue_line_numbers(source: str) -> set[int]:
    inside, numbers = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() in (GLUE_START, GLUE_END):
            inside = line.strip() == GLUE_START
        elif inside:
            numbers.add(number)
    return numbers


def test_the_example_serves_and_guards_its_dashboard(tmp_path: Path) -> None:
    database = tmp_path / "acme.db"
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SECRET_KEY": "example-test-secret-0123456789abcdef",
    }
    with (
        UvicornProcess("examples.fastapi_sqlalchemy.app:create_app", env=env) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        dashboard = client.get("/dashboard", headers={"Accept": "text/html"})
        assert dashboard.status_code == 303
        assert dashboard.headers["location"] == "/auth/login?next=%2Fdashboard"
        api = client.get("/dashboard", headers={"Accept": "application/json"})
        assert api.status_code == 401
        assert api.json()["error"] == "login_required"
        assert client.get("/").headers["location"] == "/dashboard"

        login = client.get("/auth/login?next=%2Fdashboard")
        assert login.status_code == 200
        assert 'data-layout="acme"' in login.text  # the example's own base.html
        assert "--accent: #2455d6" in login.text  # otp_flow's styles, kept through _head.html
        assert 'type="password"' not in login.text  # passwordless
        assert client.get("/auth/dev/outbox.json").json() == {"messages": []}
        assert client.get("/dev/outbox.json").status_code == 404  # only under the mount

    # The application's table, made by its own metadata at start-up; otp_flow made none.
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = [row[1] for row in db.execute("PRAGMA table_info(users)")]
    assert tables == {"users"}
    assert columns == ["id", "name", "mobile", "email", "plan", "joined_at"]
