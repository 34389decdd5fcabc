"""``intergov validate``: every finding of every layer, then a summary."""

from __future__ import annotations

import click

from intergov.cli import UsageProblem
from intergov.engine import ENGINES
from intergov.package import DEFAULT_PACKAGE


def _known_rules(ctx: click.Context, param: click.Parameter, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse a ``--select``/``--ignore`` pattern that matches no rule id: a typo would silently pass."""
    if not patterns:
        return patterns
    from difflib import get_close_matches

    from intergov.rules import RULE_IDS, unknown_patterns

    unknown = unknown_patterns(patterns)
    if unknown:
        problems = []
        for pattern in unknown:
            close = get_close_matches(pattern, sorted(RULE_IDS), n=1)
            problems.append(f"{pattern!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UsageProblem(
            f"{param.opts[0]}: no rule id is or starts with {', '.join(problems)}; the rules are listed in README.md "
            "(a pattern ending in '-' matches a prefix, e.g. conversion-)"
        )
    return patterns


def report_options(command):
    """The options every findings-printing command shares."""
    options = [
        click.option(
            "--format",
            "fmt",
            default="text",
            show_default=True,
            type=click.Choice(["text", "json", "markdown", "github"]),
            help="Output format.",
        ),
        click.option("--strict", is_flag=True, help="Warnings block too (exit 1)."),
        click.option(
            "--select",
            multiple=True,
            metavar="RULE",
            callback=_known_rules,
            help="Report only these rules (a trailing '-' matches a prefix). Repeatable.",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="RULE",
            callback=_known_rules,
            help="Do not report these rules (a trailing '-' matches a prefix). Repeatable.",
        ),
        click.option(
            "--max-findings",
            type=click.IntRange(min=0),
            default=None,
            help="Print at most N findings (the summary still counts all).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def show(result, fmt: str, max_findings: int | None) -> None:
    """Print ``result`` in ``fmt``; with ``github``, the full report also goes to the job summary."""
    import sys  # click.get_text_stream is deprecated (Click 8.5): a warning, an error under pytest

    from intergov.report import render

    if fmt == "github":  # the full list goes to the job summary, when there is one
        from intergov.report.github import write_step_summary

        try:
            write_step_summary(result)
        except OSError as e:
            raise UsageProblem(f"cannot write the job summary $GITHUB_STEP_SUMMARY: {e}") from e
    click.echo(render(result, fmt, max_findings=max_findings, colour=sys.stdout.isatty()), nl=False)


@click.command()
@click.argument("path", default=DEFAULT_PACKAGE, type=click.Path(dir_okay=True))
@click.option(
    "--engine",
    default=ENGINES[0],
    show_default=True,
    type=click.Choice(ENGINES),
    help="Table Schema engine: fast (pyarrow) or frictionless (the reference, slower).",
)
@report_options
def validate(path, engine, fmt, strict, select, ignore, max_findings):
    """Validate the data package at PATH (a descriptor or its folder).

    Exit status: 0 valid, 1 blocking findings, 2 usage or configuration problem.
    """
    from intergov import findings as model
    from intergov.package import PackageError
    from intergov.validate import validate as run

    try:
        result = run(path, engine=engine, strict=strict)
    except PackageError as e:
        raise UsageProblem(str(e)) from e
    result.findings = model.select(result.findings, select=select, ignore=ignore)
    show(result, fmt, max_findings)
    raise SystemExit(result.exit_code)
