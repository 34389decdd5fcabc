"""scripts/synth.py: a valid synthetic package, and injected errors found where it says they are."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from intergov.package import load
from intergov.validate import validate
from test_engine_parity import assert_same

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import synth  # noqa: E402


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "clean"
    synth.write(3000, out, seed=1)
    return out


def _rows(out: Path) -> dict[str, list[list[str]]]:
    data = out / "datapackage" / "data"
    return {p.stem: list(csv.reader(p.read_text(encoding="utf-8").splitlines())) for p in data.glob("*.csv")}


def test_rows_spread_over_every_table(clean):
    tables = _rows(clean)
    package, _ = load(clean / "datapackage" / "datapackage.json")
    assert {r.name for r in package.resources} <= set(tables)
    counts = {name: len(rows) - 1 for name, rows in tables.items()}
    assert 2900 <= sum(counts.values()) <= 3000
    assert max(counts, key=counts.get) == "exchange_rates"
    assert all(counts[name] > 0 for name in synth.PROPORTIONS)


def test_the_synthetic_package_is_valid(clean):
    result = validate(clean / "datapackage" / "datapackage.json", engine="fast")
    assert [f for f in result.findings if f.severity == "error"] == []


def test_injected_errors_are_found_where_recorded(tmp_path):
    out = tmp_path / "errors"
    injected = synth.write(3000, out, errors=2 * len(synth.ERROR_KINDS), seed=5)
    assert json.loads((out / "errors.json").read_text(encoding="utf-8")) == injected
    assert {e["rule"] for e in injected} == {rule for _, _, rule in synth.ERROR_KINDS}
    result = validate(out / "datapackage" / "datapackage.json", engine="fast")
    found = {(Path(f.path).stem, f.line, f.rule) for f in result.findings}
    for error in injected:
        assert (error["table"], error["line"], error["rule"]) in found, error


def test_both_engines_agree_on_injected_errors(tmp_path):
    out = tmp_path / "errors"
    synth.write(2000, out, errors=len(synth.ERROR_KINDS), seed=9)
    assert_same(out / "datapackage" / "datapackage.json")


def test_both_engines_agree_where_columns_are_checked_once_per_value(tmp_path):
    """Large enough that the fast engine checks repetitive columns once per distinct value."""
    out = tmp_path / "errors"
    synth.write(25_000, out, errors=2 * len(synth.ERROR_KINDS), seed=11)
    assert_same(out / "datapackage" / "datapackage.json")


def test_the_command_line(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "synth.py"),
            "--rows",
            "1000",
            "--out",
            str(tmp_path / "s"),
            "--errors",
            "3",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "1000 rows, 3 injected errors" in done.stdout
    assert len(json.loads((tmp_path / "s" / "errors.json").read_text(encoding="utf-8"))) == 3
