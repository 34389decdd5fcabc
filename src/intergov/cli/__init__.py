"""The ``intergov`` command: a thin shell over the library.

Subcommands are imported only when run, so that ``intergov --help`` and each
command start without loading what they do not use.
"""

from __future__ import annotations

from importlib import import_module

import click

from intergov import __version__

#: Command name -> "module:function" of its click command.
COMMANDS = {
    "add": "intergov.cli.add:add",
    "validate": "intergov.cli.validate:validate",
    "fmt": "intergov.cli.fmt:fmt",
    "build": "intergov.cli.build:build",
    "diff": "intergov.cli.diff:diff",
    "release": "intergov.cli.release:release",
}

#: Exit code for a usage or configuration problem (bad option, no package at the path).
USAGE_ERROR = 2


class UsageProblem(click.ClickException):
    """A usage or configuration problem: exit code 2."""

    exit_code = USAGE_ERROR


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intergov")
def main() -> None:
    """Validate, format, build and compare the intergov data package."""
