"""The fast engine: cells, keys, reading, and the Table contract (see test_engine_parity.py for the oracle)."""

from __future__ import annotations

import csv
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from conftest import copy_package, csv_path, set_cell
from intergov.cli import main
from intergov.engine import ENGINES, run
from intergov.engine import fast_keys as keys
from intergov.engine.fast import expected_fields
from intergov.engine.fast_cells import cell_reader, value_reader
from intergov.engine.fast_constraints import check
from intergov.engine.fast_read import Lines, read
from intergov.engine.fast_types import cast
from intergov.engine.text import layout
from intergov.package import load
from intergov.schema import cast_column, missing_values

#: (field, cells): every cell's verdict and value must be frictionless-py's.
CASES = [
    ({"type": "integer"}, ["1", "-0", "007", " 4", "+5", "1_000", "1.0", "x", "١٢", "99999999999999999999"]),
    ({"type": "integer", "bareNumber": False}, ["€5", "5%", "-abc", "1 000"]),
    ({"type": "number"}, ["1.5", "-0", ".5", "5.", "1e3", "NaN", "inf", "1,5", "0.1000000000000000000001", " 2"]),
    ({"type": "number", "decimalChar": ",", "groupChar": " "}, ["1 000,5", "1.5", "1,5", "2"]),
    ({"type": "number", "groupChar": ","}, ["1,000.25", "1,0,0", "1.5"]),
    ({"type": "boolean"}, ["true", "True", "1", "0", "yes", " true", "FALSE"]),
    ({"type": "boolean", "trueValues": ["yes", "1"], "falseValues": ["no", "1"]}, ["yes", "1", "no", "true"]),
    ({"type": "date"}, ["2020-02-29", "2021-02-29", "2020-1-5", "0000-01-01", "2020-13-01", "20200101", "2020-01-01 "]),
    ({"type": "date", "format": "%d/%m/%Y"}, ["31/01/2020", "2020-01-31", "32/01/2020"]),
    (
        {"type": "datetime"},
        ["2020-01-31T10:00:00Z", "2020-01-31T10:00:00+01:30", "2020-01-31T24:00:00", "2020-01-31T10:00"],
    ),
    ({"type": "time"}, ["10:00:00", "24:00:00", "10:00", "10:00:00Z", "23:59:60"]),
    ({"type": "year"}, ["2020", "0000", "-100", "+123", " 12", "20201"]),
    ({"type": "yearmonth"}, ["2020-01", "2020-13", "2020-1", "2020-01-01"]),
    ({"type": "string", "format": "uri"}, ["https://x.org", "mailto:a@b", "x", "1a:b", ":x", "é:x"]),
    ({"type": "string", "format": "email"}, ["a@b.org", "a@", "x"]),
    (
        {"type": "string", "constraints": {"pattern": "[a-z]+(-[a-z]+)*", "maxLength": 5}},
        ["ab-c", "ab\n", "é", "abcdef", "A"],
    ),
    ({"type": "string", "constraints": {"pattern": r"\w+\s\S"}}, ["ab c", "é x", "a\vb", "a\tb", "ab \x0b"]),
    ({"type": "string", "constraints": {"pattern": "a|b"}}, ["a", "ab", "b", "xb"]),
    ({"type": "string", "constraints": {"enum": ["a", 1], "minLength": 2}}, ["a", "1", "ab"]),
    (
        {"type": "integer", "constraints": {"minimum": 2, "exclusiveMaximum": "5", "enum": [2, 3, "4"]}},
        ["1", "2", "4", "5"],
    ),
    (
        {"type": "number", "constraints": {"exclusiveMinimum": 0, "maximum": 1.5}},
        ["0", "-0", "1.5", "1.50000000000000001", "NaN"],
    ),
    ({"type": "date", "constraints": {"minimum": "2020-02-01"}}, ["2020-01-31", "2020-02-01"]),
    ({"type": "boolean", "constraints": {"enum": [True]}}, ["true", "false"]),
    ({"type": "any", "constraints": {"enum": ["a"]}}, ["a", "b"]),
]


@pytest.mark.parametrize(("field", "cells"), CASES, ids=[str(f) for f, _ in CASES])
def test_cells_as_frictionless_reads_them(field, cells):
    field = {"name": "f", **field}
    column = check(cast(pa.array([*cells, "", None], pa.large_string()), field, ("",)), ("",))
    reader = cell_reader(field, ("",))
    pattern = field.get("constraints", {}).get("pattern")
    typed = column.typed.to_pylist()
    for i, cell in enumerate([*cells, "", None]):
        value, notes = reader(cell)
        notes = notes or {}
        if pattern and value is not None and "type" not in notes and not re.fullmatch(f"(?:{pattern})", cell):
            notes["pattern"] = "the whole value (frictionless-py's reader is not given patterns)"
        assert column.type_error[i] == ("type" in notes), cell
        assert {name for name, mask in column.errors.items() if mask[i]} == set(notes) - {"type"}, cell
        if value is None or field["type"] in ("time", "yearmonth", "any") or "format" in field:
            continue
        expected = float(value) if isinstance(value, Decimal) else value
        if isinstance(expected, datetime) and expected.tzinfo is None:
            expected = expected.replace(tzinfo=UTC)  # typed datetimes are UTC, naive ones taken as UTC
        if isinstance(expected, float) and np.isnan(expected):
            assert np.isnan(typed[i])
        elif not (field["type"] == "integer" and abs(value) >= 2**63):
            assert typed[i] == expected, cell


@pytest.mark.parametrize(("field", "cells"), CASES, ids=[str(f) for f, _ in CASES])
def test_a_column_of_repeated_cells_gets_the_same_verdicts(field, cells):
    """Repeated enough, a column is checked once per distinct text (``Column.dictionary``): same verdicts."""
    field = {"name": "f", **field}
    once = check(cast(pa.array([*cells, "", None], pa.large_string()), field, ("",)), ("",))
    times = 20_000 // (len(cells) + 2) + 1
    repeated = check(cast(pa.array([*cells, "", None] * times, pa.large_string()), field, ("",)), ("",))
    assert repeated.dictionary is not None
    assert repeated.type_error.tolist() == once.type_error.tolist() * times
    assert {name: mask.tolist() for name, mask in repeated.errors.items()} == {
        name: mask.tolist() * times for name, mask in once.errors.items()
    }
    assert repr(repeated.typed.to_pylist()) == repr(once.typed.to_pylist() * times)  # NaN as NaN


@pytest.mark.parametrize(
    "field",
    [{"type": "integer"}, {"type": "number"}, {}, {"format": "email"}, {"format": "uri"}, {"type": "year"}],
    ids=str,
)
def test_constraint_values_are_read_as_frictionless_reads_them(field):
    from frictionless import Field

    theirs = Field.from_descriptor({"name": "f", **field}).create_value_reader()
    ours = value_reader({"name": "f", **field})
    for value in [0, 1, -3, True, False, 1.5, 2.0, Decimal("2"), "5", " 5", "AZN", "a@b.org", "https://x.org", None]:
        assert repr(ours(value)) == repr(theirs(value)), value


def test_text_that_passes_its_format_is_its_own_typed_value():
    column = cast(pa.array(["a@b.org", "a@", ""], pa.large_string()), {"name": "e", "format": "email"}, ("",))
    assert column.typed.to_pylist() == ["a@b.org", None, None]


def test_a_reference_from_a_repeated_column_is_found_once_per_value():
    local = _part(["AZN", "USD", "XXX", ""] * 5_000, {"type": "string"})
    assert local.column.dictionary is not None
    broken = keys.broken_references([[local, _part(["AZN", "USD"], {"type": "string"})]])
    assert broken.tolist() == [False, False, True, False] * 5_000


def test_runs_in_threads_put_back_the_memory_pool_they_found():
    before = pa.default_memory_pool().backend_name
    package, _ = load("datapackage/datapackage.json")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: run(package, "fast"), range(3)))
    assert pa.default_memory_pool().backend_name == before
    assert all(r.findings == results[0].findings for r in results)


def test_missing_values_of_the_field_win():
    field = {"name": "f", "type": "integer", "missingValues": ["-"], "constraints": {"required": True}}
    column = check(cast(pa.array(["-", "", "1"]), field, missing_values({"missingValues": [""]}, field)), ("-",))
    assert column.missing.tolist() == [True, False, False]
    assert column.type_error.tolist() == [False, True, False]
    assert column.errors["required"].tolist() == [True, False, False]


def test_cast_column_is_the_engine_parse():
    typed = cast_column(pd.Series([" 7", "1_000", "x", ""]), {"name": "n", "type": "integer"})
    assert typed.tolist() == [7, 1000, pd.NA, pd.NA]
    assert str(typed.dtype) == "Int64"


def _part(values, field):
    return keys.part(cast(pa.array(values, pa.large_string()), {"name": "k", **field}, ("",)), len(values))


def test_keys_compare_typed_values():
    number = _part(["1.0", "1", "NaN", "NaN", "2"], {"type": "number"})
    (key,) = keys.codes([[number]])
    flagged, previous = keys.duplicates(key.codes, np.arange(2, 7), skip_null=True, eligible=~key.unmatchable)
    assert flagged.tolist() == [False, True, False, False, False]  # NaN equals nothing, not even NaN
    assert previous[1] == 2


def test_foreign_keys_across_types_and_with_missing_parts():
    local = [_part(["1", "2", "", "3"], {"type": "integer"}), _part(["a", "b", "", ""], {"type": "string"})]
    remote = [_part(["1.0", "2", "3"], {"type": "number"}), _part(["a", "x", ""], {"type": "string"})]
    broken = keys.broken_references([[local[0], remote[0]], [local[1], remote[1]]])
    assert broken.tolist() == [False, True, False, False]  # (1, a) = (1.0, a); (3, None) = (3, None)


def test_read_maps_records_to_physical_lines():
    data = b'id,note\n1,"two\nlines"\n\n2,x,extra\n3\n'
    records = read(data, 2, layout(data))
    assert records.labels == ["id", "note"]
    assert list(records.lines) == [1, 2, 4, 5, 6]
    assert records.numbers.tolist() == [2, 3, 4, 5]
    assert records.counts.tolist() == [2, 0, 3, 1]
    assert records.extras == {2: "extra"}
    assert records.columns[1].to_pylist() == ["two\nlines", None, "x", None]


@pytest.mark.parametrize("data", [b"id,n\r\n1,2\r\n", b'id,n\n1,a"b\n', b'id,n\n1,"a"b\n'])
def test_files_csv_reads_otherwise_are_read_by_csv(data):
    records = read(data, 2, layout(data))
    assert records.labels == ["id", "n"]
    assert records.counts.tolist() == [2]


def test_lines_are_python_ints():
    lines = Lines(np.array([1, 3]))
    assert type(lines[1]) is int and lines[:] == [1, 3]


def test_fields_beyond_the_schema_are_any():
    fields = expected_fields({"fields": [{"name": "a"}]}, ["a", "b", "b"])
    assert [(f["name"], f.get("type")) for f in fields] == [("a", None), ("b", "any"), ("b2", "any")]


def test_fast_is_the_default_engine():
    assert ENGINES[0] == "fast"
    result = CliRunner().invoke(main, ["validate", "--help"])
    assert "[default: fast]" in result.output


def test_tables_equal_the_reference_engines(tmp_path):
    descriptor = copy_package(tmp_path)
    set_cell(descriptor, "agreements", "comprehensive-programme-2022-2026", "kind", "treatise")
    package, _ = load(descriptor)
    reference, fast = run(package, "frictionless"), run(package, "fast")
    for name, table in reference.tables.items():
        pd.testing.assert_frame_equal(fast.tables[name].text, table.text)
        pd.testing.assert_frame_equal(fast.tables[name].typed, table.typed)
        assert fast.tables[name].typed.index.name == "line"


def test_a_quoted_cell_across_lines_keeps_physical_lines(tmp_path):
    descriptor = copy_package(tmp_path)
    path = csv_path(descriptor, "sources")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("The Astana Times,news_site,,,", 'The Astana Times,news_site,,"two\nlines",', 1)
    lines.append(lines[-1].replace(",en", ",EN"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    package, _ = load(descriptor)
    findings = [f for f in run(package, "fast").findings if f.path.endswith("sources.csv")]
    assert {(f.line, f.rule) for f in findings} >= {(len(lines) + 1, "constraint-pattern")}


@pytest.mark.parametrize("data", [b"\xff\xfe,\x00\n", b'country_code,alpha_2_code\n"AZE,AZ\n', "é".encode("latin-1")])
def test_a_file_decode_refuses_is_left_out(tmp_path, data):
    descriptor = copy_package(tmp_path)
    csv_path(descriptor, "countries").write_bytes(data)
    package, _ = load(descriptor)
    reference, fast = run(package, "frictionless"), run(package, "fast")
    assert "countries" not in fast.tables
    assert {f for f in fast.findings if f.path.endswith("countries.csv")} == {
        f for f in reference.findings if f.path.endswith("countries.csv")
    }


def test_validate_refuses_a_key_with_a_trailing_line_break(tmp_path):
    descriptor = copy_package(tmp_path)
    key = "trend-2023-04-07-trade-usd"
    line = set_cell(descriptor, "currency_conversions", key, "conversion_id", key + "\n")
    result = CliRunner().invoke(main, ["validate", str(descriptor)])
    assert result.exit_code == 1, result.output
    assert f"currency_conversions.csv:{line}:1: error [constraint-pattern]" in result.output


def test_a_file_read_by_csv_may_hold_a_cell_beyond_the_csv_default_limit():
    data = b"id,n\r\n1," + b"x" * 200_000 + b"\r\n"
    before = csv.field_size_limit(131_072)  # the csv module's default, before frictionless-py raises it
    try:
        records = read(data, 2, layout(data))
    finally:
        csv.field_size_limit(before)
    assert records.columns[1].to_pylist() == ["x" * 200_000]
