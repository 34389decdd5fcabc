"""``intergov validate --format ...`` through the real entry point, with --strict, --select, --ignore and
--max-findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import set_cell
from intergov.cli import main
from test_hostile import mini_package

DESCRIPTOR = "datapackage/datapackage.json"


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """A small package with three errors (a bad code is also a broken foreign key) and a warning."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    descriptor = mini_package(tmp_path)
    return {
        "pattern": set_cell(descriptor, "people", "ilham-aliyev", "country_code", "AZ"),
        "formula": set_cell(descriptor, "people", "parviz-shahbazov", "full_name", "=cmd()"),
        "hidden": set_cell(descriptor, "people", "serik-zhumangarin", "full_name", "Serik\u00a0Zhumangarin"),
    }


def invoke(*args: str):
    result = CliRunner().invoke(main, ["validate", *args, DESCRIPTOR])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_text_is_the_default(broken: dict[str, int]) -> None:
    result = invoke()
    assert result.exit_code == 1
    assert f"datapackage/data/people.csv:{broken['pattern']}:3: error [constraint-pattern]" in result.output
    assert result.output.rstrip().endswith("invalid: 3 errors, 1 warning")
    assert "\x1b[" not in result.output  # no colour when not on a terminal


def test_json(broken: dict[str, int]) -> None:
    result = invoke("--format", "json")
    document = json.loads(result.stdout)
    assert (result.exit_code, document["exit_code"], document["counts"]) == (1, 1, {"error": 3, "warning": 1})
    assert {(f["rule"], f["line"]) for f in document["findings"]} == {
        ("constraint-pattern", broken["pattern"]),
        ("foreign-key", broken["pattern"]),
        ("formula-injection", broken["formula"]),
        ("invisible-character", broken["hidden"]),
    }


def test_markdown(broken: dict[str, int]) -> None:
    result = invoke("--format", "markdown")
    assert result.exit_code == 1
    assert "#### `datapackage/data/people.csv` (3 errors, 1 warning)" in result.output
    assert f"| {broken['formula']} | 2 | error | `formula-injection` | `full_name` | `=cmd()` |" in result.output


def test_github_writes_the_job_summary(broken: dict[str, int], tmp_path: Path, monkeypatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = invoke("--format", "github")
    assert result.exit_code == 1
    assert (
        f"::error file=datapackage/data/people.csv,line={broken['pattern']},col=3,"
        "title=intergov constraint-pattern (country_code)::"
    ) in result.output
    assert f"::warning file=datapackage/data/people.csv,line={broken['hidden']},col=2," in result.output
    assert "| `invisible-character` |" in summary.read_text(encoding="utf-8")


def test_github_without_a_job_summary(broken: dict[str, int], tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    result = invoke("--format", "github", "--max-findings", "1")
    assert result.output.count("::error ") == 1
    assert "::notice title=intergov validate::3 more findings not annotated" in result.output
    assert "with --format markdown or --format text" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_github_with_an_unwritable_job_summary(broken: dict[str, int], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a folder
    result = invoke("--format", "github")
    assert result.exit_code == 2
    assert "cannot write the job summary" in result.output


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github"])
def test_select_ignore_and_strict_in_every_format(broken: dict[str, int], fmt: str) -> None:
    assert (
        invoke(
            "--format", fmt, "--ignore", "constraint-", "--ignore", "foreign-key", "--ignore", "formula-injection"
        ).exit_code
        == 0
    )
    assert invoke("--format", fmt, "--select", "invisible-character").exit_code == 0
    assert invoke("--format", fmt, "--select", "invisible-character", "--strict").exit_code == 1
    only = invoke("--format", fmt, "--select", "formula-injection")
    assert only.exit_code == 1
    assert "formula-injection" in only.output and "constraint-pattern" not in only.output


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_max_findings(broken: dict[str, int], fmt: str) -> None:
    result = invoke("--format", fmt, "--max-findings", "1")
    assert result.exit_code == 1
    assert "3 more findings" in result.output
    assert "formula-injection" not in result.output.split("more findings")[0]
