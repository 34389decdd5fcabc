"""The README documents every command, rule and table (as sqlite-utils' test_docs does)."""

from __future__ import annotations

import ast
import json
import re

import pytest

from conftest import REAL_PACKAGE, ROOT
from intergov.cli import COMMANDS
from intergov.rules import RULE_IDS, RULES, STRUCTURE_RULES

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_documented(command: str) -> None:
    assert f"`intergov {command}" in README


@pytest.mark.parametrize("rule", sorted({r.id for r in RULES} | set(STRUCTURE_RULES)))
def test_every_rule_is_documented(rule: str) -> None:
    assert f"`{rule}`" in README


#: The modules whose findings reach a curator (validation, and fmt); diff, build and release report no findings.
FINDING_MODULES = [
    "findings.py",
    "package.py",
    "schema_checks.py",
    "messages.py",
    "lines.py",
    "fmt.py",
    "validate.py",
    "engine/*.py",
    "rules/*.py",
]

#: Strings in those modules shaped like a rule id that are not one: an encoding, and frictionless-py's error kind
#: that :func:`intergov.messages.cell_message` turns into the ``constraint-*`` rule ids.
NOT_RULE_IDS = {"utf-8", "utf-8-sig", "constraint-error"}


def _rule_shaped_strings() -> dict[str, str]:
    """Every string literal shaped like a rule id in :data:`FINDING_MODULES`, with a module it is in."""
    shape = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
    found = {}
    source = ROOT / "src" / "intergov"
    for pattern in FINDING_MODULES:
        for path in sorted(source.glob(pattern)):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and shape.match(node.value):
                    found.setdefault(node.value, str(path.relative_to(source)))
    return found


def test_every_rule_id_a_module_writes_is_a_known_rule() -> None:
    """A finding's rule id is in RULES or STRUCTURE_RULES, so --select accepts it and the README lists it."""
    unknown = {s: where for s, where in _rule_shaped_strings().items() if s not in RULE_IDS | NOT_RULE_IDS}
    assert unknown == {}


def test_rule_ids_of_mapped_frictionless_errors_are_known() -> None:
    from intergov.engine import translate
    from intergov.messages import _CONSTRAINT_RULES, cell_message

    assert set(_CONSTRAINT_RULES.values()) | set(translate._OTHER_MESSAGES) <= RULE_IDS
    notes = ['constraint "jsonSchema" is "{}"', "something else", ""]
    assert {cell_message("constraint-error", note, "x", {"name": "a"})[0] for note in notes} <= RULE_IDS


@pytest.mark.parametrize(
    "table", [r["name"] for r in json.loads(REAL_PACKAGE.read_text(encoding="utf-8"))["resources"]]
)
def test_every_table_is_documented(table: str) -> None:
    assert f"| `{table}` |" in README


def test_quick_start_is_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make validate", "make test"]
