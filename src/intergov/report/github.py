"""The GitHub Actions format: workflow-command annotations, and the full list in the job summary.

GitHub shows at most 10 annotations of a step, so the first findings (errors
first) become ``::error`` / ``::warning`` annotations on their file and line,
a ``::notice`` says how many more there are, and the full list goes to the job
summary as Markdown (:func:`write_step_summary`, to ``$GITHUB_STEP_SUMMARY``).

Annotation text is escaped as the runner expects: ``%``, CR and LF in the
message; also ``,`` and ``:`` in property values. So no value from the data
can end the command early or start a command of its own.

>>> from intergov.validate import Result
>>> from intergov.findings import Finding
>>> f = Finding("data/a.csv", 7, 4, "kind", "x", "constraint-enum", "error", "must be one of: a, b")
>>> print(render(Result("datapackage.json", [f]), step_summary=False), end="")
::error file=data/a.csv,line=7,col=4,title=intergov constraint-enum (kind)::must be one of: a, b (value: 'x')
datapackage.json: invalid: 1 error, 0 warnings
"""

from __future__ import annotations

import os
from pathlib import Path

from intergov.findings import ERROR, Finding
from intergov.messages import plural
from intergov.report import markdown
from intergov.report.text import summary

#: Annotations GitHub shows per step (and per severity); the rest is in the job summary.
ANNOTATION_LIMIT = 10

#: The environment variable naming the job summary file.
STEP_SUMMARY = "GITHUB_STEP_SUMMARY"

_COMMANDS = {ERROR: "error", "warning": "warning"}


def escape_data(text: str) -> str:
    """Escape a command's message.

    >>> escape_data("50%\\nnext")
    '50%25%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command's property value.

    >>> escape_property("a,b: c")
    'a%2Cb%3A c'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    """One finding as a workflow command: ``::error file=...,line=...,col=...,title=...::message``."""
    properties = [("file", finding.path)]
    if finding.line is not None:
        properties.append(("line", str(finding.line)))
        if finding.column is not None:
            properties.append(("col", str(finding.column)))
    title = f"intergov {finding.rule}" + (f" ({finding.field})" if finding.field else "")
    properties.append(("title", title))
    message = finding.message
    if finding.value is not None:
        message += f" (value: {finding.value!r})"
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMANDS[finding.severity]} {props}::{escape_data(message)}"


def annotated(findings: list[Finding], limit: int = ANNOTATION_LIMIT) -> list[Finding]:
    """The findings to annotate: errors first, then warnings, at most ``limit``."""
    return sorted(findings, key=lambda f: f.severity != ERROR)[:limit]


def render(
    result,
    *,
    colour: bool = False,
    max_findings: int | None = None,
    step_summary: bool | None = None,
) -> str:
    """Annotations for the first findings, a notice for the rest, then the summary line.

    ``max_findings`` lowers the number of annotations below the limit.
    ``step_summary`` says whether the full list is in the job summary (default:
    whether ``$GITHUB_STEP_SUMMARY`` is set). ``colour`` is accepted and ignored.
    """
    limit = ANNOTATION_LIMIT if max_findings is None else min(max_findings, ANNOTATION_LIMIT)
    if step_summary is None:
        step_summary = bool(os.environ.get(STEP_SUMMARY))
    shown = annotated(list(result.findings), limit)
    lines = [annotation(f) for f in shown]
    hidden = len(result.findings) - len(shown)
    if hidden:
        where = "in the job summary" if step_summary else "with --format markdown or --format text"
        message = (
            f"{plural(hidden, 'more finding')} not annotated (GitHub shows {ANNOTATION_LIMIT} per step); "
            f"the full list is {where}"
        )
        lines.append(f"::notice title={escape_property('intergov validate')}::{escape_data(message)}")
    lines.append(escape_data(summary(result)))
    return "\n".join(lines) + "\n"


def write_step_summary(result, path: str | os.PathLike[str] | None = None) -> Path | None:
    """Append the full Markdown report to the job summary; return its path, or ``None`` when not on GitHub.

    ``path`` defaults to ``$GITHUB_STEP_SUMMARY``. The report is capped below
    GitHub's 1 MiB limit, with a line saying how many findings were left out
    (they are all in the JSON report). Raises :class:`OSError` when the file
    cannot be written.
    """
    target = path or os.environ.get(STEP_SUMMARY)
    if not target:
        return None
    report = markdown.render(result, max_bytes=markdown.STEP_SUMMARY_BYTES, more="see the JSON report")
    with open(target, "a", encoding="utf-8", newline="\n") as summary_file:
        summary_file.write(report + "\n")
    return Path(target)
