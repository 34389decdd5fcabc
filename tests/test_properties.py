"""Property-based tests: a random edit to a valid table is either still valid or reported at the edited line.

The edits are those a hurried curator or a hostile file makes: a cell replaced
by odd text, one character inserted or deleted anywhere in a line (quotes,
commas, line breaks, NUL and non-UTF-8 bytes included), a whole file replaced
by random bytes. The validator never raises. Cells that other tables reference
(keys) are left alone, since renaming a key is valid on its own line and is
reported where the references break.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import csv_path, read_rows, write_rows
from intergov import schema as ts
from intergov.package import load
from intergov.validate import validate
from test_hostile import mini_package

#: A small package of real tables, closed under foreign keys: keys, unique keys, numbers, partial dates.
TABLES = ("countries", "currencies", "sources", "organisations", "exchange_rates")

#: Characters that break things: quotes, separators, line breaks, invisible and look-alike letters, formulas.
TRICKY = [
    '"',
    ",",
    "\n",
    "\r",
    " ",
    "\t",
    "=",
    "-",
    "+",
    "@",
    "\u200b",
    "\u00a0",
    "\u00ad",
    "\u0410",
    "é",
    "0",
    "a",
    "Z",
]
CELL_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(TRICKY), max_size=8),
    st.text(max_size=8),
    st.sampled_from(["", " ", "-5", "1e400", "NaN", "2023-02-30", "2023-13", "AZE", "USD", "cbar", "en", "true"]),
)
RAW_INSERTS = [c.encode() for c in TRICKY] + [b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf"]

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    descriptor = mini_package(tmp_path_factory.mktemp("properties"), TABLES)
    result = validate(descriptor)
    assert result.valid and not result.findings, result.findings
    return descriptor


def referenced(descriptor: Path) -> set[tuple[str, str]]:
    """(table, field) pairs that a foreign key of the package points at."""
    package, _ = load(descriptor)
    return {
        (target or resource.name, field)
        for resource in package.resources
        for _, target, fields in ts.foreign_keys(resource.schema)
        for field in fields
    }


def reported_at(descriptor: Path, table: str, lines: set[int]) -> tuple[bool, list]:
    """Validate; whether the result is valid or a finding in ``table`` points at one of ``lines``."""
    result = validate(descriptor)  # must never raise
    name = csv_path(descriptor, table).name
    here = [f for f in result.findings if f.path.endswith(name)]
    pointed = any(f.line in lines for f in here) or any(f"line {n}" in f.message for f in here for n in lines)
    event("valid" if result.valid else "reported at the edited line" if pointed else "NOT REPORTED")
    return result.valid or pointed, result.findings


def restoring(descriptor: Path, table: str):
    """Run an edit on ``table``'s file, then put the original bytes back."""
    path = csv_path(descriptor, table)
    original = path.read_bytes()

    class Restore:
        def __enter__(self) -> Path:
            return path

        def __exit__(self, *exc) -> None:
            path.write_bytes(original)

    return Restore()


@SETTINGS
@given(data=st.data())
def test_a_changed_cell_is_valid_or_reported_on_its_line(package: Path, data: st.DataObject) -> None:
    keys = referenced(package)
    table = data.draw(st.sampled_from(TABLES), label="table")
    rows = read_rows(package, table)
    number = data.draw(st.integers(1, len(rows) - 1), label="row")
    fields = [i for i, name in enumerate(rows[0]) if (table, name) not in keys]
    column = data.draw(st.sampled_from(fields), label="column")
    value = data.draw(CELL_TEXT, label="value")
    with restoring(package, table):
        rows[number][column] = value
        write_rows(package, table, rows)
        ok, findings = reported_at(package, table, {number + 1})
        assert ok, findings


def cell_spans(line: str) -> list[tuple[int, int]]:
    """Start and end of each cell of one canonical CSV line (quotes included)."""
    spans, start, quoted = [], 0, False
    for at, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            spans.append((start, at))
            start = at + 1
    spans.append((start, len(line)))
    return spans


@SETTINGS
@given(data=st.data())
def test_a_raw_edit_is_valid_or_reported_on_its_line(package: Path, data: st.DataObject) -> None:
    keys = referenced(package)
    table = data.draw(st.sampled_from(TABLES), label="table")
    with restoring(package, table) as path:
        lines = path.read_bytes().decode("utf-8").split("\n")[:-1]
        number = data.draw(st.integers(1, len(lines)), label="line")
        header = lines[0].split(",")
        spans = [
            span
            for index, span in enumerate(cell_spans(lines[number - 1]))
            if number == 1 or (table, header[index]) not in keys
        ]
        start, end = data.draw(st.sampled_from(spans), label="cell")
        raw = [line.encode("utf-8") for line in lines]
        prefix = len(lines[number - 1][:start].encode("utf-8"))
        cell = lines[number - 1][start:end].encode("utf-8")
        if cell and data.draw(st.booleans(), label="delete"):
            at = data.draw(st.integers(0, len(cell) - 1), label="at")
            inserted = b""
            raw[number - 1] = raw[number - 1][: prefix + at] + raw[number - 1][prefix + at + 1 :]
        else:
            at = data.draw(st.integers(0, len(cell)), label="at")
            inserted = data.draw(st.sampled_from(RAW_INSERTS), label="insert")
            raw[number - 1] = raw[number - 1][: prefix + at] + inserted + raw[number - 1][prefix + at :]
        path.write_bytes(b"\n".join(raw) + b"\n")
        edited = {number, number + 1} if inserted in (b"\n", b"\r") else {number}
        ok, findings = reported_at(package, table, edited)
        assert ok, findings


@SETTINGS
@given(table=st.sampled_from(TABLES), content=st.binary(max_size=300))
def test_random_bytes_never_raise(package: Path, table: str, content: bytes) -> None:
    with restoring(package, table) as path:
        path.write_bytes(content)
        result = validate(package)
        name = path.name
        assert result.valid or any(f.path.endswith(name) for f in result.findings), result.findings


def test_the_package_is_left_as_it_was(package: Path) -> None:
    """The properties restore every file, so each example starts from the valid package."""
    assert validate(package).valid
