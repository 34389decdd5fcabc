"""``intergov validate`` through the real entry point: exit codes, output formats, options, bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import FIXTURE_PACKAGE, copy_package, csv_path, set_cell
from intergov.cli import main

#: One finding in the text format: ``path:line:col: severity [rule] message (value: '...')``.
FINDING_LINE = re.compile(
    r"^(?P<path>[^:]+)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?: (?P<severity>error|warning) "
    r"\[(?P<rule>[a-z0-9-]+)\] (?P<message>.+?)(?: \(value: (?P<value>'.*'|\".*\")\))?$"
)
#: The closing summary: ``path: valid|invalid: N errors, M warnings``.
SUMMARY_LINE = re.compile(
    r"^(?P<path>.+): (?P<verdict>valid|invalid): (?P<errors>\d+) errors?, (?P<warnings>\d+) warnings?"
    r"(?P<strict> \(strict: warnings block\))?$"
)


def invoke(*args: str) -> Result:
    """Run ``intergov validate ARGS`` and check that no traceback escaped."""
    result = CliRunner().invoke(main, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def parse(output: str) -> tuple[list[re.Match[str]], re.Match[str]]:
    """The finding lines and the summary line of a text report (every line must be one or the other)."""
    lines = output.splitlines()
    summary = SUMMARY_LINE.match(lines[-1])
    assert summary, lines[-1]
    findings = []
    for line in lines[:-1]:
        if line.startswith("... and "):
            continue
        match = FINDING_LINE.match(line)
        assert match, line
        findings.append(match)
    return findings, summary


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package with two errors in agreements (lines 4 and 7) besides the real package's warning (read only)."""
    descriptor = copy_package(tmp_path_factory.mktemp("broken"))
    set_cell(descriptor, "agreements", "joint-statement-2023-04-10", "signed_on", "2023-02-30")
    set_cell(descriptor, "agreements", "treaty-strategic-partnership-allied-relations-2005", "kind", "treatise")
    return descriptor


@pytest.fixture(scope="module")
def broken_text(broken: Path) -> Result:
    """``intergov validate`` of :func:`broken` in the default text format."""
    return invoke(str(broken))


def test_the_fixture_package_exits_0_with_its_warning() -> None:
    result = invoke(str(FIXTURE_PACKAGE))
    assert result.exit_code == 0
    findings, summary = parse(result.output)
    assert ("conversion-no-rate", "warning") in [(m["rule"], m["severity"]) for m in findings]
    assert {m["severity"] for m in findings} == {"warning"}
    assert (summary["verdict"], summary["errors"], summary["warnings"]) == ("valid", "0", str(len(findings)))
    assert summary["path"] == str(FIXTURE_PACKAGE)


def test_errors_exit_1_with_one_line_per_finding(broken: Path, broken_text: Result) -> None:
    result = broken_text
    assert result.exit_code == 1
    findings, summary = parse(result.output)
    date = next(m for m in findings if m["rule"] == "date-real")
    assert Path(date["path"]).resolve() == csv_path(broken, "agreements").resolve()
    assert (date["line"], date["column"], date["severity"], date["value"]) == ("4", "4", "error", "'2023-02-30'")
    enum = next(m for m in findings if m["rule"] == "constraint-enum")
    assert (enum["line"], enum["column"], enum["value"]) == ("7", "3", "'treatise'")
    assert (summary["verdict"], summary["errors"], summary["warnings"]) == ("invalid", "2", "1")


def test_the_exact_text_line(broken: Path, broken_text: Result) -> None:
    output = broken_text.output
    path = next(m["path"] for m in parse(output)[0] if m["rule"] == "date-real")
    expected = (
        f"{path}:4:4: error [date-real] 2023-02-30 is not a date on the calendar; write YYYY, YYYY-MM or "
        "YYYY-MM-DD (value: '2023-02-30')"
    )
    assert expected in output.splitlines()
    assert output.splitlines()[-1] == f"{broken}: invalid: 2 errors, 1 warning"


def test_findings_are_printed_in_file_and_line_order(broken_text: Result) -> None:
    findings, _ = parse(broken_text.output)
    keys = [(m["path"], int(m["line"] or 0), int(m["column"] or 0)) for m in findings]
    assert keys == sorted(keys)


def test_json_format(broken: Path) -> None:
    result = invoke(str(broken), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["exit_code"] == 1 and doc["valid"] is False
    assert doc["counts"] == {"error": 2, "warning": 1}
    assert {(f["rule"], f["line"], f["column"]) for f in doc["findings"]} >= {
        ("date-real", 4, 4),
        ("constraint-enum", 7, 3),
    }


def test_json_format_of_a_valid_package() -> None:
    result = invoke(str(FIXTURE_PACKAGE), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["valid"] is True


def test_strict_makes_warnings_block() -> None:
    result = invoke(str(FIXTURE_PACKAGE), "--strict")
    assert result.exit_code == 1
    _, summary = parse(result.output)
    assert summary["verdict"] == "invalid" and summary["strict"]
    assert json.loads(invoke(str(FIXTURE_PACKAGE), "--strict", "--format", "json").output)["exit_code"] == 1


@pytest.mark.parametrize(
    ("options", "rules", "code"),
    [
        (["--select", "date-"], {"date-real"}, 1),
        (["--select", "conversion-", "--strict"], {"conversion-no-rate"}, 1),
        (["--select", "date-real", "--select", "constraint-enum"], {"date-real", "constraint-enum"}, 1),
        (["--ignore", "date-", "--ignore", "constraint-"], {"conversion-no-rate"}, 0),
        (["--select", "constraint-", "--ignore", "constraint-enum"], set(), 0),
    ],
)
def test_select_and_ignore(broken: Path, options: list[str], rules: set[str], code: int) -> None:
    result = invoke(str(broken), *options)
    findings, summary = parse(result.output)
    assert {m["rule"] for m in findings} == rules
    assert result.exit_code == code
    assert int(summary["errors"]) + int(summary["warnings"]) == len(findings)


@pytest.mark.parametrize(("limit", "shown"), [("1", 1), ("10", 3)])
def test_max_findings_limits_the_list_not_the_summary(broken: Path, limit: str, shown: int) -> None:
    result = invoke(str(broken), "--max-findings", limit)
    assert result.exit_code == 1
    findings, summary = parse(result.output)
    assert len(findings) == shown
    assert (summary["errors"], summary["warnings"]) == ("2", "1")
    hidden = 3 - shown
    assert ("... and" in result.output) is bool(hidden)
    if hidden:
        assert f"... and {hidden} more finding" in result.output
    doc = json.loads(invoke(str(broken), "--max-findings", limit, "--format", "json").output)
    assert len(doc["findings"]) == shown and doc["truncated"] is bool(hidden)


def test_the_default_path_is_the_package_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_package(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke()
    assert result.exit_code == 0
    findings, summary = parse(result.output)
    assert summary["path"] == "datapackage/datapackage.json"
    assert [m["path"] for m in findings] == ["datapackage/data/currency_conversions.csv"]


def test_a_folder_is_accepted_as_path() -> None:
    assert invoke(str(FIXTURE_PACKAGE.parent)).exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["/nonexistent/datapackage.json"],
        ["--format", "xml"],
        ["--max-findings", "-1"],
        ["--max-findings", "many"],
        ["--engine", "spreadsheet"],
        ["--no-such-option"],
        [str(FIXTURE_PACKAGE), str(FIXTURE_PACKAGE)],
    ],
    ids=["no-package", "bad-format", "negative-limit", "text-limit", "bad-engine", "bad-option", "two-paths"],
)
def test_usage_problems_exit_2_without_traceback(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Error" in result.output


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--select", "constraint-enm"], "'constraint-enm' (did you mean 'constraint-enum'?)"),
        (["--ignore", "date-real", "--ignore", "datee-"], "'datee-'"),
        (["--select", "date"], "'date'"),
        (["--select", "conversion-rate", "--select", "nothing-like-it-"], "'nothing-like-it-'"),
    ],
    ids=["typo", "prefix-typo", "prefix-without-dash", "one-of-two"],
)
def test_a_pattern_that_matches_no_rule_is_a_usage_problem(broken: Path, options: list[str], named: str) -> None:
    result = invoke(str(broken), *options)
    assert result.exit_code == 2
    assert named in result.output
    assert not FINDING_LINE.match(result.output.splitlines()[0])


@pytest.mark.parametrize("pattern", ["rule-crashed", "format-failed", "blank-header", "corroboration-", "date-real"])
def test_every_known_rule_id_and_prefix_is_accepted(pattern: str) -> None:
    assert invoke(str(FIXTURE_PACKAGE), "--select", pattern).exit_code == 0


def test_a_folder_without_descriptor_exits_2(tmp_path: Path) -> None:
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "no data package descriptor" in result.output


def _write(table: str, data: bytes) -> Callable[[Path], None]:
    return lambda descriptor: csv_path(descriptor, table).write_bytes(data)


def _descriptor(text: str) -> Callable[[Path], None]:
    return lambda descriptor: descriptor.write_text(text, encoding="utf-8")


def _resource_path(path: str) -> Callable[[Path], None]:
    def apply(descriptor: Path) -> None:
        data = json.loads(descriptor.read_text(encoding="utf-8"))
        data["resources"][0]["path"] = path
        descriptor.write_text(json.dumps(data, indent=2), encoding="utf-8")

    return apply


def _schema(text: str) -> Callable[[Path], None]:
    return lambda descriptor: (descriptor.parent.parent / "schemas" / "sources.json").write_text(text, encoding="utf-8")


BAD_INPUTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "descriptor-not-json": (_descriptor('{"name": "x",\n  "resources": [\n}'), "descriptor-json"),
    "descriptor-resources-not-objects": (
        _descriptor('{"name": "x", "resources": [1, "a", null]}'),
        "descriptor-invalid",
    ),
    "descriptor-deeply-nested": (_descriptor("[" * 100_000 + "]" * 100_000), "descriptor-json"),
    "resource-path-a-folder": (_resource_path("data"), "missing-file"),
    "resource-path-a-list": (_resource_path(["data/a.csv", "data/b.csv"]), "resource-unsupported"),  # type: ignore[arg-type]
    "schema-not-json": (_schema("{fields: []}"), "schema-json"),
    "schema-fields-not-objects": (_schema('{"fields": [1, "x"]}'), "schema-invalid"),
    "binary-csv": (_write("agreements", b"agreement_id\n\x00\x01\x02\n"), "binary-file"),
    "latin-1-csv": (_write("people", "person_id,full_name\nx,Ali\xe9v\n".encode("latin-1")), "encoding-error"),
    "empty-csv": (_write("people", b""), "empty-file"),
    "unclosed-quote": (
        _write("people", b'person_id,full_name,country_code,source_id\n"open,x,KAZ,y\n'),
        "unclosed-quote",
    ),
    "wrong-header": (_write("people", b"id,name\nx,y\n"), "incorrect-label"),
    "ragged-rows": (_write("people", b"person_id,full_name,country_code,source_id\na\nb,c,d,e,f,g\n"), "missing-cell"),
}


@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "cached"])
@pytest.mark.parametrize("case", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_gives_findings_not_a_traceback(
    tmp_path: Path, case: tuple[Callable[[Path], None], str], cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each bad input becomes findings in the text format (every line parses) and exit code 1, run after run."""
    edit, rule = case
    descriptor = copy_package(tmp_path)
    edit(descriptor)
    if cached:
        monkeypatch.setenv("INTERGOV_CACHE_DIR", str(tmp_path / "cache"))
    runs = [invoke(str(descriptor)) for _ in range(2 if cached else 1)]  # computed, then read back
    for result in runs:
        rules = {m["rule"] for m in parse(result.output)[0]}
        assert rule in rules
        assert "rule-crashed" not in rules
        assert result.exit_code == 1
    assert len({result.output for result in runs}) == 1


@pytest.mark.parametrize("fmt", ["markdown", "github"])
def test_every_offered_format_renders(broken: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = invoke(str(broken), "--format", fmt)
    assert result.exit_code == 1
    assert "date-real" in result.output
