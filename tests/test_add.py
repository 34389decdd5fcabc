"""``intergov add``: a row by field name lands in canonical form, at the line it reports; mistakes exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import copy_package, csv_path, read_rows
from intergov.add import AddError, add_rows, parse_values
from intergov.cli import main
from intergov.fmt import format_package
from intergov.package import load
from intergov.validate import validate

SESSION = [
    "sessions",
    "session_id=aze-kaz-igc-20",
    "body_id=aze-kaz-igc",
    "ordinal=20",
    "status=held",
    "held_on=2023-09",
    "source_id=reportaz-2025-10-14",
]


def invoke(descriptor: Path, *args: str):
    return CliRunner().invoke(main, ["add", "--package", str(descriptor), *args])


def test_a_row_lands_in_canonical_order_at_the_line_it_reports(tmp_path: Path) -> None:
    descriptor = copy_package(tmp_path)
    result = invoke(descriptor, *SESSION)
    assert result.exit_code == 0, result.output
    line = int(result.output.split(":")[1])
    rows = read_rows(descriptor, "sessions")
    assert rows[line - 1][:4] == ["aze-kaz-igc-20", "aze-kaz-igc", "20", "held"]
    assert rows[1:] == sorted(rows[1:])
    package, _ = load(descriptor)
    assert [f.path for f in format_package(package) if f.changes] == []
    assert validate(descriptor).exit_code == 0


def test_a_cell_with_a_line_break_keeps_the_reported_line_physical(tmp_path: Path) -> None:
    descriptor = copy_package(tmp_path)
    package, _ = load(descriptor)
    first = {"session_id": "aaa-1", "body_id": "aze-kaz-igc", "status": "planned", "city": "two\nlines"}
    second = {"session_id": "aaa-2", "body_id": "aze-kaz-igc", "status": "planned"}
    assert add_rows(package.resource("sessions"), [first, second]) == [2, 4]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sessions", "bogus=1"], "sessions has no field bogus"),
        (["no_such_table", "a=1"], "no table 'no_such_table'"),
        (["sessions", "session_id"], "is not field=value"),
        (["sessions", "city=a", "city=b"], "city is given twice"),
    ],
)
def test_mistakes_exit_2_and_write_nothing(tmp_path: Path, args: list[str], says: str) -> None:
    descriptor = copy_package(tmp_path)
    before = csv_path(descriptor, "sessions").read_bytes()
    result = invoke(descriptor, *args)
    assert result.exit_code == 2 and says in result.output
    assert csv_path(descriptor, "sessions").read_bytes() == before


def test_a_file_that_cannot_be_read_is_left_alone(tmp_path: Path) -> None:
    descriptor = copy_package(tmp_path)
    path = csv_path(descriptor, "sessions")
    path.write_bytes(path.read_bytes() + b'x,"unclosed\n')
    package, _ = load(descriptor)
    with pytest.raises(AddError, match="run intergov fmt first"):
        add_rows(package.resource("sessions"), [{"session_id": "aaa"}])


def test_values_may_hold_an_equals_sign() -> None:
    assert parse_values(["title=a=b"]) == {"title": "a=b"}
