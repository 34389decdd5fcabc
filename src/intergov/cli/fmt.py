"""``intergov fmt``: rewrite the tables into canonical form, or (``--check``) list those that are not."""

from __future__ import annotations

import click

from intergov.cli import UsageProblem
from intergov.messages import plural
from intergov.package import DEFAULT_PACKAGE


@click.command()
@click.argument("path", default=DEFAULT_PACKAGE, type=click.Path(dir_okay=True))
@click.option(
    "--check", is_flag=True, help="Write nothing; list the files and lines that are not canonical and exit 1."
)
def fmt(path, check):
    """Put the CSV files of the package at PATH into canonical form.

    Canonical: UTF-8 without BOM, LF line endings, minimal quoting, rows sorted
    by primary key, no stray whitespace around values. A file that cannot be
    parsed with certainty is never rewritten: its problem is shown instead.
    With --check, each line that is not canonical is named (file:line: why).
    Temporary files an interrupted run left beside the tables are removed.

    Exit status: 0 all canonical (or rewritten), 1 some file is not canonical
    (--check) or could not be formatted, or the descriptor or a schema has
    errors (printed as intergov validate prints them), 2 usage or configuration problem.
    """
    from intergov import fmt as canonical
    from intergov.findings import exit_code, ordered
    from intergov.package import PackageError, display_path, load
    from intergov.report import render
    from intergov.report.text import line as finding_line
    from intergov.validate import Result

    try:
        package, findings = load(path)
    except PackageError as e:
        raise UsageProblem(str(e)) from e
    if package is None:
        raise UsageProblem("cannot read the package: " + "; ".join(finding_line(f) for f in findings))
    if findings:  # a resource whose schema is unusable is left out: say so, never "all canonical" and 0
        click.echo(render(Result(str(path), ordered(findings)), "text"), nl=False)
    broken = exit_code(findings) != 0
    if not check:
        for file in canonical.remove_stale(package):
            click.echo(f"{display_path(file)}: removed (a temporary file left by an interrupted intergov fmt)")
    results = canonical.distinct(canonical.format_package(package))
    stuck = [r for r in results if r.problem is not None]
    changing = [r for r in results if r.changes]
    for result in stuck:
        click.echo(f"{finding_line(result.problem)} [left alone: fix this first]")
    failed = []
    for result in changing:
        if check:
            click.echo(f"{result.path}: not canonical: {', '.join(result.reasons)}")
            for line, what in result.details:
                click.echo(f"{result.path}:{line}: {what}")
            if result.lines > len(result.details):
                click.echo(f"{result.path}: {plural(result.lines - len(result.details), 'more line')} not canonical")
            continue
        try:
            canonical.apply(result)
        except canonical.Unparseable as e:  # the canonical form would not read back: never expected
            click.echo(f"{finding_line(e.finding)} [left alone: fix this first]")
            failed.append(result)
            continue
        except (OSError, canonical.ChangedMeanwhile) as e:
            raise UsageProblem(f"cannot rewrite {result.path}: {e}") from e
        click.echo(f"{result.path}: reformatted ({', '.join(result.reasons)})")
    left = len(stuck) + len(failed)
    click.echo(_summary(len(results), len(changing) - len(failed), left, check, broken))
    raise SystemExit(1 if left or (check and changing) or broken else 0)


def _summary(total: int, changing: int, stuck: int, check: bool, broken: bool = False) -> str:
    if check:
        verdict = f"{plural(changing, 'file')} not canonical" if changing else "all canonical"
        hint = "; run `make fmt` (intergov fmt) to rewrite them" if changing else ""
    else:
        verdict = f"{plural(changing, 'file')} reformatted" if changing else "nothing to reformat"
        hint = ""
    left = f", {plural(stuck, 'file')} left alone" if stuck else ""
    unread = "; tables whose schema has errors (above) were not checked" if broken else ""
    return f"{plural(total, 'file')} checked: {verdict}{left}{unread}{hint}"
