"""Canonical form: ``intergov fmt`` restores the canonical bytes, changes nothing canonical, and never
rewrites a file it cannot parse."""

from __future__ import annotations

import csv
import io
import os
import random
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_PACKAGE, copy_package, csv_path
from intergov import fmt
from intergov.cli import main
from intergov.package import load
from test_hostile import snapshot

DESCRIPTOR = "datapackage/datapackage.json"


def run_fmt(*args: str, descriptor: str | Path = DESCRIPTOR):
    """``intergov fmt`` on ``descriptor``; no traceback, whatever the exit code."""
    result = CliRunner().invoke(main, ["fmt", *args, str(descriptor)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return copy_package(tmp_path)


def data_files(descriptor: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((descriptor.parent / "data").glob("*.csv"))}


def disorder(descriptor: Path, seed: int = 7) -> None:
    """Shuffle the rows of every table and spoil their form in every way fmt repairs."""
    rng = random.Random(seed)
    for number, path in enumerate(sorted((descriptor.parent / "data").glob("*.csv"))):
        records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        header, rows = records[0], records[1:]
        rng.shuffle(rows)
        buffer = io.StringIO(newline="")
        quoting = csv.QUOTE_ALL if number % 3 == 0 else csv.QUOTE_MINIMAL
        csv.writer(buffer, lineterminator="\r\n" if number % 2 else "\n", quoting=quoting).writerows(
            [header, *rows[: len(rows) // 2], [], *rows[len(rows) // 2 :]]
        )
        text = buffer.getvalue()
        if number % 4 == 1 and quoting == csv.QUOTE_MINIMAL:
            text = text.replace(",", " , ", 3)  # stray spaces around the first cells
        data = text.encode("utf-8")
        if number % 5 == 2:
            data = b"\xef\xbb\xbf" + data
        if number % 6 == 3:
            data = data.rstrip(b"\r\n")
        path.write_bytes(data)


def test_the_real_package_is_canonical() -> None:
    package, _ = load(FIXTURE_PACKAGE)
    results = fmt.format_package(package)
    assert results and all(not r.changes and r.problem is None for r in results)


def test_fmt_on_a_canonical_package_changes_no_byte(package: Path, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    result = run_fmt()
    assert result.exit_code == 0, result.output
    assert "nothing to reformat" in result.output
    assert run_fmt("--check").exit_code == 0
    assert snapshot(tmp_path) == before


def test_fmt_restores_the_canonical_bytes(package: Path, tmp_path: Path) -> None:
    canonical = data_files(package)
    disorder(package)
    spoiled = data_files(package)
    assert all(spoiled[name] != canonical[name] for name in canonical)

    before = snapshot(tmp_path)
    check = run_fmt("--check")
    assert check.exit_code == 1
    assert snapshot(tmp_path) == before, "--check wrote something"
    assert check.output.count(": not canonical: ") == len(canonical)
    assert "rows not sorted by primary key (agreement_id, party_number)" in check.output
    for reason in ("byte-order mark", "CR or CRLF line endings", "blank lines", "whitespace around values", "quoting"):
        assert reason in check.output

    result = run_fmt()
    assert result.exit_code == 0, result.output
    assert data_files(package) == canonical
    assert sorted(os.listdir(package.parent / "data")) == sorted(canonical)  # no temporary file left
    assert run_fmt("--check").exit_code == 0


@pytest.mark.parametrize(
    ("spoil", "rule", "line"),
    [
        (lambda data: data.replace(b"Ilham Aliyev", "İlham Əliyev".encode("cp1254", "replace")), "encoding-error", 4),
        (lambda data: data.replace(b"Ilham Aliyev", b"Ilham\x00Aliyev"), "binary-file", 4),
        (lambda data: data.replace(b",Ilham Aliyev,", b',"Ilham Aliyev,'), "unclosed-quote", 4),
        (lambda data: data.replace(b",Ilham Aliyev,", b',"Ilham" Aliyev,'), "malformed-quote", 4),
        (lambda data: data.replace(b",Ilham Aliyev,", b",Ilham,Aliyev,"), "extra-cell", 4),
        (lambda data: data.replace(b",Ilham Aliyev,", b","), "missing-cell", 4),
        (lambda data: data.replace(b"full_name", b"name"), "incorrect-label", 1),
        (lambda data: b"", "empty-file", 1),
    ],
    ids=["not-utf8", "binary", "unclosed-quote", "malformed-quote", "extra-cell", "missing-cell", "header", "empty"],
)
def test_a_file_it_cannot_parse_is_left_alone(package: Path, tmp_path: Path, spoil, rule: str, line: int) -> None:
    people = csv_path(package, "people")
    people.write_bytes(spoil(people.read_bytes()))
    sources = csv_path(package, "sources")
    sources.write_bytes(sources.read_bytes().replace(b"\n", b"\r\n"))  # a file it can fix, beside
    untouched = people.read_bytes()

    result = run_fmt()
    assert result.exit_code == 1
    assert f"datapackage/data/people.csv:{line}" in result.output
    assert f"[{rule}]" in result.output and "left alone" in result.output
    assert people.read_bytes() == untouched
    assert b"\r" not in sources.read_bytes()  # the others are still formatted
    assert run_fmt("--check").exit_code == 1


def test_whitespace_is_stripped_only_where_the_field_allows() -> None:
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "code", "type": "string", "constraints": {"pattern": " [A-Z]+"}},
            {"name": "kind", "type": "string", "constraints": {"enum": ["a ", "b"]}},
            {"name": "note", "type": "string"},
        ],
        "missingValues": ["", " "],
        "primaryKey": ["id"],
    }
    text = "id,code,kind,note\n 2 , AB,a , x \n1, CD , b , \n"
    assert fmt.canonical_text(text, schema) == "id,code,kind,note\n1,CD,b, \n2, AB,a ,x\n"


def test_rows_sort_by_typed_primary_key_then_whole_row() -> None:
    schema = {
        "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}, {"name": "x"}],
        "primaryKey": ["id", "n"],
    }
    text = "id,n,x\nb,1,p\na,10,p\na,9,p\na,x,p\na,9,o\n"
    assert fmt.canonical_text(text, schema) == "id,n,x\na,9,o\na,9,p\na,10,p\na,x,p\nb,1,p\n"


def test_line_breaks_inside_cells_become_lf_and_quoting_is_minimal() -> None:
    schema = {"fields": [{"name": "id"}, {"name": "note"}], "primaryKey": ["id"]}
    text = '"id","note"\r\n"a","two\r\nlines"\r\n"b","say ""hi"", ok"\r\n'
    assert fmt.canonical_text(text, schema) == 'id,note\na,"two\nlines"\nb,"say ""hi"", ok"\n'


def test_write_atomic_keeps_permissions_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    fmt.write_atomic(target, b"new\n", expected=b"old\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["t.csv"]


def test_write_atomic_creates_a_missing_target_as_open_would(tmp_path: Path, umask_027: int) -> None:
    target = tmp_path / "new.csv"
    fmt.write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == umask_027
    assert os.listdir(tmp_path) == ["new.csv"]


def test_write_atomic_expecting_nothing_refuses_a_file_made_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "new.csv"
    fmt.write_atomic(target, b"first\n", expected=b"")
    with pytest.raises(fmt.ChangedMeanwhile):
        fmt.write_atomic(target, b"second\n", expected=b"")
    assert target.read_bytes() == b"first\n"
    assert os.listdir(tmp_path) == ["new.csv"]


def test_write_atomic_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_bytes(b"edited by someone\n")
    with pytest.raises(fmt.ChangedMeanwhile):
        fmt.write_atomic(target, b"new\n", expected=b"old\n")
    assert target.read_bytes() == b"edited by someone\n"
    assert os.listdir(tmp_path) == ["t.csv"]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "t.csv"
    target.write_bytes(b"old\n")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        fmt.write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["t.csv"]


def test_fmt_without_a_package_is_a_usage_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_fmt()
    assert result.exit_code == 2
    assert "no data package descriptor" in result.output


def test_check_parses_each_file_once(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--check reads each table once: no read-back (nothing is written) and no second pass for the reasons."""
    disorder(package)
    files = len(data_files(package))
    parsed: list[str] = []
    records = fmt._records
    monkeypatch.setattr(fmt, "_records", lambda text, path: parsed.append(path) or records(text, path))
    check = run_fmt("--check")
    assert check.exit_code == 1
    assert check.output.count(": not canonical: ") == files
    assert len(parsed) == files, parsed


def test_the_canonical_form_is_read_back_before_it_is_written(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people = csv_path(package, "people")
    people.write_bytes(people.read_bytes().replace(b"\n", b"\r\n"))
    untouched = people.read_bytes()
    (result,) = [r for r in fmt.format_package(load(package)[0]) if r.changes]
    records = fmt._records
    monkeypatch.setattr(fmt, "_records", lambda text, path: ([["not", "the", "rows"]], [1]))
    with pytest.raises(fmt.Unparseable) as raised:
        fmt.apply(result)
    assert raised.value.finding.rule == "format-failed"
    assert people.read_bytes() == untouched
    monkeypatch.setattr(fmt, "_records", records)
    assert fmt.apply(result) and b"\r" not in people.read_bytes()


def test_fmt_reports_a_schema_it_cannot_use_and_fails(package: Path) -> None:
    schema = package.parent.parent / "schemas" / "people.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"type": "string"', '"type": "text-of-sorts"', 1))
    people = csv_path(package, "people")
    people.write_bytes(people.read_bytes().replace(b"\n", b"\r\n"))  # not canonical, but its table is left out
    for args in (["--check"], []):
        result = run_fmt(*args)
        assert result.exit_code == 1, result.output
        assert "people.json" in result.output and "error [schema-invalid]" in result.output
        assert "invalid: " in result.output  # the findings come as intergov validate renders them
        assert "people.csv" not in result.output
