"""Wide tables: thousands of columns and a few rows validate alike in both engines.

:func:`build` writes the wide case (one resource of string, integer and number
columns, a few of them constrained); ``BENCHMARKS.md`` ("Wide tables") times it
at 9,074 columns and 4 rows. The test runs a narrower copy, with an error of
each layer injected.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from intergov import rules
from intergov.engine import Table, run
from intergov.package import load
from intergov.validate import validate

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

#: Injected cells: (row, column, value, rule reported).
ERRORS = [
    (0, 0, "=SUM(A1:A9)", "formula-injection"),
    (1, 3, "Joint\u200bstatement", "invisible-character"),
    (2, 1, "x", "type-error"),
    (3, 30, "AZE", "constraint-pattern"),
    (3, 13, "-4", "constraint-minimum"),
]


def _field(i: int) -> dict:
    """Column ``i``: a string, an integer or a number; every tenth of a kind constrained."""
    kind = ("string", "integer", "number")[i % 3]
    field: dict = {"name": f"c{i}", "type": kind}
    if i % 30 == 0 and i:
        field["constraints"] = {"pattern": "[a-z]+-[0-9]+"}
    elif i % 30 == 13:
        field["constraints"] = {"minimum": 0, "required": True}
    elif i % 30 == 27:
        field["constraints"] = {"maxLength": 24}
    return field


def _cell(i: int, row: int) -> str:
    kind = i % 3
    if kind == 0:
        return f"word-{row}" if i % 30 == 0 else f"Text {i} of row {row}"
    if kind == 1:
        return str(row * 7 + i)
    return f"{row}.{i % 100:02d}"


def build(root: Path, columns: int = 9074, rows: int = 4, errors: bool = False) -> Path:
    """Write the wide package under ``root`` (with :data:`ERRORS` injected if ``errors``); its descriptor."""
    fields = [_field(i) for i in range(columns)]
    body = [[_cell(i, row) for i in range(columns)] for row in range(rows)]
    if errors:
        for row, column, value, _ in ERRORS:
            body[row][column] = value
    (root / "data").mkdir(parents=True, exist_ok=True)
    with (root / "data" / "wide.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([f["name"] for f in fields])
        writer.writerows(body)
    descriptor = {
        "$schema": PROFILE,
        "name": "wide",
        "resources": [{"name": "wide", "path": "data/wide.csv", "schema": {"fields": fields}}],
    }
    path = root / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("columns", "rows"), [(600, 4), (40, 300)])  # a short table's columns are stacked as one
def test_a_wide_table_gives_the_same_findings_in_both_engines(tmp_path: Path, columns: int, rows: int) -> None:
    path = build(tmp_path, columns=columns, rows=rows, errors=True)
    fast = validate(path, engine="fast").findings
    reference = validate(path, engine="frictionless").findings
    assert fast == reference
    found = {(f.line, f.field, f.rule) for f in fast}
    assert found == {(row + 2, f"c{column}", rule) for row, column, _, rule in ERRORS}


def test_a_clean_wide_table_has_no_findings(tmp_path: Path) -> None:
    assert validate(build(tmp_path, columns=600)).findings == []


def test_a_typed_frame_not_as_declared_is_checked_column_by_column(tmp_path: Path) -> None:
    package, _ = load(build(tmp_path, columns=6))
    assert package is not None
    table = run(package, "fast").tables["wide"]
    assert rules.run({"wide": table}) == []
    broken = Table(table.resource, table.text, table.typed.astype({"c1": "Float64"}))
    found = [(f.rule, f.message) for f in rules.run({"wide": broken})]
    assert found == [("rule-crashed", "typed column 'c1' does not match its schema (dtype('Int64'): Float64)")]
