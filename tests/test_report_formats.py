"""Every renderer on one shared set of findings: the same facts in text, JSON, Markdown and GitHub form."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from intergov.findings import ERROR, WARNING, Finding, ordered
from intergov.messages import plural
from intergov.report import FORMATS, github, markdown, render
from intergov.validate import Result

#: One of each shape: cell, row, file-level, hostile text in every field.
FINDINGS = ordered(
    [
        Finding(
            "datapackage/data/agreements.csv", 7, 3, "kind", "treatise", "constraint-enum", ERROR, "must be one of"
        ),
        Finding("datapackage/data/agreements.csv", 9, None, None, None, "extra-cell", ERROR, "more cells"),
        Finding("datapackage/data/a,b:c.csv", None, None, None, None, "encoding-error", ERROR, "not UTF-8: 100%"),
        Finding(
            "datapackage/data/people.csv",
            4,
            2,
            "full_name",
            "a|b`c\nd\u200b<script>",
            "invisible-character",
            WARNING,
            "line one\r\nline two, 50% :: done | *bold* @someone",
        ),
        Finding("datapackage/data/people.csv", 5, 2, "full_name", "=1+2", "formula-injection", ERROR, "formula"),
    ]
)


@pytest.fixture
def result() -> Result:
    return Result("datapackage/datapackage.json", list(FINDINGS))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_renderer_takes_the_same_options(result: Result, fmt: str) -> None:
    for colour in (False, True):
        for max_findings in (None, 0, 2):
            assert render(result, fmt, colour=colour, max_findings=max_findings).endswith("\n")


def test_the_registered_formats() -> None:
    assert sorted(FORMATS) == ["github", "json", "markdown", "text"]
    with pytest.raises(ValueError, match="unknown format"):
        render(Result("x"), "sarif")


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_every_finding_is_in_the_full_reports(result: Result, fmt: str) -> None:
    output = render(result, fmt)
    for finding in FINDINGS:
        assert finding.rule in output
        if finding.line is not None:
            assert str(finding.line) in output


def test_json_holds_the_findings_model(result: Result) -> None:
    document = json.loads(render(result, "json"))
    assert [Finding(**f) for f in document["findings"]] == FINDINGS
    assert document["counts"] == {"error": 4, "warning": 1}
    assert json.loads(render(result, "json", max_findings=2))["truncated"] is True


def test_markdown_is_one_table_per_file(result: Result) -> None:
    output = render(result, "markdown")
    headings = re.findall(r"^#### (.+)$", output, flags=re.M)
    assert headings == [
        "`datapackage/data/a,b:c.csv` (1 error)",
        "`datapackage/data/agreements.csv` (2 errors)",
        "`datapackage/data/people.csv` (1 error, 1 warning)",
    ]
    rows = [line for line in output.splitlines() if re.match(r"^\| \d* \|", line)]
    assert len(rows) == len(FINDINGS)
    assert output.startswith("### intergov validate: invalid\n")


def test_markdown_cells_cannot_break_the_table(result: Result) -> None:
    row = next(line for line in render(result, "markdown").splitlines() if "invisible-character" in line)
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert len(cells) == 7
    assert cells[5].strip() == "``a\\|b`c\\nd\\u200b<script>``"  # code span: pipe escaped, hidden chars spelled
    assert "\\<" not in cells[5] and "line one line two" in cells[6]
    assert "\\*bold\\*" in cells[6] and "\\@someone" in cells[6]


def test_markdown_max_findings_and_max_bytes(result: Result) -> None:
    assert "... and 3 more findings not shown (raise --max-findings)." in render(result, "markdown", max_findings=2)
    capped = markdown.render(result, max_bytes=700, more="see the JSON report")
    assert len(capped.encode()) <= 700
    assert re.search(r"\.\.\. and \d more findings? not shown \(see the JSON report\)\.", capped)


def test_markdown_max_bytes_counts_utf8_bytes_not_characters() -> None:
    """Cyrillic takes two bytes a letter: a cap in characters lets the summary grow past GitHub's limit."""
    message = "значение не входит в список допустимых " * 3
    findings = [
        Finding("data/люди.csv", n, 2, "имя", "Ильхам", "constraint-enum", ERROR, message) for n in range(2, 60)
    ]
    capped = markdown.render(Result("datapackage.json", findings), max_bytes=4_000)
    assert len(capped.encode("utf-8")) <= 4_000
    assert "more findings not shown" in capped


@pytest.mark.parametrize(
    ("count", "word", "many", "said"),
    [
        (0, "error", None, "0 errors"),
        (1, "error", None, "1 error"),
        (2, "file", None, "2 files"),
        (1, "party", "parties", "1 party"),
        (2, "party", "parties", "2 parties"),
    ],
)
def test_plural(count: int, word: str, many: str | None, said: str) -> None:
    assert plural(count, word, many) == said


def test_markdown_of_a_valid_result() -> None:
    output = render(Result("datapackage/datapackage.json", []), "markdown")
    assert "valid" in output and "|" not in output


def test_github_annotations(result: Result) -> None:
    lines = render(result, "github", step_summary=True).splitlines()
    annotations = [line for line in lines if line.startswith(("::error ", "::warning "))]
    assert len(annotations) == len(FINDINGS)
    assert (
        "::error file=datapackage/data/agreements.csv,line=7,col=3,title=intergov constraint-enum (kind)"
        "::must be one of (value: 'treatise')"
    ) in annotations
    assert "::error file=datapackage/data/agreements.csv,line=9,title=intergov extra-cell::more cells" in annotations
    assert "::error file=datapackage/data/a%2Cb%3Ac.csv,title=intergov encoding-error::not UTF-8: 100%25" in lines
    warning = next(line for line in annotations if line.startswith("::warning "))
    assert warning.startswith("::warning file=datapackage/data/people.csv,line=4,col=2,")
    assert "line one%0D%0Aline two, 50%25 :: done" in warning and "\n" not in warning
    assert lines[-1] == "datapackage/datapackage.json: invalid: 4 errors, 1 warning"
    assert not any(line.startswith("::notice") for line in lines)


def test_github_annotates_the_first_ten_errors_first() -> None:
    many = [Finding("d/w.csv", n, 1, "f", None, "w", WARNING, "w") for n in range(2, 8)]
    many += [Finding("d/e.csv", n, 1, "f", None, "e", ERROR, "e") for n in range(2, 10)]
    output = render(Result("p", ordered(many)), "github", step_summary=True)
    lines = output.splitlines()
    assert [line.split(" ")[0] for line in lines[:10]] == ["::error"] * 8 + ["::warning"] * 2
    assert lines[10] == (
        "::notice title=intergov validate::4 more findings not annotated (GitHub shows 10 per step); "
        "the full list is in the job summary"
    )
    assert "with --format markdown" in render(Result("p", many), "github", step_summary=False)
    assert render(Result("p", many), "github", max_findings=3, step_summary=True).count("::error ") == 3


def test_github_escapes_everything_from_the_data() -> None:
    finding = Finding("d/x.csv", 2, 1, "f", "%0A\n::set-output name=x::y", "r", ERROR, "50%\r\n::warning::x")
    line = github.annotation(finding)
    assert "\n" not in line and "\r" not in line
    assert line.split("::")[1] == "error file=d/x.csv,line=2,col=1,title=intergov r (f)"  # properties intact
    assert line.split("::", 2)[2].startswith("50%25%0D%0A::warning::x (value: '%250A")
    assert github.escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_step_summary_is_appended(result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv(github.STEP_SUMMARY, str(summary))
    assert github.write_step_summary(result) == summary
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### intergov validate: invalid")
    assert text.count("| error |") + text.count("| warning |") == len(FINDINGS)
    monkeypatch.delenv(github.STEP_SUMMARY)
    assert github.write_step_summary(result) is None


def test_text_colour_only_when_asked(result: Result) -> None:
    assert "\x1b[" not in render(result, "text")
    assert "\x1b[" in render(result, "text", colour=True)
