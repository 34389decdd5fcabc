"""``intergov diff``: rows, cells and schema changes between two versions of the package."""

from __future__ import annotations

import click

from intergov.cli import UsageProblem
from intergov.package import DEFAULT_PACKAGE


@click.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--repo",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, exists=True),
    help="The git repository that OLD and NEW refs name.",
)
@click.option(
    "--package",
    "package_path",
    default=DEFAULT_PACKAGE,
    show_default=True,
    help="The descriptor's path inside a git ref's tree.",
)
@click.option(
    "--view",
    default="summary",
    show_default=True,
    type=click.Choice(["summary", "full"]),
    help="Counts per table, or every added, removed and changed row with its changed cells.",
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(["text", "markdown", "json"]),
    help="Output format.",
)
def diff(old, new, repo, package_path, view, fmt):
    """Compare two versions of the package, OLD and NEW.

    Each is a git ref (v0.1.0, HEAD), a package folder or descriptor, or a
    release zip. Rows are matched on the primary key; changed cells show as
    old -> new. Schema changes (resources and fields added, removed, renamed,
    retyped; constraints tightened or loosened) are classified by the version
    bump they need (semver).

    Exit status: 0 identical, 1 different, 2 usage or configuration problem
    (including a table that cannot be read: not UTF-8, binary, a quote that
    never closes; and a committed link that leads out of the tree).
    """
    from intergov.diff import DiffError, compare
    from intergov.package import PackageError
    from intergov.paths import UnsafePath
    from intergov.reader import LoadError
    from intergov.release import ReleaseError, opened
    from intergov.report.diff import render

    try:
        with (
            opened(old, repo=repo, package=package_path) as before,
            opened(new, repo=repo, package=package_path) as after,
        ):
            result = compare(before, after, old_label=old, new_label=new)
    except (ReleaseError, PackageError, LoadError, DiffError, UnsafePath) as e:
        raise UsageProblem(str(e)) from e
    click.echo(render(result, fmt, view=view), nl=False)
    raise SystemExit(result.exit_code)
