"""The default terminal format, one finding a line, like a compiler.

``datapackage/data/agreements.csv:7:4: error [type-error] expected ... (value: 'x')``
then a one-line summary. Colour only when asked (the CLI asks on a terminal).
"""

from __future__ import annotations

import click

from intergov.findings import ERROR, Finding
from intergov.messages import plural

_COLOURS = {ERROR: "red", "warning": "yellow"}


def location(finding: Finding) -> str:
    """``path:line:column`` with the parts that are known."""
    parts = [finding.path]
    if finding.line is not None:
        parts.append(str(finding.line))
        if finding.column is not None:
            parts.append(str(finding.column))
    return ":".join(parts)


def line(finding: Finding, *, colour: bool = False) -> str:
    """One finding as a line of text."""
    severity = finding.severity
    if colour:
        severity = click.style(severity, fg=_COLOURS.get(severity), bold=True)
    text = f"{location(finding)}: {severity} [{finding.rule}] {finding.message}"
    if finding.value is not None:
        text += f" (value: {finding.value!r})"
    return text


def summary(result) -> str:
    """The closing line: counts and verdict."""
    counts = result.counts
    errors, warnings = counts["error"], counts["warning"]
    verdict = "valid" if result.valid else "invalid"
    strict = " (strict: warnings block)" if result.strict and warnings else ""
    return f"{result.path}: {verdict}: {plural(errors, 'error')}, {plural(warnings, 'warning')}{strict}"


def render(result, *, colour: bool = False, max_findings: int | None = None) -> str:
    """All findings (or the first ``max_findings``), then the summary line."""
    shown = result.findings if max_findings is None else result.findings[:max_findings]
    lines = [line(f, colour=colour) for f in shown]
    hidden = len(result.findings) - len(shown)
    if hidden:
        lines.append(f"... and {plural(hidden, 'more finding')} (raise --max-findings)")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
