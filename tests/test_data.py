"""The real package, as a whole: it validates, it is canonical, it builds, its reference tables are generated.

Nothing here reads a particular row: a curator's valid edit must never turn these red. Rule cases live in
the fixture package (``tests/fixtures/package``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REAL_PACKAGE, ROOT
from intergov.build import build
from intergov.fmt import format_package
from intergov.package import load
from intergov.validate import Result, validate


@pytest.fixture(scope="module")
def result() -> Result:
    """The validation of the real package."""
    return validate(REAL_PACKAGE)


def test_the_real_package_has_no_errors(result: Result) -> None:
    assert [f for f in result.findings if f.severity == "error"] == []
    assert result.exit_code == 0


def test_the_real_package_is_canonical() -> None:
    package, _ = load(REAL_PACKAGE)
    assert [f.path for f in format_package(package) if f.changes or f.problem] == []


def test_the_real_package_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    built = build(REAL_PACKAGE, tmp_path / "dist")
    assert (built.folder / "datapackage.json").is_file()


def test_the_reference_tables_are_what_the_script_generates() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "reference.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stale" not in done.stdout
