"""``intergov add``: add a row to a table by field name, in canonical form, and say where it landed."""

from __future__ import annotations

import click

from intergov.cli import UsageProblem
from intergov.package import DEFAULT_PACKAGE


@click.command()
@click.argument("table")
@click.argument("values", nargs=-1, required=True)
@click.option(
    "--package",
    "path",
    default=DEFAULT_PACKAGE,
    show_default=True,
    type=click.Path(dir_okay=True),
    help="The package's descriptor or folder.",
)
def add(table, values, path):
    """Add a row to TABLE, given as FIELD=VALUE pairs; fields left out are empty.

    The file stays in canonical form (sorted, minimal quoting) and is written
    atomically. The row's file and line are printed; then run intergov
    validate (make validate) to check it with everything else.

    Example: intergov add sessions session_id=aze-kaz-igc-22 body_id=aze-kaz-igc
    ordinal=22 status=planned held_on=2026 host_country_code=KAZ
    source_id=trend-ru-4103787

    Exit status: 0 added, 2 usage problem (no such table or field, a file
    that cannot be read as it is).
    """
    from intergov.add import AddError, add_rows, parse_values
    from intergov.package import PackageError, load

    try:
        package, _ = load(path)
    except PackageError as e:
        raise UsageProblem(str(e)) from e
    resource = package.resource(table) if package is not None else None
    if resource is None:
        known = ", ".join(r.name for r in package.resources) if package is not None else "none"
        raise UsageProblem(
            f"no table {table!r} in {path} (or its schema has errors: run intergov validate); tables: {known}"
        )
    try:
        (line,) = add_rows(resource, [parse_values(values)])
    except AddError as e:
        raise UsageProblem(str(e)) from e
    click.echo(f"{resource.display}:{line}: added; run intergov validate to check it")
