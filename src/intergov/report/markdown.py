"""The Markdown format: a verdict, then one table of findings per file.

Made for a pull-request comment or a GitHub job summary. Every text taken from
the data is escaped, so a cell can neither break the table nor inject markup,
and values are shown in code spans with invisible characters spelled out.

>>> from intergov.validate import Result
>>> from intergov.findings import Finding
>>> f = Finding("data/a.csv", 7, 4, "kind", "x|y", "constraint-enum", "error", "must be one of: a, b")
>>> print(render(Result("datapackage.json", [f])))  # doctest: +NORMALIZE_WHITESPACE
### intergov validate: invalid
<BLANKLINE>
`datapackage.json`: **1 error**, 0 warnings.
<BLANKLINE>
#### `data/a.csv` (1 error)
<BLANKLINE>
| line | column | severity | rule | field | value | message |
|---:|---:|---|---|---|---|---|
| 7 | 4 | error | `constraint-enum` | `kind` | `x\\|y` | must be one of: a, b |
<BLANKLINE>
"""

from __future__ import annotations

import re

from intergov.findings import ERROR, WARNING, Finding, summarize
from intergov.lines import BREAK
from intergov.messages import plural

#: GitHub refuses a job summary over 1 MiB; stay under it with room for other steps.
STEP_SUMMARY_BYTES = 900 * 1024

_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~&$@])")


def _counts(findings: list[Finding], *, bold: bool = False) -> str:
    counts = summarize(findings)
    errors = plural(counts[ERROR], "error")
    return f"{f'**{errors}**' if bold and counts[ERROR] else errors}, {plural(counts[WARNING], 'warning')}"


def text(value: str) -> str:
    """Plain text for a table cell: Markdown punctuation escaped, line breaks as spaces.

    >>> text("a|b <i>c</i> *d*")
    'a\\\\|b \\\\<i\\\\>c\\\\</i\\\\> \\\\*d\\\\*'
    """
    return _PUNCTUATION.sub(r"\\\1", BREAK.sub(" ", value))


def code(value: str) -> str:
    """A value as a code span in a table cell: invisible characters spelled out, pipes escaped.

    >>> code("AZE\\u200b")
    '`AZE\\\\u200b`'
    """
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}".replace("|", "\\|")


def row(finding: Finding) -> str:
    """One finding as a table row."""
    cells = [
        "" if finding.line is None else str(finding.line),
        "" if finding.column is None else str(finding.column),
        finding.severity,
        code(finding.rule),
        "" if finding.field is None else code(finding.field),
        "" if finding.value is None else code(finding.value),
        text(finding.message),
    ]
    return "| " + " | ".join(cells) + " |"


def render(
    result,
    *,
    colour: bool = False,
    max_findings: int | None = None,
    max_bytes: int | None = None,
    more: str = "raise --max-findings",
) -> str:
    """The verdict line, then a table per file (all findings, or the first ``max_findings``).

    ``max_bytes`` caps the size of the text in UTF-8 bytes (a job summary has a
    limit): rows are dropped from the end, with a line saying how many. ``colour`` is
    accepted for a uniform renderer signature and ignored.
    """
    findings = list(result.findings)
    verdict = "valid" if result.valid else "invalid"
    strict = " Strict: warnings block." if result.strict and summarize(findings)[WARNING] else ""
    head = [f"### intergov validate: {verdict}", "", f"{code(result.path)}: {_counts(findings, bold=True)}.{strict}"]
    shown = findings if max_findings is None else findings[:max_findings]
    body = _tables(shown)
    while max_bytes is not None and shown and _size(_join(head, body, len(findings) - len(shown), more)) > max_bytes:
        shown = shown[: len(shown) * 9 // 10]
        body = _tables(shown)
    return _join(head, body, len(findings) - len(shown), more)


def _tables(findings: list[Finding]) -> list[str]:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    lines: list[str] = []
    for path, group in by_path.items():
        counts = summarize(group)
        parts = [plural(n, s) for s, n in counts.items() if n]
        lines += ["", f"#### {code(path)} ({', '.join(parts)})", ""]
        lines += ["| line | column | severity | rule | field | value | message |", "|---:|---:|---|---|---|---|---|"]
        lines += [row(f) for f in group]
    return lines


def _join(head: list[str], body: list[str], hidden: int, more: str) -> str:
    tail = ["", f"... and {plural(hidden, 'more finding')} not shown ({more})."] if hidden else []
    return "\n".join([*head, *body, *tail]) + "\n"


def _size(text: str) -> int:
    """The size of ``text`` in UTF-8 bytes, as the job summary file holds it."""
    return len(text.encode("utf-8"))
