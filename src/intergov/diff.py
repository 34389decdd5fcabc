"""Compare two versions of the package: rows, cells, schema, metadata, and the version bump they need.

Rows are matched on the primary key, so their order in the files does not
matter (a source package compares with a release). Each change is classified
by the Data Package versioning recipe (semver):

========================================================================  =====
change                                                                    needs
========================================================================  =====
package or resource renamed, resource removed, resources reordered        major
field added, removed, renamed or reordered; type or format changed        major
constraint tightened (or changed either way), primary key changed,
foreign key or unique key added, missing values changed                   major
resource added, rows added, rows removed, constraint loosened,
foreign key or unique key removed                                         minor
values corrected (changed cells), descriptive metadata changed            patch
========================================================================  =====

>>> from intergov.package import load
>>> old, _ = load("datapackage/datapackage.json")  # doctest: +SKIP
>>> compare(old, old).identical  # doctest: +SKIP
True
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Set
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any

from intergov import schema as ts
from intergov.load import FILE_PROPERTIES, tables
from intergov.package import Package, Resource

#: Bump when the JSON shape of :func:`document` changes incompatibly.
SHAPE_VERSION = 1

FORMATS = ("text", "markdown", "json")
VIEWS = ("summary", "full")


class Level(IntEnum):
    """The version bump a change needs (semver)."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Change:
    """One schema, metadata or row-level change, and the bump it needs."""

    level: Level
    kind: str
    table: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.table}: {self.message}" if self.table else self.message

    def to_dict(self) -> dict[str, Any]:
        """The change as plain data (the JSON shape)."""
        return {**asdict(self), "level": str(self.level)}


@dataclass(frozen=True)
class CellChange:
    """A cell whose value differs: ``old -> new`` (text as written)."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    """A row present in both versions (same key) with changed cells."""

    key: tuple[str, ...]
    cells: tuple[CellChange, ...]


Row = dict[str, str]


@dataclass
class TableDiff:
    """The row changes of a table present in both versions, matched on ``key``."""

    name: str
    key: tuple[str, ...]
    added: list[Row] = field(default_factory=list)
    removed: list[Row] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """Whether no row was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def key_of(self, row: Row) -> tuple[str, ...]:
        """The key of an added or removed row."""
        return tuple(row.get(k, "") for k in self.key) if self.key else tuple(row.values())

    def changes(self) -> list[Change]:
        """The row changes as classified changes (one per kind)."""
        found = []
        if self.added:
            found.append(Change(Level.MINOR, "rows-added", self.name, None, _count(len(self.added), "row") + " added"))
        if self.removed:
            message = _count(len(self.removed), "row") + " removed"
            found.append(Change(Level.MINOR, "rows-removed", self.name, None, message))
        if self.changed:
            cells = sum(len(r.cells) for r in self.changed)
            message = f"{_count(len(self.changed), 'row')} changed ({_count(cells, 'cell')})"
            found.append(Change(Level.PATCH, "rows-changed", self.name, None, message))
        return found


@dataclass
class PackageDiff:
    """Everything that differs between two versions of the package."""

    old: str
    new: str
    old_version: str
    new_version: str
    schema: list[Change] = field(default_factory=list)
    tables: list[TableDiff] = field(default_factory=list)

    def changes(self) -> list[Change]:
        """Schema and metadata changes, then row changes, most severe first."""
        found = self.schema + [c for t in self.tables for c in t.changes()]
        return sorted(found, key=lambda c: -c.level)

    @property
    def level(self) -> Level:
        """The version bump that the changes need together."""
        return max((c.level for c in self.changes()), default=Level.NONE)

    @property
    def identical(self) -> bool:
        """Whether nothing differs."""
        return not self.changes()

    @property
    def exit_code(self) -> int:
        """0 identical, 1 different (as ``diff`` does)."""
        return int(not self.identical)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --- comparing ---------------------------------------------------------------------------------

#: Package properties that are not compared (the version is what the comparison is for).
_UNCOMPARED = {"resources", "version", "created", "$schema"}
#: Field properties that change how a cell is read.
_PARSING = {"format", "trueValues", "falseValues", "groupChar", "decimalChar", "bareNumber", "missingValues"}
_LOWER_BOUNDS = {"minimum", "exclusiveMinimum", "minLength"}
_UPPER_BOUNDS = {"maximum", "exclusiveMaximum", "maxLength"}


def compare(old: Package, new: Package, *, old_label: str = "old", new_label: str = "new") -> PackageDiff:
    """Compare two loaded packages (source packages or releases) table by table.

    >>> from intergov.package import load
    >>> pkg, _ = load("datapackage/datapackage.json")  # doctest: +SKIP
    >>> compare(pkg, pkg).level  # doctest: +SKIP
    <Level.NONE: 0>
    """
    result = PackageDiff(old_label, new_label, old.version, new.version)
    result.schema.extend(_metadata(old.descriptor, new.descriptor, None, _UNCOMPARED, "package"))
    before, after = tables(old), tables(new)
    renamed = _renamed_resources(before, after)
    for old_name, new_name in renamed.items():
        message = f"resource {old_name!r} renamed to {new_name!r}"
        result.schema.append(Change(Level.MAJOR, "resource-renamed", None, None, message))
    for name in before:
        if name not in after and name not in renamed:
            message = f"resource {name!r} removed ({_count(len(read_rows(before[name])), 'row')})"
            result.schema.append(Change(Level.MAJOR, "resource-removed", None, None, message))
    for name in after:
        if name not in before and name not in renamed.values():
            message = f"resource {name!r} added ({_count(len(read_rows(after[name])), 'row')})"
            result.schema.append(Change(Level.MINOR, "resource-added", None, None, message))
    common = [name for name in after if name in before]
    if [name for name in before if name in after] != common:
        result.schema.append(Change(Level.MAJOR, "resources-reordered", None, None, "resources reordered"))
    for name in common:
        changes, table = _table(name, before[name], after[name])
        result.schema.extend(changes)
        result.tables.append(table)
    return result


def read_rows(resource: Resource) -> list[Row]:
    """The records of a resource's CSV file, each a dict of header name to text cell."""
    text = resource.file.read_bytes().decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records:
        return []
    header = records[0]
    return [dict(zip(header, record, strict=False)) for record in records[1:] if record]


def _renamed_resources(before: Mapping[str, Resource], after: Mapping[str, Resource]) -> dict[str, str]:
    """Removed resources that reappear under a new name with the same fields and types."""

    def shape(resource: Resource) -> list[tuple[str, str]]:
        return [(f["name"], f.get("type", "string")) for f in ts.fields(resource.schema)]

    gone = [n for n in before if n not in after]
    new = [n for n in after if n not in before]
    renamed = {}
    for old_name in gone:
        match = next((n for n in new if n not in renamed.values() and shape(after[n]) == shape(before[old_name])), None)
        if match:
            renamed[old_name] = match
    return renamed


def _table(name: str, old: Resource, new: Resource) -> tuple[list[Change], TableDiff]:
    """Schema, metadata and row changes of a table present in both versions."""
    old_rows, new_rows = read_rows(old), read_rows(new)
    key = _key(old.schema, new.schema, old_rows, new_rows)
    before, after = _keyed(old_rows, key), _keyed(new_rows, key)
    changes = _metadata(old.descriptor, new.descriptor, name, FILE_PROPERTIES, "resource")
    fields, renames = _fields(name, old.schema, new.schema, before, after)
    changes.extend(fields)
    changes.extend(_table_schema(name, old.schema, new.schema))
    diff = TableDiff(name, key)
    diff.added = [after[k] for k in sorted(after) if k not in before]
    diff.removed = [before[k] for k in sorted(before) if k not in after]
    pairs = [(o, renames.get(o, o)) for o in ts.field_names(old.schema)]
    pairs = [(o, n) for o, n in pairs if n in ts.field_names(new.schema)]
    for k in sorted(k for k in after if k in before):
        cells = tuple(
            CellChange(n, before[k].get(o, ""), after[k].get(n, ""))
            for o, n in pairs
            if before[k].get(o, "") != after[k].get(n, "")
        )
        if cells:
            diff.changed.append(RowChange(k, cells))
    return changes, diff


def _key(old: Mapping, new: Mapping, old_rows: list[Row], new_rows: list[Row]) -> tuple[str, ...]:
    """The primary key to match rows on: the new one, else the old one, when both files have its columns.

    An empty key matches whole rows (a changed row then shows as removed and added).
    """
    have = set(old_rows[0] if old_rows else ts.field_names(old)) & set(new_rows[0] if new_rows else ts.field_names(new))
    for schema in (new, old):
        key = ts.primary_key(schema)
        if key and set(key) <= have:
            return tuple(key)
    return ()


def _keyed(rows: list[Row], key: tuple[str, ...]) -> dict[tuple[str, ...], Row]:
    return {tuple(row.get(k, "") for k in key) if key else tuple(row.values()): row for row in rows}


def _metadata(old: Mapping, new: Mapping, table: str | None, skip: Set[str], what: str) -> list[Change]:
    """Descriptive properties that differ (a patch), and a renamed package (a major change)."""
    found = []
    if what == "package" and old.get("name") != new.get("name"):
        message = f"package renamed from {old.get('name')!r} to {new.get('name')!r}"
        found.append(Change(Level.MAJOR, "package-renamed", None, None, message))
        skip = skip | {"name"}
    for prop in _union(old, new):
        if prop not in skip and old.get(prop) != new.get(prop):
            found.append(Change(Level.PATCH, "metadata-changed", table, None, f"{what} {prop} changed"))
    return found


def _union(old: Mapping, new: Mapping) -> list[str]:
    return [*old, *(k for k in new if k not in old)]


def _fields(
    table: str, old: Mapping, new: Mapping, before: Mapping[tuple, Row], after: Mapping[tuple, Row]
) -> tuple[list[Change], dict[str, str]]:
    """Field changes; also the renames found (old name -> new name)."""
    old_fields = {f["name"]: f for f in ts.fields(old)}
    new_fields = {f["name"]: f for f in ts.fields(new)}
    gone = [n for n in old_fields if n not in new_fields]
    added = [n for n in new_fields if n not in old_fields]
    renames: dict[str, str] = {}
    common_keys = [k for k in after if k in before]
    for o in gone:
        for n in added:
            if n in renames.values() or old_fields[o].get("type") != new_fields[n].get("type") or not common_keys:
                continue
            if all(before[k].get(o) == after[k].get(n) for k in common_keys):
                renames[o] = n
                break
    found = []
    for o, n in renames.items():
        found.append(Change(Level.MAJOR, "field-renamed", table, n, f"field {o!r} renamed to {n!r}"))
    for o in gone:
        if o not in renames:
            found.append(Change(Level.MAJOR, "field-removed", table, o, f"field {o!r} removed"))
    for n in added:
        if n not in renames.values():
            found.append(Change(Level.MAJOR, "field-added", table, n, f"field {n!r} added"))
    kept = [renames.get(o, o) for o in old_fields if renames.get(o, o) in new_fields]
    if kept != [n for n in new_fields if n in kept]:
        found.append(Change(Level.MAJOR, "fields-reordered", table, None, "fields reordered"))
    for o in old_fields:
        n = renames.get(o, o)
        if n in new_fields:
            found.extend(_field(table, n, old_fields[o], new_fields[n]))
    return found, renames


def _field(table: str, name: str, old: Mapping, new: Mapping) -> list[Change]:
    """Changes of one field kept in both versions: type, parsing, constraints, description."""
    found = []
    if old.get("type", "string") != new.get("type", "string"):
        message = f"field {name!r} retyped from {old.get('type', 'string')} to {new.get('type', 'string')}"
        found.append(Change(Level.MAJOR, "field-retyped", table, name, message))
    for prop in _union(old, new):
        if prop in ("name", "type") or old.get(prop) == new.get(prop):
            continue
        if prop == "constraints":
            found.extend(_constraints(table, name, old.get(prop) or {}, new.get(prop) or {}))
        elif prop in _PARSING:
            message = f"field {name!r}: {prop} changed from {old.get(prop)!r} to {new.get(prop)!r}"
            found.append(Change(Level.MAJOR, "field-format-changed", table, name, message))
        else:
            found.append(Change(Level.PATCH, "metadata-changed", table, name, f"field {name!r}: {prop} changed"))
    return found


def _constraints(table: str, name: str, old: Mapping, new: Mapping) -> list[Change]:
    found = []
    for prop in _union(old, new):
        before, after = old.get(prop), new.get(prop)
        if before == after:
            continue
        effect = constraint_effect(prop, before, after)
        level = Level.MINOR if effect == "loosened" else Level.MAJOR
        message = f"field {name!r}: constraint {prop} {effect} ({_shown(before)} -> {_shown(after)})"
        found.append(Change(level, f"constraint-{effect}", table, name, message))
    return found


def _shown(value: Any) -> str:
    return "none" if value is None else json.dumps(value, ensure_ascii=False)


def constraint_effect(prop: str, old: Any, new: Any) -> str:
    """Whether a constraint change is ``tightened``, ``loosened`` or just ``changed`` (either way).

    ``None`` means the constraint is absent.

    >>> constraint_effect("maxLength", 80, 40), constraint_effect("enum", ["a"], ["a", "b"])
    ('tightened', 'loosened')
    >>> constraint_effect("pattern", "^a$", "^b$")
    'changed'
    """
    if prop in ("required", "unique"):
        return "tightened" if new else "loosened"
    if old is None:
        return "tightened"
    if new is None:
        return "loosened"
    if prop == "enum" and isinstance(old, list) and isinstance(new, list):
        if set(map(str, new)) < set(map(str, old)):
            return "tightened"
        if set(map(str, new)) > set(map(str, old)):
            return "loosened"
        return "changed"
    if prop in _LOWER_BOUNDS | _UPPER_BOUNDS:
        try:
            raised = new > old
        except TypeError:
            return "changed"
        return "tightened" if raised == (prop in _LOWER_BOUNDS) else "loosened"
    return "changed"


def _table_schema(table: str, old: Mapping, new: Mapping) -> list[Change]:
    """Changes of table-level schema properties: keys, missing values, descriptions."""
    found = []
    if ts.primary_key(old) != ts.primary_key(new):
        message = f"primary key changed from {ts.primary_key(old)} to {ts.primary_key(new)}"
        found.append(Change(Level.MAJOR, "primary-key-changed", table, None, message))
    for prop, label in (("foreignKeys", "foreign key"), ("uniqueKeys", "unique key")):
        before = [json.dumps(k, sort_keys=True) for k in old.get(prop, [])]
        after = [json.dumps(k, sort_keys=True) for k in new.get(prop, [])]
        for item in after:
            if item not in before:
                found.append(Change(Level.MAJOR, "key-added", table, None, f"{label} added: {item}"))
        for item in before:
            if item not in after:
                found.append(Change(Level.MINOR, "key-removed", table, None, f"{label} removed: {item}"))
    if ts.missing_values(old) != ts.missing_values(new):
        message = f"missing values changed from {list(ts.missing_values(old))} to {list(ts.missing_values(new))}"
        found.append(Change(Level.MAJOR, "missing-values-changed", table, None, message))
    skip = {"fields", "primaryKey", "foreignKeys", "uniqueKeys", "missingValues", "$schema"}
    found.extend(_metadata(old, new, table, skip, "schema"))
    return found


# --- rendering -----------------------------------------------------------------------------------


def document(diff: PackageDiff, *, view: str = "summary") -> dict[str, Any]:
    """The diff as plain data; the full view adds every added, removed and changed row."""
    tables = []
    for t in diff.tables:
        if t.identical:
            continue
        entry: dict[str, Any] = {
            "name": t.name,
            "key": list(t.key),
            "added": len(t.added),
            "removed": len(t.removed),
            "changed": len(t.changed),
        }
        if view == "full":
            entry["rows"] = {
                "added": t.added,
                "removed": t.removed,
                "changed": [{"key": list(r.key), "cells": [asdict(c) for c in r.cells]} for r in t.changed],
            }
        tables.append(entry)
    return {
        "version": SHAPE_VERSION,
        "old": {"label": diff.old, "version": diff.old_version},
        "new": {"label": diff.new, "version": diff.new_version},
        "identical": diff.identical,
        "level": str(diff.level),
        "changes": [c.to_dict() for c in diff.changes()],
        "tables": tables,
    }


def render(diff: PackageDiff, fmt: str = "text", *, view: str = "summary") -> str:
    """The diff as ``text``, ``markdown`` or ``json``, in the ``summary`` or ``full`` view."""
    if fmt not in FORMATS or view not in VIEWS:
        raise ValueError(f"unknown format {fmt!r} or view {view!r}; formats: {FORMATS}, views: {VIEWS}")
    if fmt == "json":
        return json.dumps(document(diff, view=view), indent=2, ensure_ascii=False) + "\n"
    return (_markdown if fmt == "markdown" else _text)(diff, full=view == "full")


def verdict(diff: PackageDiff) -> str:
    """One line: identical, or the bump the changes need."""
    if diff.identical:
        return "no differences"
    return f"{_count(len(diff.changes()), 'change')}; needs a {diff.level} version bump"


def _changed_tables(diff: PackageDiff) -> list[TableDiff]:
    return [t for t in diff.tables if not t.identical]


def _key_text(key: tuple[str, ...]) -> str:
    return ", ".join(key)


def _text(diff: PackageDiff, *, full: bool) -> str:
    lines = [f"{diff.old} ({diff.old_version}) -> {diff.new} ({diff.new_version}): {verdict(diff)}"]
    changed = _changed_tables(diff)
    if changed:
        width = max(len(t.name) for t in changed)
        lines += ["", f"{'table':<{width}}  {'added':>7}  {'removed':>7}  {'changed':>7}"]
        lines += [f"{t.name:<{width}}  {len(t.added):>7}  {len(t.removed):>7}  {len(t.changed):>7}" for t in changed]
    if not diff.identical:
        lines += ["", "changes:"]
        lines += [f"  {c.level!s:<5}  {c}" for c in diff.changes()]
    if full:
        for t in changed:
            lines += ["", f"{t.name} (key: {_key_text(t.key) or 'whole row'}):"]
            lines += [f"  + {_key_text(t.key_of(row))}" for row in t.added]
            lines += [f"  - {_key_text(t.key_of(row))}" for row in t.removed]
            for row in t.changed:
                lines.append(f"  ~ {_key_text(row.key)}")
                lines += [f"      {c.field}: {c.old!r} -> {c.new!r}" for c in row.cells]
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    """A value in a Markdown table cell."""
    return f"`{value}`".replace("|", "\\|").replace("\n", " ") if value else "*(empty)*"


def _markdown(diff: PackageDiff, *, full: bool) -> str:
    lines = [
        f"## Changes from `{diff.old}` ({diff.old_version}) to `{diff.new}` ({diff.new_version})",
        "",
        "No differences." if diff.identical else f"Needs a **{diff.level}** version bump.",
    ]
    changed = _changed_tables(diff)
    if changed:
        lines += ["", "| table | added | removed | changed |", "|---|---:|---:|---:|"]
        lines += [f"| `{t.name}` | {len(t.added)} | {len(t.removed)} | {len(t.changed)} |" for t in changed]
    if not diff.identical:
        lines += ["", "### Changes", ""]
        lines += [f"- **{c.level}** " + (f"`{c.table}`: {c.message}" if c.table else c.message) for c in diff.changes()]
    if full:
        for t in changed:
            lines += ["", f"### `{t.name}`"]
            if t.added or t.removed:
                lines.append("")
            lines += [f"- added: {_cell(_key_text(t.key_of(row)))}" for row in t.added]
            lines += [f"- removed: {_cell(_key_text(t.key_of(row)))}" for row in t.removed]
            if t.changed:
                lines += ["", "| key | field | old | new |", "|---|---|---|---|"]
                lines += [
                    f"| {_cell(_key_text(r.key))} | `{c.field}` | {_cell(c.old)} | {_cell(c.new)} |"
                    for r in t.changed
                    for c in r.cells
                ]
    return "\n".join(lines) + "\n"
