"""The findings model: ordering, duplicates, rule selection, exit codes, long values."""

from __future__ import annotations

import dataclasses

import pytest

from intergov.findings import (
    ERROR,
    MAX_VALUE_CHARS,
    WARNING,
    Finding,
    exit_code,
    matches,
    ordered,
    select,
    sort_key,
    summarize,
)


def finding(
    rule: str = "type-error",
    *,
    path: str = "data/a.csv",
    line: int | None = 2,
    column: int | None = 1,
    severity: str = ERROR,
    message: str = "m",
    value: str | None = "x",
) -> Finding:
    """A finding with defaults for what a test does not care about."""
    return Finding(path, line, column, "id", value, rule, severity, message)


def test_finding_is_immutable() -> None:
    f = finding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.line = 3  # type: ignore[misc]


def test_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="severity"):
        finding(severity="fatal")


def test_ordered_by_path_then_line_then_column_then_rule() -> None:
    b_file = finding(path="data/b.csv", line=1)
    a_line_10 = finding(line=10)
    a_line_2_col_3 = finding(line=2, column=3)
    a_line_2_col_1_z = finding("z-rule", line=2, column=1)
    a_line_2_col_1_a = finding("a-rule", line=2, column=1)
    found = ordered([b_file, a_line_10, a_line_2_col_3, a_line_2_col_1_z, a_line_2_col_1_a])
    assert found == [a_line_2_col_1_a, a_line_2_col_1_z, a_line_2_col_3, a_line_10, b_file]


def test_lines_sort_as_numbers_not_text() -> None:
    assert [f.line for f in ordered([finding(line=10), finding(line=9), finding(line=100)])] == [9, 10, 100]


def test_file_level_and_row_level_findings_come_first() -> None:
    whole_file = finding("empty-file", line=None, column=None)
    whole_row = finding("blank-row", line=2, column=None)
    cell = finding("type-error", line=2, column=1)
    assert ordered([cell, whole_row, whole_file]) == [whole_file, whole_row, cell]


def test_ordered_removes_exact_duplicates_only() -> None:
    f = finding()
    other_value = finding(value="y")
    assert ordered([f, f, dataclasses.replace(f), other_value]) == [f, other_value]


def test_ordered_is_deterministic_for_same_place_findings() -> None:
    found = [finding(message=m) for m in "cab"]
    assert [f.message for f in ordered(found)] == ["a", "b", "c"]
    assert ordered(found) == ordered(reversed(found))


@pytest.mark.parametrize(
    "other",
    [
        {"field": "name"},
        {"field": None},
        {"severity": WARNING},
        {"value": None},
        {"value": ""},
        {"line": None},
        {"column": None},
    ],
    ids=["field", "no-field", "severity", "no-value", "empty-value", "no-line", "no-column"],
)
def test_the_sort_key_tells_apart_findings_that_differ_in_any_one_field(other: dict) -> None:
    """A total key: the order of two different findings never depends on the order of a set."""
    f = Finding("data/a.csv", 2, 1, "id", "x", "type-error", ERROR, "m")
    g = dataclasses.replace(f, **other)
    assert f != g and sort_key(f) != sort_key(g)
    assert ordered([f, g]) == ordered([g, f]) == sorted([f, g], key=sort_key)


def test_findings_differing_only_in_field_are_ordered_by_field() -> None:
    found = [dataclasses.replace(finding(), field=name) for name in ("c", "a", "b")]
    assert [f.field for f in ordered(found)] == ["a", "b", "c"]
    assert [f.field for f in ordered(reversed(found))] == ["a", "b", "c"]


def test_summarize_counts_every_severity() -> None:
    found = [finding(), finding(line=3), finding(severity=WARNING)]
    assert summarize(found) == {"error": 2, "warning": 1}
    assert summarize([]) == {"error": 0, "warning": 0}


RULE_IDS = ["date-order", "date-real", "date", "value-range", "conversion-no-rate", "dates-x"]


@pytest.mark.parametrize(
    ("selected", "ignored", "kept"),
    [
        ((), (), RULE_IDS),
        (("date-order",), (), ["date-order"]),
        (("date-",), (), ["date-order", "date-real"]),
        (("date",), (), ["date"]),
        (("date-", "value-range"), (), ["date-order", "date-real", "value-range"]),
        ((), ("date-",), ["date", "value-range", "conversion-no-rate", "dates-x"]),
        (("date-",), ("date-real",), ["date-order"]),
        (("conversion-",), ("conversion-",), []),
        (("conv",), (), []),
    ],
)
def test_select_and_ignore_match_exactly_or_by_dash_prefix(
    selected: tuple[str, ...], ignored: tuple[str, ...], kept: list[str]
) -> None:
    found = [finding(rule) for rule in RULE_IDS]
    assert [f.rule for f in select(found, select=selected, ignore=ignored)] == kept


@pytest.mark.parametrize(
    ("rule", "patterns", "matched"),
    [("date-order", ["date-order"], True), ("date-order", ["date-"], True), ("date-order", ["date"], False)],
)
def test_a_pattern_matches_exactly_or_as_a_dash_prefix(rule: str, patterns: list[str], matched: bool) -> None:
    assert matches(rule, patterns) is matched


def test_exit_code_errors_block_warnings_only_when_strict() -> None:
    error, warning = finding(), finding(severity=WARNING)
    assert exit_code([]) == 0
    assert exit_code([], strict=True) == 0
    assert exit_code([warning]) == 0
    assert exit_code([warning], strict=True) == 1
    assert exit_code([error]) == 1
    assert exit_code([error, warning], strict=True) == 1


def test_exit_code_accepts_a_generator() -> None:
    assert exit_code(f for f in [finding()]) == 1


def test_long_values_are_truncated_and_say_their_length() -> None:
    long = "x" * (MAX_VALUE_CHARS + 1)
    f = finding(value=long)
    assert f.value == "x" * MAX_VALUE_CHARS + f"... ({MAX_VALUE_CHARS + 1} characters)"
    assert finding(value="y" * MAX_VALUE_CHARS).value == "y" * MAX_VALUE_CHARS


def test_to_dict_has_every_field_in_order() -> None:
    f = finding()
    assert list(f.to_dict()) == [field.name for field in dataclasses.fields(Finding)]
    assert f.to_dict()["line"] == 2
