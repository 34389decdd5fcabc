"""``intergov build``: validate, then publish the release, its zip and ``SHA256SUMS``."""

from __future__ import annotations

import sys

import click

from intergov.cli import UsageProblem
from intergov.report import FORMATS

DEFAULT_PACKAGE = "datapackage/datapackage.json"


@click.command()
@click.argument("path", default=DEFAULT_PACKAGE, type=click.Path(dir_okay=True))
@click.option(
    "--dist", default="dist", show_default=True, type=click.Path(file_okay=False), help="Folder to publish into."
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(sorted(FORMATS)),
    help="Format of the validation report.",
)
@click.option("--strict", is_flag=True, help="Warnings block the build too.")
def build(path, dist, fmt, strict):
    """Validate the package at PATH, then build its release into DIST.

    Writes DIST/<name>-<version>/ (datapackage.json, data/<table>.csv and
    data/<table>.parquet, README.md, CHANGELOG.md, LICENSE), beside it
    DIST/<name>-<version>.zip, and DIST/SHA256SUMS. With blocking findings
    nothing is written. A version already built with other content is never
    overwritten: bump the version.

    The validation report goes to stdout, what was built to stderr.

    Exit status: 0 built (or already built, identical), 1 blocking findings or
    a failed build, 2 usage or configuration problem.
    """
    from intergov.build import BuildError, InvalidPackage
    from intergov.build import build as run
    from intergov.package import PackageError
    from intergov.release import ReleaseError
    from intergov.report import render

    colour = sys.stdout.isatty()
    try:
        built = run(path, dist, strict=strict)
    except (PackageError, ReleaseError) as e:
        raise UsageProblem(str(e)) from e
    except InvalidPackage as e:
        click.echo(render(e.result, fmt, max_findings=None, colour=colour), nl=False)
        click.echo(str(e), err=True)
        raise SystemExit(1) from e
    except BuildError as e:
        raise click.ClickException(str(e)) from e
    click.echo(render(built.result, fmt, max_findings=None, colour=colour), nl=False)
    click.echo(str(built), err=True)
