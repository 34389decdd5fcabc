"""``intergov diff``: rows matched on the primary key, changed cells, schema changes, and the bump they need."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import append_row, copy_package, read_rows, set_cell, write_rows
from intergov.cli import main
from intergov.diff import CellChange, DiffError, Level, PackageDiff, TableDiff, compare, constraint_effect
from intergov.package import load
from intergov.report.diff import render
from test_build import build_release

AGREEMENT = "comprehensive-programme-2022-2026"


def edit_schema(descriptor: Path, table: str, change: Callable[[dict], object]) -> None:
    """Apply ``change`` to the Table Schema of ``table`` (under ``schemas/`` beside the package)."""
    path = descriptor.parent.parent / "schemas" / f"{table}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")


def field_of(schema: dict, name: str) -> dict:
    return next(f for f in schema["fields"] if f["name"] == name)


def remove_field(descriptor: Path, table: str, name: str) -> None:
    """Drop a field from the schema and its column from the CSV."""
    edit_schema(descriptor, table, lambda s: s["fields"].remove(field_of(s, name)))
    rows = read_rows(descriptor, table)
    column = rows[0].index(name)
    write_rows(descriptor, table, [r[:column] + r[column + 1 :] for r in rows])


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of the real package: old and new (the test edits new)."""
    return copy_package(tmp_path / "old"), copy_package(tmp_path / "new")


def diff_of(pair: tuple[Path, Path]) -> PackageDiff:
    (old, _), (new, _) = load(pair[0]), load(pair[1])
    return compare(old, new, old_label="old", new_label="new")


def kinds(result: PackageDiff) -> list[tuple[str, str, str | None]]:
    return [(str(c.level), c.kind, c.field) for c in result.changes()]


def test_identical(pair: tuple[Path, Path]) -> None:
    result = diff_of(pair)
    assert result.identical and result.level == Level.NONE and result.exit_code == 0
    assert render(result) == "old (0.1.0) -> new (0.1.0): no differences\n"


def test_a_changed_cell_is_a_patch(pair: tuple[Path, Path]) -> None:
    set_cell(pair[1], "agreements", AGREEMENT, "signed_city", "Astana")
    result = diff_of(pair)
    assert result.level == Level.PATCH
    (table,) = [t for t in result.tables if not t.identical]
    assert table.name == "agreements" and table.key == ("agreement_id",)
    (row,) = table.changed
    assert row.key == (AGREEMENT,) and row.cells == (CellChange("signed_city", "", "Astana"),)
    assert "      signed_city: '' -> 'Astana'" in render(result, view="full")


def test_rows_added_and_removed_are_minor_and_order_does_not_matter(pair: tuple[Path, Path]) -> None:
    rows = read_rows(pair[1], "people")
    write_rows(pair[1], "people", [rows[0], *reversed(rows[2:])])
    append_row(pair[1], "people", {"person_id": "new-person", "full_name": "New", "country_code": "KAZ"})
    result = diff_of(pair)
    assert result.level == Level.MINOR
    (table,) = [t for t in result.tables if not t.identical]
    assert [r["person_id"] for r in table.added] == ["new-person"]
    assert [r["person_id"] for r in table.removed] == [rows[1][0]]
    assert not table.changed
    full = render(result, view="full")
    assert "  + new-person" in full and f"  - {rows[1][0]}" in full


def test_removed_field_is_major(pair: tuple[Path, Path]) -> None:
    remove_field(pair[1], "agreements", "signed_city")
    result = diff_of(pair)
    assert kinds(result) == [("major", "field-removed", "signed_city")]
    assert all(t.identical for t in result.tables), "a removed field is a schema change, not changed cells"


def test_added_field_is_major(pair: tuple[Path, Path]) -> None:
    edit_schema(pair[1], "people", lambda s: s["fields"].append({"name": "note", "type": "string"}))
    write_rows(pair[1], "people", [[*r, "note" if i == 0 else ""] for i, r in enumerate(read_rows(pair[1], "people"))])
    assert kinds(diff_of(pair)) == [("major", "field-added", "note")]


def test_renamed_field_is_found_by_its_values(pair: tuple[Path, Path]) -> None:
    edit_schema(pair[1], "people", lambda s: field_of(s, "full_name").update(name="name"))
    rows = read_rows(pair[1], "people")
    rows[0][rows[0].index("full_name")] = "name"
    write_rows(pair[1], "people", rows)
    result = diff_of(pair)
    assert kinds(result) == [("major", "field-renamed", "name")]
    assert "field 'full_name' renamed to 'name'" in render(result)


def test_reordered_fields_are_major(pair: tuple[Path, Path]) -> None:
    edit_schema(pair[1], "people", lambda s: s["fields"].reverse())
    write_rows(pair[1], "people", [r[::-1] for r in read_rows(pair[1], "people")])
    assert kinds(diff_of(pair)) == [("major", "fields-reordered", None)]


def test_retyped_field_is_major(pair: tuple[Path, Path]) -> None:
    edit_schema(pair[1], "contracts", lambda s: field_of(s, "contract_count").update(type="number"))
    assert kinds(diff_of(pair)) == [("major", "field-retyped", "contract_count")]


def test_constraints_tightened_and_loosened(pair: tuple[Path, Path]) -> None:
    def change(schema: dict) -> None:
        field_of(schema, "agreement_id")["constraints"]["maxLength"] = 60
        field_of(schema, "kind")["constraints"]["enum"].append("charter")

    edit_schema(pair[1], "agreements", change)
    result = diff_of(pair)
    assert kinds(result) == [
        ("major", "constraint-tightened", "agreement_id"),
        ("minor", "constraint-loosened", "kind"),
    ]
    assert "constraint maxLength tightened (80 -> 60)" in render(result)


def test_keys_and_metadata(pair: tuple[Path, Path]) -> None:
    def change(schema: dict) -> None:
        schema["foreignKeys"].pop()
        schema["description"] = "Other words."
        field_of(schema, "title")["description"] = "Other words."

    edit_schema(pair[1], "agreements", change)
    assert kinds(diff_of(pair)) == [
        ("minor", "key-removed", None),
        ("patch", "metadata-changed", "title"),
        ("patch", "metadata-changed", None),
    ]


def test_resources_added_removed_renamed(pair: tuple[Path, Path]) -> None:
    descriptor = json.loads(pair[1].read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    descriptor["resources"].remove(resources["corroborations"])
    resources["people"]["name"] = "persons"
    descriptor["resources"].append({**resources["projects"], "name": "projects_copy"})
    descriptor["resources"].remove(resources["projects"])
    descriptor["resources"].insert(0, resources["projects"])
    pair[1].write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    changes = {(str(c.level), c.kind): c.message for c in diff_of(pair).changes()}
    assert changes[("major", "resource-renamed")] == "resource 'people' renamed to 'persons'"
    assert changes[("major", "resource-removed")].startswith("resource 'corroborations' removed (")
    assert (
        changes[("minor", "resource-added")]
        == f"resource 'projects_copy' added ({len(read_rows(pair[1], 'projects')) - 1} rows)"
    )
    assert changes[("major", "resources-reordered")] == "resources reordered"


@pytest.mark.parametrize(
    ("prop", "old", "new", "effect"),
    [
        ("required", None, True, "tightened"),
        ("required", True, False, "loosened"),
        ("unique", True, None, "loosened"),
        ("minimum", 1, 2, "tightened"),
        ("minimum", 1, None, "loosened"),
        ("exclusiveMinimum", 0, -1, "loosened"),
        ("maximum", 15, 10, "tightened"),
        ("maxLength", 80, 120, "loosened"),
        ("minLength", None, 1, "tightened"),
        ("enum", ["a", "b"], ["a"], "tightened"),
        ("enum", ["a"], ["a", "b"], "loosened"),
        ("enum", ["a", "b"], ["a", "c"], "changed"),
        ("pattern", None, "^a$", "tightened"),
        ("pattern", "^a$", None, "loosened"),
        ("pattern", "^a$", "^[ab]$", "changed"),
        ("minimum", "2020-01-01", 3, "changed"),
    ],
)
def test_constraint_effect(prop: str, old: object, new: object, effect: str) -> None:
    assert constraint_effect(prop, old, new) == effect


def test_json_and_markdown(pair: tuple[Path, Path]) -> None:
    set_cell(pair[1], "agreements", AGREEMENT, "signed_city", "Astana|Baku")
    result = diff_of(pair)
    summary = json.loads(render(result, "json"))
    assert summary["level"] == "patch" and summary["identical"] is False
    assert summary["tables"] == [
        {"name": "agreements", "key": ["agreement_id"], "added": 0, "removed": 0, "changed": 1}
    ]
    assert summary["changes"][0]["kind"] == "rows-changed"
    full = json.loads(render(result, "json", view="full"))
    cells = full["tables"][0]["rows"]["changed"][0]["cells"]
    assert cells == [{"field": "signed_city", "old": "", "new": "Astana|Baku"}]
    markdown = render(result, "markdown", view="full")
    assert "| `agreements` | 0 | 0 | 1 |" in markdown
    assert f"| `{AGREEMENT}` | `signed_city` | *(empty)* | `Astana\\|Baku` |" in markdown
    with pytest.raises(ValueError, match="unknown format"):
        render(result, "yaml")


def test_cli_source_and_release_are_identical(tmp_path: Path) -> None:
    release = build_release(tmp_path)
    source = tmp_path / "project" / "datapackage"
    for built in (release, release.parent / f"{release.name}.zip"):
        result = CliRunner().invoke(main, ["diff", str(source), str(built)])
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith(": no differences\n")


def test_cli_differences_exit_1(pair: tuple[Path, Path]) -> None:
    set_cell(pair[1], "agreements", AGREEMENT, "signed_city", "Astana")
    result = CliRunner().invoke(main, ["diff", str(pair[0]), str(pair[1]), "--view", "full"])
    assert result.exit_code == 1
    assert "needs a patch version bump" in result.stdout and "signed_city: '' -> 'Astana'" in result.stdout


def test_cli_unknown_side_is_a_usage_problem(pair: tuple[Path, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["diff", str(pair[0]), "no-such-thing", "--repo", str(tmp_path)])
    assert result.exit_code == 2
    assert "'no-such-thing' is neither a package folder, a release zip nor a git ref" in result.stderr


def numbered_package(folder: Path, rows: dict[int, str]) -> Path:
    """A package of one table whose primary key is an integer: ``n`` -> ``v``; its descriptor."""
    schema = {
        "fields": [{"name": "n", "type": "integer"}, {"name": "v", "type": "string"}],
        "primaryKey": ["n"],
    }
    descriptor = {
        "name": "numbers",
        "version": "0.1.0",
        "resources": [{"name": "t", "path": "t.csv", "schema": schema}],
    }
    folder.mkdir(parents=True)
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    write_csv = "n,v\n" + "".join(f"{n},{v}\n" for n, v in sorted(rows.items()))
    (folder / "t.csv").write_text(write_csv, encoding="utf-8")
    return folder / "datapackage.json"


def test_rows_are_listed_in_key_order_numbers_as_numbers(tmp_path: Path) -> None:
    old = numbered_package(tmp_path / "old", {n: "a" for n in (1, 2, 9, 10, 20)})
    new = numbered_package(tmp_path / "new", {1: "a", 9: "b", 10: "b", 11: "a", 100: "a"})
    result = diff_of((old, new))
    (table,) = result.tables
    assert [r.key for r in table.changed] == [("9",), ("10",)]
    assert [r["n"] for r in table.added] == ["11", "100"]
    assert [r["n"] for r in table.removed] == ["2", "20"]
    full = render(result, view="full")
    assert full.index("  ~ 9\n") < full.index("  ~ 10\n") and full.index("  + 11\n") < full.index("  + 100\n")


def test_markdown_escapes_a_backtick_in_a_value(pair: tuple[Path, Path]) -> None:
    set_cell(pair[1], "agreements", AGREEMENT, "signed_city", "As`tana|*x*")
    markdown = render(diff_of(pair), "markdown", view="full")
    assert f"| `{AGREEMENT}` | `signed_city` | *(empty)* | ``As`tana\\|*x*`` |" in markdown


def test_changes_are_worked_out_once(pair: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    set_cell(pair[1], "agreements", AGREEMENT, "signed_city", "Astana")
    result = diff_of(pair)
    calls = []
    original = TableDiff.changes
    monkeypatch.setattr(TableDiff, "changes", lambda self: calls.append(self.name) or original(self))
    for _ in range(2):
        assert (result.level, result.identical, result.exit_code) == (Level.PATCH, False, 1)
        render(result, "json", view="full"), render(result, "markdown"), render(result)
    assert len(calls) == len(result.tables), "each table's changes are worked out once"
    with pytest.raises(AttributeError):
        result.schema = ()  # frozen: what was worked out cannot go stale


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("Иван,Петров\n".encode("cp1251"), "not UTF-8"),
        (b"\x00\x01binary", "binary"),
    ],
    ids=["cp1251", "binary"],
)
def test_a_table_that_cannot_be_read_is_a_usage_problem(pair: tuple[Path, Path], data: bytes, why: str) -> None:
    people = pair[1].parent / "data" / "people.csv"
    people.write_bytes(people.read_bytes() + data)
    (old, _), (new, _) = load(pair[0]), load(pair[1])
    with pytest.raises(DiffError, match=f"cannot compare .*people.csv:.*{why}"):
        compare(old, new)
    result = CliRunner().invoke(main, ["diff", str(pair[0]), str(pair[1])])
    assert result.exit_code == 2, result.output
    assert "people.csv" in result.stderr and why in result.stderr
    assert isinstance(result.exception, SystemExit), "a message, not a traceback"


@pytest.mark.parametrize("cells", [["extra"], []], ids=["too-many", "too-few"])
def test_a_ragged_row_is_refused_with_its_line_not_cut_or_padded(pair: tuple[Path, Path], cells: list[str]) -> None:
    rows = read_rows(pair[1], "people")
    rows[2] = [*rows[2], *cells] if cells else rows[2][:-1]
    write_rows(pair[1], "people", rows)
    (old, _), (new, _) = load(pair[0]), load(pair[1])
    width = len(rows[0])
    with pytest.raises(
        DiffError, match=rf"cannot compare .*people.csv:3: {len(rows[2])} cells where the header has {width}"
    ):
        compare(old, new)
    result = CliRunner().invoke(main, ["diff", str(pair[0]), str(pair[1])])
    assert result.exit_code == 2, result.output
    assert "people.csv:3" in result.stderr
