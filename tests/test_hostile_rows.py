"""Malformed rows and files: one clear finding each, the same in both engines, at a cost bounded by the file.

Each case writes a tiny package from scratch in ``tmp_path`` (a table ``t``
of 18 fields whose ``country_code`` refers to a table ``countries``) and runs
the real entry point, ``intergov validate``, with each engine: exit code,
rule, line and message are checked, and no traceback. A row of the wrong
width is one ``extra-cell`` or ``missing-cell`` finding with both numbers,
and nothing else is said of that row.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from intergov.cli import main
from intergov.engine import ENGINES
from intergov.validate import validate

INTEGERS = [f"n{i}" for i in range(1, 16)]
FIELDS = [
    {"name": "id", "type": "string", "constraints": {"required": True, "pattern": "[a-z0-9]+(-[a-z0-9]+)*"}},
    {"name": "country_code", "type": "string", "constraints": {"required": True}},
    {"name": "note", "type": "string"},
    *({"name": name, "type": "integer"} for name in INTEGERS),
]
HEADER = ",".join(f["name"] for f in FIELDS)
WIDTH = len(FIELDS)  # 18


def row(key: str, country: str = "AZE", note: str = "", number: str = "1") -> str:
    """A row of ``t`` with 18 cells."""
    return ",".join([key, country, note, *[number] * len(INTEGERS)])


def write_package(
    root: Path, rows: list[str] | bytes, countries_csv: str = "code,name\nAZE,Azerbaijan\nKAZ,Kazakhstan\n", **schema
) -> Path:
    """The package in ``root``: ``countries`` and ``t`` (its header, then ``rows``, or these bytes).

    ``schema`` adds properties to both Table Schemas (e.g. ``missingValues``).
    """
    countries = {
        "fields": [
            {"name": "code", "type": "string", "constraints": {"required": True, "pattern": "[A-Z]{3}"}},
            {"name": "name", "type": "string"},
        ],
        "primaryKey": ["code"],
        **schema,
    }
    table = {
        "fields": FIELDS,
        "primaryKey": ["id"],
        "foreignKeys": [{"fields": ["country_code"], "reference": {"resource": "countries", "fields": ["code"]}}],
        **schema,
    }
    descriptor = {
        "name": "hostile-rows",
        "resources": [
            {"name": "countries", "path": "data/countries.csv", "schema": countries},
            {"name": "t", "path": "data/t.csv", "schema": table},
        ],
    }
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    (root / "data" / "countries.csv").write_text(countries_csv, encoding="utf-8")
    data = rows if isinstance(rows, bytes) else "\n".join([HEADER, *rows, ""]).encode("utf-8")
    (root / "data" / "t.csv").write_bytes(data)
    return root / "datapackage.json"


def run_cli(descriptor: Path, engine: str, *args: str) -> tuple[int, str]:
    """``intergov validate`` in process: exit code and output (never a traceback, never exit 2)."""
    result = CliRunner().invoke(main, ["validate", "--engine", engine, *args, str(descriptor)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.output


def findings_of(descriptor: Path, engine: str) -> tuple[int, list[dict]]:
    """Exit code and the findings in ``t.csv``, from the JSON report."""
    code, output = run_cli(descriptor, engine, "--format", "json")
    return code, [f for f in json.loads(output)["findings"] if f["path"].endswith("t.csv")]


def same_in_both_engines(descriptor: Path) -> None:
    """Both engines report the same findings (every field of each)."""
    fast, reference = (validate(descriptor, engine=engine).findings for engine in ENGINES)
    assert fast == reference


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


# --- rows of the wrong width ---------------------------------------------------------------------------


def test_a_row_followed_by_a_million_commas_is_one_finding(tmp_path: Path, engine: str) -> None:
    """Once 1,000,000 extra-cell findings (24 s and 776 MB in the fast engine; tens of GB in frictionless-py)."""
    descriptor = write_package(tmp_path, [row("a"), row("b") + "," * 1_000_000, row("c")])
    # The run's own peak (VmHWM): ru_maxrss would count the pytest process it was forked from.
    measured = (
        "import pathlib, re, sys\n"
        "from intergov.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    status = pathlib.Path('/proc/self/status')\n"
        "    peak = re.search(r'VmHWM:\\s*(\\d+)', status.read_text()) if status.exists() else None\n"
        "    print('peak-kb', peak.group(1) if peak else 0, file=sys.stderr)\n"
    )
    args = ["validate", "--engine", engine, "--format", "json", "--max-findings", "5", str(descriptor)]
    done = subprocess.run(  # a hang guard: the whole run takes a second or two
        [sys.executable, "-c", measured, *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert (done.returncode, report["counts"], report["truncated"]) == (1, {"error": 1, "warning": 0}, False)
    (finding,) = report["findings"]
    assert (finding["rule"], finding["line"], finding["column"], finding["value"]) == ("extra-cell", 3, 19, None)
    assert finding["message"].startswith(f"{1_000_000 + WIDTH} cells, the header has {WIDTH}: ")
    peak_mb = int(done.stderr.split("peak-kb")[-1]) / 1024  # 0 where there is no /proc
    assert peak_mb < 400, f"{peak_mb:.0f} MB"  # about 170 MB; a tiny valid package takes 150 MB


def test_a_short_row_and_a_long_row_are_one_finding_each(tmp_path: Path, engine: str) -> None:
    short = ",".join(row("short", number="x").split(",")[:-1])  # 17 cells, one of them not an integer
    long = row("Long Row", country="XXX") + ",extra,more"  # 20 cells: a bad id, an unknown country
    descriptor = write_package(tmp_path, [row("a"), short, long, row("b")])
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["column"], f["rule"], f["value"]) for f in found] == [
        (3, 18, "missing-cell", None),
        (4, 19, "extra-cell", "extra"),
    ]
    assert found[0]["field"] == "n15"
    assert found[0]["message"].startswith("17 cells, the header has 18: add the missing cells")
    assert found[1]["message"].startswith("20 cells, the header has 18: remove the extra cells")
    same_in_both_engines(descriptor)


def test_a_row_of_the_wrong_width_is_left_out_but_its_neighbours_are_checked(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [row("a") + ",", row("b", number="x")])
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["rule"]) for f in found[:2]] == [(2, "extra-cell"), (3, "type-error")]
    assert len(found) == 1 + len(INTEGERS)  # one per wrong integer of the good row
    same_in_both_engines(descriptor)


def test_a_short_row_of_empty_cells_is_a_blank_row(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [row("a"), ",,,", row("b")])
    code, found = findings_of(descriptor, engine)
    assert (code, [(f["line"], f["rule"]) for f in found]) == (1, [(3, "blank-row")])
    same_in_both_engines(descriptor)


def test_without_a_header_row_the_schema_sets_the_width(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, "\n".join(["", row("a"), row("b") + ",x", ""]).encode())
    code, found = findings_of(descriptor, engine)
    widths = [(f["line"], f["rule"], f["message"].split(":")[0]) for f in found if f["rule"] == "extra-cell"]
    assert (code, widths) == (1, [(3, "extra-cell", "19 cells, the schema has 18 fields")])
    same_in_both_engines(descriptor)


@pytest.mark.parametrize("missing", [[""], ["NA"], []], ids=["empty", "NA", "none"])
def test_a_row_of_the_wrong_width_keeps_its_key_in_both_engines(tmp_path: Path, missing: list[str]) -> None:
    """Its key cells still count: a reference to it holds, and a later row with its key is the duplicate."""
    countries = "code,name\nAZE,Azerbaijan\nKAZ\nUZB,Uzbekistan,extra\n"
    short = ",".join(row("b", country="KAZ").split(",")[:5])
    rows = [row("a", country="KAZ"), short, row("b", country="UZB"), row("c", country="AZE") + ",,"]
    descriptor = write_package(tmp_path, rows, countries, missingValues=missing)
    found = validate(descriptor, engine="fast").findings
    assert [(Path(f.path).name, f.line, f.rule) for f in found] == [
        ("countries.csv", 3, "missing-cell"),
        ("countries.csv", 4, "extra-cell"),
        ("t.csv", 3, "missing-cell"),
        ("t.csv", 4, "primary-key"),
        ("t.csv", 5, "extra-cell"),
    ]
    assert found[3].message.endswith("the first is on line 3")
    same_in_both_engines(descriptor)


def test_rows_of_the_right_width_pass(tmp_path: Path, engine: str) -> None:
    """Near misses: empty trailing cells, a quoted cell holding commas, a header-only width of empties."""
    rows = [row("a", note='"one, two, three"'), "b,KAZ" + "," * (WIDTH - 2), row("c", note='"x,,y"')]
    descriptor = write_package(tmp_path, rows)
    assert findings_of(descriptor, engine) == (0, [])


# --- encodings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "form"),
    [
        ("utf-16", "UTF-16 (little-endian, with a byte-order mark)"),
        ("utf-16-le", "UTF-16 (little-endian, without a byte-order mark)"),
        ("utf-16-be", "UTF-16 (big-endian, without a byte-order mark)"),
    ],
    ids=["bom", "le-no-bom", "be-no-bom"],
)
def test_a_utf16_file_is_named_utf16(tmp_path: Path, engine: str, codec: str, form: str) -> None:
    text = "\n".join([HEADER, row("a", note="Азамат"), ""])
    descriptor = write_package(tmp_path, text.encode(codec))
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["rule"]) for f in found] == [(1, "encoding-error")]
    assert (
        found[0]["message"]
        == f"the file is saved as {form}, not UTF-8; save it as UTF-8 (in Excel: Save As, CSV UTF-8)"
    )


def test_a_binary_file_is_still_binary(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    code, found = findings_of(descriptor, engine)
    assert (code, [(f["line"], f["rule"]) for f in found]) == (1, [(3, "binary-file")])


def test_every_line_with_bytes_that_are_not_utf8_is_named(tmp_path: Path, engine: str) -> None:
    rows = [row("a", note="Азамат").encode(c) for c in ("cp1251", "utf-8", "cp1251", "cp1251", "utf-8")]
    descriptor = write_package(tmp_path, b"\n".join([HEADER.encode(), *rows, b""]))
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["rule"]) for f in found] == [
        (2, "encoding-error"),
        (4, "encoding-error"),
        (5, "encoding-error"),
    ]
    assert all(
        r"(b'\xc0\xe7\xe0\xec\xe0\xf2,1')" in f["message"] and "re-save it as UTF-8" in f["message"] for f in found
    )
    same_in_both_engines(descriptor)


@pytest.mark.parametrize(("bad", "named", "more"), [(20, 20, None), (25, 20, "5 more lines"), (21, 20, "1 more line ")])
def test_bad_lines_are_named_up_to_twenty(tmp_path: Path, engine: str, bad: int, named: int, more: str | None) -> None:
    rows = [row(f"r{i}", note="é").encode("latin-1") for i in range(bad)] + [row("ok", note="é").encode()]
    descriptor = write_package(tmp_path, b"\n".join([HEADER.encode(), *rows, b""]))
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [f["line"] for f in found] == list(range(2, 2 + named))
    assert ("more line" in found[-1]["message"]) == bool(more)
    if more:
        assert more in found[-1]["message"]
    assert not any("more line" in f["message"] for f in found[:-1])


def test_utf8_text_in_other_scripts_passes(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [row("a", note="Азамат Аскарулы"), row("b", note="中国人")])
    assert findings_of(descriptor, engine) == (0, [])


# --- messages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github"])
def test_a_missing_cell_never_shows_none(tmp_path: Path, engine: str, fmt: str) -> None:
    """Neither the row of the wrong width nor an empty key shows the value ``None``, in any format."""
    short = "c,KAZ"  # 2 cells: every required and integer field of the row missing
    descriptor = write_package(tmp_path, [row("a"), short, row("", country="")])
    code, output = run_cli(descriptor, engine, "--format", fmt)
    assert code == 1
    assert "None" not in output
    assert "2 cells, the header has 18" in output
    assert "the primary key (id) is empty" in output


@pytest.mark.parametrize(("key", "where"), [("abc ", "trailing"), (" abc", "leading")])
def test_a_key_with_a_space_around_it_says_so(tmp_path: Path, engine: str, key: str, where: str) -> None:
    descriptor = write_package(tmp_path, [row(key)])
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["column"], f["rule"], f["value"]) for f in found] == [(2, 1, "constraint-pattern", key)]
    assert found[0]["message"].endswith(f"; it has a {where} space: remove it")
    same_in_both_engines(descriptor)


def test_a_foreign_key_with_a_trailing_space_says_so(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [row("a", country="AZE ")])
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["column"], f["rule"], f["value"]) for f in found] == [(2, 2, "foreign-key", "AZE ")]
    assert found[0]["message"].endswith("(it has a trailing space: remove it)")


def test_keys_without_spaces_around_them_say_nothing_of_spaces(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [row("a b"), row("c", country="KZ")])
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["rule"]) for f in found] == [(2, "constraint-pattern"), (3, "foreign-key")]
    assert not any("space" in f["message"] for f in found)


def test_cjk_in_an_integer_field_is_not_called_latin(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [row("a"), ",".join(["b", "AZE", "", "中国人", *["1"] * 14])])
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert [(f["line"], f["column"], f["field"], f["rule"], f["value"]) for f in found] == [
        (3, 4, "n1", "type-error", "中国人")
    ]
    message = found[0]["message"]
    assert message.startswith("expected a whole number; it contains U+4E2D CJK UNIFIED IDEOGRAPH-4E2D, a CJK character")
    assert "Latin" not in message


def test_a_cyrillic_look_alike_is_still_named_as_one(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [row("a", country="\u0410ZE")])
    code, found = findings_of(descriptor, engine)
    assert code == 1
    assert "U+0410 CYRILLIC CAPITAL LETTER A, a Cyrillic letter that can look like a Latin one" in found[0]["message"]
