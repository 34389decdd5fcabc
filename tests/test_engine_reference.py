"""The reference Table Schema engine: each error kind becomes the right rule at the right line and column.

One copy of the real package carries every edit (each in its own row), so the
engine runs once for the module. The first agreement's title spans three
lines, so every later agreement starts two lines below its record number.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

import pandas as pd
import pytest

from conftest import append_row, copy_package, csv_path, read_rows, set_cell, write_rows
from intergov import engine
from intergov.engine import EngineResult, reference, translate
from intergov.findings import ERROR, Finding
from intergov.messages import cell_message
from intergov.package import load


class Expected(NamedTuple):
    """A finding the engine must report: where, and about what."""

    table: str
    line: int
    column: int | None
    field: str | None
    value: str | None
    rule: str


CYRILLIC_AZE = "\u0410ZE"
ZWSP_SOURCE = "azernews-2022-06-07\u200b"

EXPECTED = {
    "enum-after-multi-line-cell": Expected("agreements", 9, 3, "kind", "treatise", "constraint-enum"),
    "required-blank": Expected("agreements", 5, 2, "title", None, "constraint-required"),
    "cyrillic-letter-pattern": Expected("agreements", 6, 7, "signed_country_code", CYRILLIC_AZE, "constraint-pattern"),
    "cyrillic-letter-foreign-key": Expected("agreements", 6, 7, "signed_country_code", CYRILLIC_AZE, "foreign-key"),
    "zero-width-space-pattern": Expected("agreements", 7, 12, "source_id", ZWSP_SOURCE, "constraint-pattern"),
    "zero-width-space-foreign-key": Expected("agreements", 7, 12, "source_id", ZWSP_SOURCE, "foreign-key"),
    "dangling-reference": Expected("agreements", 8, 11, "event_id", "no-such-event", "foreign-key"),
    "unknown-country-code": Expected("figures", 9, 3, "country_code", "XYZ", "foreign-key"),
    "wrong-type": Expected("contracts", 7, 3, "contract_count", "eight", "type-error"),
    "below-minimum": Expected("contracts", 3, 3, "contract_count", "0", "constraint-minimum"),
    "not-above-exclusive-minimum": Expected("contracts", 4, 4, "value_low", "-5", "constraint-minimum"),
    "above-maximum": Expected("currency_conversions", 3, 8, "to_amount_significant_digits", "16", "constraint-maximum"),
    "duplicate-primary-key": Expected("events", 8, 1, "event_id", "business-mission-baku-2022-06", "primary-key"),
    "duplicate-unique-field": Expected("countries", 118, 2, "alpha_2_code", "AZ", "unique-error"),
    "duplicate-unique-key": Expected(
        "sessions", 3, 2, "body_id, ordinal, source_id", "aze-kaz-igc, 19, trend-2023-04-07", "unique-error"
    ),
    "line-break-in-key-pattern": Expected("figures", 14, 23, "session_id", "aze-kaz-igc-19\n", "constraint-pattern"),
    "line-break-in-key-foreign-key": Expected("figures", 14, 23, "session_id", "aze-kaz-igc-19\n", "foreign-key"),
    "blank-line": Expected("people", 3, None, None, None, "blank-row"),
    "extra-cell": Expected("organisations", 3, 6, None, "extra", "extra-cell"),
}


def _break(descriptor: Path) -> None:
    """Apply every edit of :data:`EXPECTED` to the package at ``descriptor``."""
    set_cell(
        descriptor,
        "agreements",
        "comprehensive-programme-2022-2026",
        "title",
        "Comprehensive Program\non the Development\nof Cooperation",
    )
    set_cell(descriptor, "agreements", "treaty-strategic-partnership-allied-relations-2005", "kind", "treatise")
    set_cell(descriptor, "agreements", "declaration-strategic-relations-allied-interaction", "title", "")
    set_cell(descriptor, "agreements", "joint-statement-2023-04-10", "signed_country_code", CYRILLIC_AZE)
    set_cell(descriptor, "agreements", "qaztrade-ganja-entrepreneurs-memorandum", "source_id", ZWSP_SOURCE)
    set_cell(descriptor, "agreements", "standardization-metrology-agreement-2022", "event_id", "no-such-event")
    set_cell(descriptor, "figures", "trade-2021-azernews-2022-06-07", "country_code", "XYZ")
    set_cell(descriptor, "figures", "trade-2023-h1-astana-times-2023-06-22", "session_id", "aze-kaz-igc-19\n")
    set_cell(descriptor, "contracts", "trade-mission-baku-2023-04-contracts", "contract_count", "eight")
    set_cell(descriptor, "contracts", "business-mission-baku-2022-06-rice", "contract_count", "0")
    set_cell(descriptor, "contracts", "business-mission-baku-2022-06-rolled-metal", "value_low", "-5")
    set_cell(descriptor, "currency_conversions", "trend-2023-04-07-trade-usd", "to_amount_significant_digits", "16")
    events = read_rows(descriptor, "events")
    append_row(descriptor, "events", dict(zip(events[0], events[1], strict=True)))
    set_cell(descriptor, "countries", "KAZ", "alpha_2_code", "AZ")
    sessions = read_rows(descriptor, "sessions")
    duplicate = dict(zip(sessions[0], sessions[1], strict=True))
    append_row(descriptor, "sessions", {**duplicate, "session_id": "aze-kaz-igc-19-bis"})
    organisations = read_rows(descriptor, "organisations")
    organisations[2].append("extra")
    write_rows(descriptor, "organisations", organisations)
    people = csv_path(descriptor, "people")
    lines = people.read_text(encoding="utf-8").split("\n")
    people.write_text("\n".join([*lines[:2], "", *lines[2:]]), encoding="utf-8")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> EngineResult:
    """The engine's result on a copy of the real package with every edit applied (read only)."""
    descriptor = copy_package(tmp_path_factory.mktemp("broken"))
    _break(descriptor)
    package, findings = load(descriptor)
    assert findings == []
    assert package is not None
    return reference.run(package)


def _table(finding: Finding) -> str:
    return Path(finding.path).stem


def _found(result: EngineResult, expected: Expected) -> Finding:
    matching = [
        f for f in result.findings if (_table(f), f.line, f.rule) == (expected.table, expected.line, expected.rule)
    ]
    assert len(matching) == 1, [f for f in result.findings if _table(f) == expected.table]
    return matching[0]


@pytest.mark.parametrize("expected", list(EXPECTED.values()), ids=list(EXPECTED))
def test_each_error_kind_is_reported_at_its_physical_line_and_column(broken: EngineResult, expected: Expected) -> None:
    f = _found(broken, expected)
    assert (f.column, f.field, f.severity) == (expected.column, expected.field, ERROR)
    if expected.value is not None:
        assert f.value == expected.value
    assert f.message


def test_nothing_else_is_reported(broken: EngineResult) -> None:
    found = {(_table(f), f.line, f.rule) for f in broken.findings}
    assert found == {(e.table, e.line, e.rule) for e in EXPECTED.values()}


@pytest.mark.parametrize(
    ("expected", "hint"),
    [
        (EXPECTED["cyrillic-letter-pattern"], "U+0410 CYRILLIC CAPITAL LETTER A"),
        (EXPECTED["cyrillic-letter-foreign-key"], "U+0410 CYRILLIC CAPITAL LETTER A"),
        (EXPECTED["zero-width-space-pattern"], "U+200B ZERO WIDTH SPACE"),
        (EXPECTED["zero-width-space-foreign-key"], "U+200B ZERO WIDTH SPACE"),
        (EXPECTED["line-break-in-key-pattern"], "U+000A LINE FEED"),
    ],
)
def test_look_alike_and_invisible_characters_are_named(broken: EngineResult, expected: Expected, hint: str) -> None:
    assert hint in _found(broken, expected).message


def test_messages_say_the_fix(broken: EngineResult) -> None:
    assert "treaty" in _found(broken, EXPECTED["enum-after-multi-line-cell"]).message
    assert "whole number" in _found(broken, EXPECTED["wrong-type"]).message
    assert "at least 1" in _found(broken, EXPECTED["below-minimum"]).message
    assert "at most 15" in _found(broken, EXPECTED["above-maximum"]).message
    assert "events" in _found(broken, EXPECTED["dangling-reference"]).message
    assert "first is on line 2" in _found(broken, EXPECTED["duplicate-primary-key"]).message
    assert "first is on line 18" in _found(broken, EXPECTED["duplicate-unique-field"]).message
    assert "first is on line 2" in _found(broken, EXPECTED["duplicate-unique-key"]).message


def test_typed_frames_are_indexed_by_physical_line(broken: EngineResult) -> None:
    agreements = broken.tables["agreements"]
    assert agreements.typed.index.tolist() == [2, 5, 6, 7, 8, 9]
    assert agreements.text.index.tolist() == [2, 5, 6, 7, 8, 9]
    assert agreements.text.at[2, "title"] == "Comprehensive Program\non the Development\nof Cooperation"
    assert broken.tables["people"].typed.index[:2].tolist() == [2, 4]


def test_typed_frames_have_nulls_where_cells_were_reported(broken: EngineResult) -> None:
    for expected in EXPECTED.values():
        if expected.field is None:
            continue
        typed = broken.tables[expected.table].typed
        for name in expected.field.split(", "):
            assert pd.isna(typed.at[expected.line, name]), (expected, name)


def test_cells_not_reported_keep_their_typed_values(broken: EngineResult) -> None:
    agreements = broken.tables["agreements"].typed
    assert agreements.at[9, "agreement_id"] == "treaty-strategic-partnership-allied-relations-2005"
    assert agreements.at[9, "signed_on"] == "2005"
    contracts = broken.tables["contracts"].typed
    assert contracts.at[7, "value_low"] == 55_000_000
    assert str(contracts.dtypes["contract_count"]) == "Int64"
    assert broken.tables["currency_conversions"].typed.at[3, "to_amount"] == 294_000_000
    assert broken.tables["events"].typed.at[2, "event_id"] == "business-mission-baku-2022-06"


def test_records_of_the_wrong_shape_are_left_out_of_the_typed_frames(broken: EngineResult) -> None:
    assert 3 not in broken.tables["organisations"].typed.index
    assert 3 not in broken.tables["people"].typed.index
    assert 2 in broken.tables["organisations"].typed.index


def test_crlf_file_with_multi_line_cells_keeps_editor_lines(package: Path) -> None:
    set_cell(package, "agreements", "comprehensive-programme-2022-2026", "title", "two\r\nlines")
    set_cell(package, "agreements", "joint-statement-2023-04-10", "kind", "treatise")
    path = csv_path(package, "agreements")
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    loaded, _ = load(package)
    assert loaded is not None
    result = reference.run(loaded)
    f = next(f for f in result.findings if f.rule == "constraint-enum")
    assert (_table(f), f.line, f.column, f.field) == ("agreements", 5, 3, "kind")
    assert result.tables["agreements"].typed.index.tolist() == [2, 4, 5, 6, 7, 8]


def test_the_header_is_line_one_even_when_another_line_looks_more_like_one(package: Path) -> None:
    people = csv_path(package, "people")
    people.write_text("# people\n" + people.read_text(encoding="utf-8"), encoding="utf-8")
    loaded, _ = load(package)
    assert loaded is not None
    found = {(f.line, f.column, f.rule) for f in reference.run(loaded).findings if _table(f) == "people"}
    assert (1, 1, "incorrect-label") in found
    assert (2, 2, "extra-cell") in found  # the real header: 4 cells where "# people" is 1; not checked further


def test_a_foreign_key_to_an_undeclared_resource_is_reported_once_by_the_loader(package: Path) -> None:
    """The loader reports it at its schema line; neither engine repeats it (the same findings in both)."""
    text = package.read_text(encoding="utf-8")
    package.write_text(text.replace('"name": "countries"', '"name": "iso-countries"', 1), encoding="utf-8")
    loaded, found = load(package)
    assert loaded is not None
    undeclared = [f for f in found if "'countries', which the package does not declare" in f.message]
    assert undeclared and all(f.rule == "schema-invalid" and f.line for f in undeclared)
    for name in engine.ENGINES:
        assert not [f for f in engine.run(loaded, name).findings if "'countries'" in f.message]


def test_unknown_engine_is_refused(package: Path) -> None:
    loaded, _ = load(package)
    assert loaded is not None
    with pytest.raises(ValueError, match="unknown engine"):
        engine.run(loaded, "spreadsheet")


@pytest.mark.parametrize("kind", ["hash-count", "byte-count", "source-error", "row-constraint"])
def test_a_frictionless_error_without_a_rule_of_its_own_is_a_frictionless_error(kind: str) -> None:
    """The rule ids are a closed set (README, --select): an error kind intergov does not name is not one."""
    error = SimpleNamespace(type=kind, title="Some Error", note="what frictionless-py says", label=None)
    found = translate._other_finding(kind, error, "a.csv", 3, None, None, None)
    assert (found.rule, found.line, found.message) == ("frictionless-error", 3, "Some Error: what frictionless-py says")


def test_a_constraint_without_a_rule_of_its_own_is_a_frictionless_error() -> None:
    rule, message = cell_message("constraint-error", 'constraint "jsonSchema" is "{}"', "x", {"name": "a"})
    assert rule == "frictionless-error" and "jsonSchema" in message
