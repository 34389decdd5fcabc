"""``intergov release [PATH]`` writes the CHANGELOG entry; ``intergov release check [PATH]`` checks the bump."""

from __future__ import annotations

import click

from intergov.cli import UsageProblem
from intergov.package import DEFAULT_PACKAGE


class _PathOrCommand(click.Group):
    """A group whose first argument is a subcommand, or else the PATH of its hidden default command."""

    default = "write"

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands:
            return self.default, self.commands[self.default], args
        return super().resolve_command(ctx, args)


def _problems():
    from intergov.diff import DiffError
    from intergov.package import PackageError
    from intergov.paths import UnsafePath
    from intergov.reader import LoadError
    from intergov.release import ReleaseError

    return (ReleaseError, PackageError, LoadError, DiffError, UnsafePath)


@click.group(cls=_PathOrCommand, invoke_without_command=True, subcommand_metavar="[PATH] | check [PATH]")
@click.pass_context
def release(ctx):
    """Write the CHANGELOG entry for the package's new version, and name the tag to create.

    PATH is the package (default datapackage/datapackage.json). The version in
    its datapackage.json must be bumped enough since the latest release tag
    (see `intergov release check`); the entry, added to the CHANGELOG.md beside
    the package folder, summarises the changes since that tag.

    Exit status: 0 written (or already there), 1 the version is not bumped
    enough, 2 usage or configuration problem.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(write)


@release.command("write", hidden=True)
@click.argument("path", default=DEFAULT_PACKAGE, type=click.Path(dir_okay=True))
def write(path):
    """Write the CHANGELOG entry (what `intergov release PATH` runs)."""
    from intergov.package import display_path
    from intergov.release import write_entry

    try:
        done = write_entry(path)
    except _problems() as e:
        raise UsageProblem(str(e)) from e
    result = done.check
    click.echo(result.report(), nl=False)
    if not result.ok:
        raise SystemExit(1)
    if result.tagged == result.version:
        click.echo(f"{result.version} is already released as {result.tag}: bump the version to release changes")
        return
    changelog = display_path(done.changelog)
    if done.written:
        click.echo(f"wrote the {result.version} entry at the top of {changelog}: review it and commit it")
    else:
        click.echo(f"{changelog} already has an entry for {result.version}; left as it is")
    click.echo(
        "then tag the release and build it:\n"
        f'  git tag -a {result.next_tag} -m "Release {result.version}"\n'
        f"  git push origin {result.next_tag}\n"
        "  make build"
    )


@release.command()
@click.argument("path", default=DEFAULT_PACKAGE, type=click.Path(dir_okay=True))
def check(path):
    """Fail when the version is not bumped enough since the latest release tag.

    Compares the working package at PATH with the package at the latest
    v<semver> tag and names each change with the bump it needs: major (a
    field or resource renamed, removed, reordered or retyped; a constraint
    tightened), minor (a resource or rows added; a constraint loosened),
    patch (values corrected; metadata).

    Exit status: 0 bumped enough (or no release yet), 1 not bumped enough,
    2 usage or configuration problem (including a shallow clone, whose tags may
    be missing, and a committed link that leads out of the tree).
    """
    from intergov.release import check as run

    try:
        result = run(path)
    except _problems() as e:
        raise UsageProblem(str(e)) from e
    click.echo(result.report(), nl=False)
    raise SystemExit(result.exit_code)
