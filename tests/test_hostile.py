"""Hostile and malformed input: each gives a clear finding with file and line, and nothing is written.

Every case goes through the real entry point (``intergov validate --format
json``): the exit code is 0 or 1, never a traceback, and the package tree and
the working folder hold the same bytes before and after.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import copy_package, csv_path, opened_files, set_cell, snapshot
from intergov.cli import main
from intergov.engine.text import decode
from intergov.rules.cells import formula_problem

DESCRIPTOR = "datapackage/datapackage.json"


# --- builders and checks -------------------------------------------------------------------------------


def mini_package(tmp_path: Path, tables=("countries", "sources", "people")) -> Path:
    """A copy of the real package keeping only ``tables`` (fast to validate)."""
    descriptor = copy_package(tmp_path)
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    data["resources"] = [r for r in data["resources"] if r["name"] in tables]
    descriptor.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return descriptor


def edit_bytes(descriptor: Path, table: str, old: bytes, new: bytes) -> int:
    """Replace the first ``old`` in the table's file; return the physical line where it was."""
    path = csv_path(descriptor, table)
    data = path.read_bytes()
    at = data.index(old)
    path.write_bytes(data[:at] + new + data[at + len(old) :])
    return data[:at].count(b"\n") + 1


def run_validate(tmp_path: Path, *args: str, opened: list[str] | None = None) -> tuple[int, list[dict], str]:
    """Run ``intergov validate --format json`` in ``tmp_path``; check nothing was written or raised.

    With ``opened``, the paths of the files opened by the run are appended to it.
    """
    before = snapshot(tmp_path)
    with opened_files(opened):
        result = CliRunner().invoke(main, ["validate", "--format", "json", *args, DESCRIPTOR])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    assert snapshot(tmp_path) == before, "validation changed or wrote a file"
    return result.exit_code, json.loads(result.stdout)["findings"], result.output


def the(findings: list[dict], rule: str, path: str | None = None) -> dict:
    """The one finding of ``rule`` (in ``path``)."""
    matching = [f for f in findings if f["rule"] == rule and (path is None or f["path"].endswith(path))]
    assert len(matching) == 1, (rule, findings)
    return matching[0]


@pytest.fixture
def mini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small copy of the package in ``tmp_path``, which is also the working folder."""
    monkeypatch.chdir(tmp_path)
    return mini_package(tmp_path)


# --- bytes and lines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "text"),
    [("cp1251", "Азамат Аскарулы"), ("latin-1", "Azamat Askarulï")],
    ids=["windows-1251", "latin-1"],
)
def test_bytes_that_are_not_utf8(mini: Path, tmp_path: Path, codec: str, text: str) -> None:
    line = edit_bytes(mini, "people", b"Azamat Askaruly", text.encode(codec))
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "encoding-error", "people.csv")
    assert code == 1
    assert finding["line"] == line == 3
    assert "UTF-8" in finding["message"]


def test_byte_order_mark(mini: Path, tmp_path: Path) -> None:
    path = csv_path(mini, "people")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "byte-order-mark", "people.csv")
    assert (code, finding["line"], finding["severity"]) == (0, 1, "warning")
    assert code == 1 or not any(f["rule"] == "incorrect-label" for f in findings)  # the header still reads
    assert run_validate(tmp_path, "--strict")[0] == 1


def test_mixed_line_endings(mini: Path, tmp_path: Path) -> None:
    path = csv_path(mini, "people")
    lines = path.read_bytes().split(b"\n")
    lines[3] += b"\r"  # line 4 ends with CRLF, the others with LF
    path.write_bytes(b"\n".join(lines))
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "line-endings", "people.csv")
    assert (code, finding["line"], finding["severity"]) == (0, 4, "warning")
    assert "CRLF" in finding["message"] and "LF" in finding["message"]


def test_windows_line_endings(mini: Path, tmp_path: Path) -> None:
    path = csv_path(mini, "people")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    _, findings, _ = run_validate(tmp_path)
    assert the(findings, "line-endings", "people.csv")["line"] == 1
    assert [f["rule"] for f in findings] == ["line-endings"]  # read correctly otherwise


# --- quotes --------------------------------------------------------------------------------------------


def test_quote_that_never_closes(mini: Path, tmp_path: Path) -> None:
    line = edit_bytes(mini, "people", b",Ilham Aliyev,", b',"Ilham Aliyev,')
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "unclosed-quote", "people.csv")
    assert (code, finding["line"]) == (1, line)
    assert line == 4


def test_quote_that_closes_rows_later_does_not_swallow_them(mini: Path, tmp_path: Path) -> None:
    """An opening quote balanced by a later one: records are compared with physical lines."""
    opened = edit_bytes(mini, "people", b",Azamat Askaruly,", b',"Azamat Askaruly,')
    edit_bytes(mini, "people", b",Serik Zhumangarin,", b',"Zhumangarin, Serik",')
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "unclosed-quote", "people.csv")
    assert (code, finding["line"]) == (1, opened)
    assert "closes only on line 7" in finding["message"]
    assert not any(f["rule"] == "extra-cell" for f in findings)


@pytest.mark.parametrize("character", ["\x0c", "\x0b", "\x1e", "\x85", "\u2028"])
def test_a_character_that_is_no_line_break_does_not_move_a_quote_finding(character: str) -> None:
    """Lines are counted as the CSV reader and an editor count them: at CR and LF only."""
    text = f'id,a,b\n1,p{character}q,r\n2,x,"open\n3,y,z\n4,q"oops\n'
    usable, (finding,) = decode(text.encode("utf-8"), "a.csv")
    assert usable is None
    assert (finding.rule, finding.line) == ("unclosed-quote", 3)
    assert "lines 3-5" in finding.message


def test_text_after_a_closing_quote(mini: Path, tmp_path: Path) -> None:
    line = edit_bytes(mini, "people", b",Ilham Aliyev,", b',"Ilham" Aliyev,')
    _, findings, _ = run_validate(tmp_path)
    assert the(findings, "malformed-quote", "people.csv")["line"] == line


def test_quoted_cell_over_two_lines_is_fine(mini: Path, tmp_path: Path) -> None:
    line = set_cell(mini, "people", "ilham-aliyev", "full_name", "Ilham\nAliyev")
    edit_bytes(mini, "people", b",Parviz Shahbazov,AZE,", b",Parviz Shahbazov,AZ,")
    _, findings, _ = run_validate(tmp_path)
    assert the(findings, "constraint-pattern", "people.csv")["line"] == line + 3  # the physical line, not record 6


# --- rows and headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "rule", "column"),
    [
        (b",KAZ,azernews", b",KAZ,extra,azernews", "extra-cell", 5),
        (b",KAZ,azernews-2022-06-07", b",KAZ", "missing-cell", 4),
    ],
    ids=["too-many-cells", "too-few-cells"],
)
def test_ragged_rows(mini: Path, tmp_path: Path, old: bytes, new: bytes, rule: str, column: int) -> None:
    line = edit_bytes(mini, "people", old, new)
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, rule, "people.csv")
    assert (code, finding["line"], finding["column"]) == (1, line, column)


@pytest.mark.parametrize(
    ("header", "rules"),
    [
        (b"person_id,full_name,full_name,source_id", {"duplicate-label"}),
        (b"person_id,full_name,country_code", {"missing-label"}),
        (b"person_id,name,country_code,source_id", {"incorrect-label"}),
        (b"person_id,country_code,full_name,source_id", {"incorrect-label"}),
    ],
    ids=["duplicate", "missing", "renamed", "reordered"],
)
def test_bad_headers(mini: Path, tmp_path: Path, header: bytes, rules: set[str]) -> None:
    edit_bytes(mini, "people", b"person_id,full_name,country_code,source_id", header)
    code, findings, _ = run_validate(tmp_path)
    header_findings = [f for f in findings if f["path"].endswith("people.csv") and f["line"] == 1]
    assert code == 1
    assert {f["rule"] for f in header_findings} == rules
    assert all(f["column"] for f in header_findings)


def test_empty_file(mini: Path, tmp_path: Path) -> None:
    csv_path(mini, "people").write_bytes(b"")
    code, findings, _ = run_validate(tmp_path)
    assert (code, the(findings, "empty-file", "people.csv")["line"]) == (1, 1)


def test_header_only_file(mini: Path, tmp_path: Path) -> None:
    csv_path(mini, "people").write_bytes(b"person_id,full_name,country_code,source_id\n")
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "no-rows", "people.csv")
    assert (code, finding["line"], finding["severity"]) == (0, 1, "warning")


def test_binary_file(mini: Path, tmp_path: Path) -> None:
    csv_path(mini, "people").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "binary-file", "people.csv")
    assert (code, finding["line"]) == (1, 3)  # the line of the first NUL byte


def test_50_megabyte_cell(mini: Path, tmp_path: Path) -> None:
    line = edit_bytes(mini, "people", b"Ilham Aliyev", b"x" * 50_000_000)
    code, findings, output = run_validate(tmp_path)
    finding = the(findings, "cell-too-large", "people.csv")
    assert (code, finding["line"], finding["column"]) == (1, line, 2)
    assert "50,000,000 characters" in finding["message"]
    assert len(output) < 10_000  # the cell is not echoed


# --- characters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "named"),
    [("AZE\u200b", "ZERO WIDTH SPACE"), ("AZE\u00a0", "NO-BREAK SPACE"), ("\u0410ZE", "CYRILLIC CAPITAL LETTER A")],
    ids=["zero-width-space", "non-breaking-space", "cyrillic-a"],
)
def test_odd_characters_in_codes(mini: Path, tmp_path: Path, code: str, named: str) -> None:
    line = set_cell(mini, "people", "ilham-aliyev", "country_code", code)
    exit_code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "constraint-pattern", "people.csv")
    assert (exit_code, finding["line"], finding["field"]) == (1, line, "country_code")
    assert named in finding["message"]
    assert not any(f["rule"] == "invisible-character" for f in findings)  # said once, by the pattern


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("Ilham\u200bAliyev", "ZERO WIDTH SPACE"),
        ("Ilham\u00a0Aliyev", "NO-BREAK SPACE"),
        ("Il\u00adham Aliyev", "SOFT HYPHEN"),
        ("Ilh\u0430m Aliyev", "CYRILLIC SMALL LETTER A"),
        ("Ilham\U000e0041 Aliyev", "TAG LATIN CAPITAL LETTER A"),
        ("Ilham\U0001d173 Aliyev", "MUSICAL SYMBOL BEGIN BEAM"),
        ("Ilham\U000e0100 Aliyev", "VARIATION SELECTOR-17"),
        ("Ilham\u2800Aliyev", "BRAILLE PATTERN BLANK"),
    ],
    ids=["zero-width-space", "non-breaking-space", "soft-hyphen", "cyrillic-a", "tag", "format", "selector", "braille"],
)
def test_odd_characters_in_free_text(mini: Path, tmp_path: Path, name: str, named: str) -> None:
    line = set_cell(mini, "people", "ilham-aliyev", "full_name", name)
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "invisible-character", "people.csv")
    assert (code, finding["line"], finding["column"], finding["severity"]) == (0, line, 2, "warning")
    assert named in finding["message"]


def test_free_text_and_codes_call_the_same_characters_invisible() -> None:
    """The rule on free text and the hint on codes agree, character by character (one helper decides)."""
    from intergov.messages import is_invisible, odd_characters
    from intergov.rules.cells import hidden_problem

    planes = [*range(0xD800), *range(0xE000, 0x10000), *range(0x1D100, 0x1D200), *range(0xE0000, 0xE0200)]
    for char in map(chr, planes):
        if char in "\t\r":
            continue  # a tab is named by the rule, not the hint; a CR in free text is a line break
        unseen = is_invisible(char)
        assert (hidden_problem(f"x {char} y") is not None) == unseen, hex(ord(char))
        assert ("cannot see" in odd_characters(char)) == unseen, hex(ord(char))


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_injection(mini: Path, tmp_path: Path, start: str) -> None:
    line = set_cell(mini, "sources", "azernews-2022-06-07", "title", f'{start}HYPERLINK("http://evil.example","x")')
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "formula-injection", "sources.csv")
    assert (code, finding["line"], finding["field"]) == (1, line, "title")
    assert repr(start) in finding["message"]


@pytest.mark.parametrize("space", ["\u3000", "\u00a0", " \t", "\u2003"])
def test_a_formula_after_spaces_is_named_by_its_own_character(space: str) -> None:
    assert "starts with '='" in formula_problem(f"{space}=SUM(A1)")


def test_negative_number_is_not_a_formula(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    descriptor = copy_package(tmp_path)
    set_cell(descriptor, "figures", "exports-2022-astana-times-2023-04-11", "change_percent", "-12.5")
    set_cell(descriptor, "figures", "exports-2022-astana-times-2023-04-11", "change_basis", "year_on_year")
    code, findings, _ = run_validate(tmp_path)
    assert code == 0
    assert not any(f["rule"] == "formula-injection" for f in findings)


# --- descriptor ----------------------------------------------------------------------------------------


def _set_path(descriptor: Path, name: str, key: str, value: str) -> int:
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    entry = next(r for r in data["resources"] if r["name"] == name)
    entry[key] = value
    text = json.dumps(data, indent=2) + "\n"
    descriptor.write_text(text, encoding="utf-8")
    at = text.index(f'"name": "{name}"')
    return text[: text.index(f'"{key}": {json.dumps(value)}', at)].count("\n") + 1


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("path", "../outside.csv", "leaves the package folder"),
        ("path", "data/../../outside.csv", "leaves the package folder"),
        ("path", "{outside}", "absolute path"),
        ("path", "https://example.com/people.csv", "URL"),
        ("path", "file://{outside}", "URL"),
        ("schema", "../outside.json", "leaves the package folder"),
        ("schema", "https://example.com/people.json", "URL"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "url", "file-url", "schema-dotdot", "schema-url"],
)
def test_resource_paths_that_escape(mini: Path, tmp_path: Path, key: str, value: str, why: str) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("person_id\nsecret\n", encoding="utf-8")
    line = _set_path(mini, "people", key, value.format(outside=outside))
    opened: list[str] = []
    code, findings, _ = run_validate(tmp_path, opened=opened)
    finding = the(findings, "unsafe-path")
    assert (code, finding["path"], finding["line"]) == (1, DESCRIPTOR, line)
    assert why in finding["message"]
    assert any(p.endswith("sources.csv") for p in opened)  # the audit hook sees what is read
    assert not [p for p in opened if "outside" in p], "a refused path was read"
    assert not any(f["rule"] == "descriptor-invalid" for f in findings)  # said once


def test_symlink_pointing_outside(mini: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("person_id\nsecret\n", encoding="utf-8")
    people = csv_path(mini, "people")
    people.unlink()
    people.symlink_to(outside)
    opened: list[str] = []
    code, findings, _ = run_validate(tmp_path, opened=opened)
    finding = the(findings, "unsafe-path")
    assert (code, finding["path"], finding["value"]) == (1, DESCRIPTOR, "data/people.csv")
    assert "link" in finding["message"] and finding["line"]
    assert not [p for p in opened if "outside" in p or p.endswith("people.csv")], "a refused path was read"


def test_descriptor_that_is_not_json(mini: Path, tmp_path: Path) -> None:
    text = mini.read_text(encoding="utf-8")
    mini.write_text(text.replace('"version": "0.1.0",', '"version": "0.1.0"', 1), encoding="utf-8")
    code, findings, _ = run_validate(tmp_path)
    finding = the(findings, "descriptor-json")
    assert (code, finding["path"]) == (1, DESCRIPTOR)
    assert finding["line"] == text.split('"version"')[0].count("\n") + 2  # where the comma is missing
    assert len(findings) == 1


def test_descriptor_that_is_not_a_data_package(mini: Path, tmp_path: Path) -> None:
    data = json.loads(mini.read_text(encoding="utf-8"))
    data["licenses"] = "CC-BY-4.0"
    data["resources"][1]["path"] = ["data/sources.csv"]
    text = json.dumps(data, indent=2) + "\n"
    mini.write_text(text, encoding="utf-8")
    code, findings, _ = run_validate(tmp_path)
    lines = {f["line"] for f in findings if f["rule"] == "descriptor-invalid"}
    assert code == 1
    assert text[: text.index('"licenses"')].count("\n") + 1 in lines
    multipart = {f["line"] for f in findings if f["rule"] == "resource-unsupported"}  # a list path: not read
    assert text[: text.index('"path": [')].count("\n") + 1 in multipart


def test_a_warning_does_not_hide_a_semantic_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    descriptor = mini_package(tmp_path, ("countries", "currencies", "sources", "organisations", "exchange_rates"))
    line = set_cell(descriptor, "exchange_rates", "cbar-usd-2018", "valid_until", "2017")
    edit_bytes(descriptor, "exchange_rates", b"cbar-currencies\n", b"cbar-currencies\r\n")
    code, findings, _ = run_validate(tmp_path)
    assert the(findings, "line-endings", "exchange_rates.csv")["line"] == line
    assert the(findings, "date-order", "exchange_rates.csv")["line"] == line
    assert code == 1
