"""The curated data itself: valid, every fact sourced, every source used, reference tables generated."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REAL_PACKAGE, ROOT, read_rows
from intergov.validate import Result, validate

TABLES = [r["name"] for r in json.loads(REAL_PACKAGE.read_text(encoding="utf-8"))["resources"]]


def records(table: str) -> list[dict[str, str]]:
    """The rows of a table of the real package, as dicts."""
    header, *rows = read_rows(REAL_PACKAGE, table)
    return [dict(zip(header, row, strict=True)) for row in rows]


#: Tables whose every row cites a source (all but the sources and the generated reference tables).
FACT_TABLES = [t for t in TABLES if t != "sources" and "source_id" in read_rows(REAL_PACKAGE, t)[0]]
SOURCE_IDS = {r["source_id"] for r in records("sources")}


@pytest.fixture(scope="module")
def result() -> Result:
    """The validation of the real package."""
    return validate(REAL_PACKAGE)


def test_the_real_package_has_no_errors(result: Result) -> None:
    assert [f for f in result.findings if f.severity == "error"] == []
    assert result.exit_code == 0


def test_the_fact_tables_are_all_there() -> None:
    assert {"agreements", "figures", "currency_conversions", "events", "corroborations"} <= set(FACT_TABLES)
    assert "countries" not in FACT_TABLES and "currencies" not in FACT_TABLES


@pytest.mark.parametrize("table", FACT_TABLES)
def test_every_fact_row_cites_a_source_that_exists(table: str) -> None:
    rows = records(table)
    assert rows, f"{table} is empty"
    assert [r["source_id"] for r in rows if r["source_id"] not in SOURCE_IDS] == []


def test_every_source_is_cited() -> None:
    cited = {r["source_id"] for table in FACT_TABLES for r in records(table)}
    assert sorted(SOURCE_IDS - cited) == []


def test_the_conflicting_2022_trade_figures_are_both_kept_with_their_sources() -> None:
    trade_2022 = [
        r
        for r in records("figures")
        if (r["measure"], r["period_start"], r["period_end"], r["currency_code"])
        == ("trade_turnover", "2022", "2022", "USD")
    ]
    by_value = {float(r["value_low"]): r["source_id"] for r in trade_2022}
    assert {461_900_000.0, 460_000_000.0} <= set(by_value)
    assert by_value[461_900_000.0] != by_value[460_000_000.0]
    assert {by_value[461_900_000.0], by_value[460_000_000.0]} <= SOURCE_IDS


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
