"""The sdist and the wheel carry everything: build both, install the wheel, serve from it.

The sdist is built first and the wheel from the unpacked sdist (as ``python -m build`` does), so a
file missing from the sdist breaks the wheel too. The wheel goes into a new virtual environment
(no system site-packages) without its dependencies: those are borrowed, read-only, from this
environment's site-packages through a path file (no downloads: tests reach loopback only), while
otp_flow itself can only come from the wheel. tests/wheel_check.py then runs ``otp-flow serve`` on
a private Redis and the demo from a copy outside the checkout. ``.ci/run`` repeats the check with
the wheel's declared dependencies installed from the index.
"""

from __future__ import annotations

import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from tests.redis_harness import redis_server_binary

ROOT = Path(__file__).parent.parent
EXAMPLE_FILES = {
    "examples/__init__.py",
    "examples/fastapi_sqlalchemy/app.py",
    "examples/fastapi_sqlalchemy/templates/base.html",
}


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _source_files(*patterns: str) -> set[str]:
    """Paths (relative to the checkout) of the package's data files and the templates."""
    data = {
        p.relative_to(ROOT).as_posix()
        for pattern in patterns
        for p in (ROOT / "otp_flow").rglob(pattern)
    }
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*")}
    return data | {t for t in templates if (ROOT / t).is_file()}


def test_the_sdist_and_wheel_ship_everything_and_the_wheel_serves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # No isolation: the build backend (hatchling) is in the test extra, and nothing is downloaded.
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT)
    (sdist,) = dist.glob("otp_flow-*.tar.gz")
    (wheel,) = dist.glob("otp_flow-*.whl")

    files = _source_files("*.py", "*.lua", "*.json", "py.typed")
    assert "otp_flow/stores/lua/issue.lua" in files
    assert "templates/messages/sms/login.zh-CN.txt" in files
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        in_sdist = {name.removeprefix(top + "/") for name in archive.getnames()}
    # The sdist carries what the tests import: the demo and the example application.
    extras = {"pyproject.toml", "README.md", "demo_app/__main__.py", *EXAMPLE_FILES}
    assert files | extras <= in_sdist, sorted((files | extras) - in_sdist)
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    packaged = {f"otp_flow/{name}" if name.startswith("templates/") else name for name in files}
    assert packaged <= in_wheel, sorted(packaged - in_wheel)

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site_packages = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )
    # Plain directory lines: Python adds them to sys.path after the venv's own site-packages,
    # and does not run the path files inside them (this environment's editable otp_flow).
    borrowed = [*site.getsitepackages(), site.getusersitepackages()]
    (site_packages / "borrowed-dependencies.pth").write_text("\n".join(borrowed) + "\n")
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel,
    )  # fmt: skip
    output = _run(
        python, ROOT / "tests" / "wheel_check.py",
        "--demo", ROOT / "demo_app", "--redis-server", redis_server_binary(),
        cwd=tmp_path,
    )  # fmt: skip
    assert output.splitlines()[-1] == "wheel check: ok", output
