"""``intergov build``: validate, then publish the release, its zip and ``SHA256SUMS``."""

from __future__ import annotations

import click

from intergov.cli import UsageProblem
from intergov.cli.validate import report_options, show
from intergov.package import DEFAULT_PACKAGE


@click.command()
@click.argument("path", default=DEFAULT_PACKAGE, type=click.Path(dir_okay=True))
@click.option(
    "--dist", default="dist", show_default=True, type=click.Path(file_okay=False), help="Folder to publish into."
)
@report_options
def build(path, dist, fmt, strict, select, ignore, max_findings):
    """Validate the package at PATH, then build its release into DIST.

    Writes DIST/<name>-<version>/ (datapackage.json, data/<table>.csv and
    data/<table>.parquet, README.md, CHANGELOG.md, LICENSE), beside it
    DIST/<name>-<version>.zip, and DIST/SHA256SUMS. With blocking findings, or
    a table not in canonical form (run `intergov fmt`), nothing is written. A
    version already built with other content is never overwritten: bump the
    version.

    The validation report goes to stdout (as `intergov validate` prints it,
    with the same options; --select and --ignore cannot let an error through),
    what was built to stderr.

    Exit status: 0 built (or already built, identical), 1 blocking findings, a
    table not in canonical form or a failed build, 2 usage or configuration
    problem (including a DIST that cannot be written, a CHANGELOG.md or LICENSE
    linked outside the repository, a shallow clone without SOURCE_DATE_EPOCH).
    """
    from intergov.build import BuildError, InvalidPackage, PublishError
    from intergov.build import build as run
    from intergov.package import PackageError
    from intergov.paths import UnsafePath
    from intergov.release import ReleaseError

    try:
        built = run(path, dist, strict=strict, select=select, ignore=ignore)
    except (PackageError, ReleaseError, PublishError, UnsafePath) as e:
        raise UsageProblem(str(e)) from e
    except InvalidPackage as e:
        show(e.result, fmt, max_findings)
        click.echo(str(e), err=True)
        raise SystemExit(1) from e
    except BuildError as e:
        raise click.ClickException(str(e)) from e
    show(built.result, fmt, max_findings)
    click.echo(str(built), err=True)
