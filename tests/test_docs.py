"""The README documents every command, rule and table (as sqlite-utils' test_docs does)."""

from __future__ import annotations

import json

import pytest

from conftest import REAL_PACKAGE, ROOT
from intergov.cli import COMMANDS
from intergov.rules import RULES, STRUCTURE_RULES

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_documented(command: str) -> None:
    assert f"`intergov {command}" in README


@pytest.mark.parametrize("rule", sorted({r.id for r in RULES} | set(STRUCTURE_RULES)))
def test_every_rule_is_documented(rule: str) -> None:
    assert f"`{rule}`" in README


@pytest.mark.parametrize(
    "table", [r["name"] for r in json.loads(REAL_PACKAGE.read_text(encoding="utf-8"))["resources"]]
)
def test_every_table_is_documented(table: str) -> None:
    assert f"| `{table}` |" in README


def test_quick_start_is_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make validate", "make test"]
