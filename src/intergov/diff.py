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

Rows of a table are listed in canonical order (:func:`intergov.fmt.sort_key`:
primary key, numbers as numbers), as ``intergov fmt`` writes them. Rendering
the result is :mod:`intergov.report.diff`'s job.

>>> from intergov.package import load
>>> old, _ = load("datapackage/datapackage.json")  # doctest: +SKIP
>>> compare(old, old).identical  # doctest: +SKIP
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence, Set
from dataclasses import asdict, dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any

from intergov import schema as ts
from intergov.engine.text import decode
from intergov.findings import ERROR
from intergov.fmt import sort_key
from intergov.lines import MalformedRecord, records
from intergov.messages import plural
from intergov.package import Package, Resource
from intergov.reader import FILE_PROPERTIES, tables


class DiffError(Exception):
    """A table's file cannot be read for comparing (not UTF-8, binary, a quote that never closes): exit code 2."""


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


@dataclass(frozen=True)
class TableDiff:
    """The row changes of a table present in both versions, matched on ``key``, each in canonical order."""

    name: str
    key: tuple[str, ...]
    added: tuple[Row, ...] = ()
    removed: tuple[Row, ...] = ()
    changed: tuple[RowChange, ...] = ()

    @property
    def identical(self) -> bool:
        """Whether no row was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def key_of(self, row: Row) -> tuple[str, ...]:
        """The key of an added or removed row."""
        return _row_key(row, self.key)

    def changes(self) -> list[Change]:
        """The row changes as classified changes (one per kind)."""
        found = []
        if self.added:
            found.append(Change(Level.MINOR, "rows-added", self.name, None, plural(len(self.added), "row") + " added"))
        if self.removed:
            message = plural(len(self.removed), "row") + " removed"
            found.append(Change(Level.MINOR, "rows-removed", self.name, None, message))
        if self.changed:
            cells = sum(len(r.cells) for r in self.changed)
            message = f"{plural(len(self.changed), 'row')} changed ({plural(cells, 'cell')})"
            found.append(Change(Level.PATCH, "rows-changed", self.name, None, message))
        return found


@dataclass(frozen=True)
class PackageDiff:
    """Everything that differs between two versions of the package (made by :func:`compare`)."""

    old: str
    new: str
    old_version: str
    new_version: str
    schema: tuple[Change, ...] = ()
    tables: tuple[TableDiff, ...] = ()

    @cached_property
    def _changes(self) -> tuple[Change, ...]:
        """Worked out once: the diff is frozen."""
        found = [*self.schema, *(c for t in self.tables for c in t.changes())]
        return tuple(sorted(found, key=lambda c: -c.level))

    def changes(self) -> list[Change]:
        """Schema and metadata changes, then row changes, most severe first."""
        return list(self._changes)

    @property
    def changed_tables(self) -> list[TableDiff]:
        """The tables whose rows differ."""
        return [t for t in self.tables if not t.identical]

    @property
    def level(self) -> Level:
        """The version bump that the changes need together."""
        return max((c.level for c in self._changes), default=Level.NONE)

    @property
    def identical(self) -> bool:
        """Whether nothing differs."""
        return not self._changes

    @property
    def exit_code(self) -> int:
        """0 identical, 1 different (as ``diff`` does)."""
        return int(not self.identical)


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
    schema = _metadata(old.descriptor, new.descriptor, None, _UNCOMPARED, "package")
    before, after = tables(old), tables(new)
    renamed = _renamed_resources(before, after)
    for old_name, new_name in renamed.items():
        message = f"resource {old_name!r} renamed to {new_name!r}"
        schema.append(Change(Level.MAJOR, "resource-renamed", None, None, message))
    for name in before:
        if name not in after and name not in renamed:
            message = f"resource {name!r} removed ({plural(len(read_rows(before[name])), 'row')})"
            schema.append(Change(Level.MAJOR, "resource-removed", None, None, message))
    for name in after:
        if name not in before and name not in renamed.values():
            message = f"resource {name!r} added ({plural(len(read_rows(after[name])), 'row')})"
            schema.append(Change(Level.MINOR, "resource-added", None, None, message))
    common = [name for name in after if name in before]
    if [name for name in before if name in after] != common:
        schema.append(Change(Level.MAJOR, "resources-reordered", None, None, "resources reordered"))
    diffs = []
    for name in common:
        changes, table = _table(name, before[name], after[name])
        schema.extend(changes)
        diffs.append(table)
    return PackageDiff(old_label, new_label, old.version, new.version, tuple(schema), tuple(diffs))


def read_rows(resource: Resource) -> list[Row]:
    """The records of a resource's CSV file, each a dict of header name to text cell.

    The bytes are checked as ``intergov validate`` checks them
    (:func:`intergov.engine.text.decode`); a file that cannot be read with
    certainty, or that has a record with more or fewer cells than the header,
    raises :class:`DiffError`, naming the file, the line and why.
    """
    try:
        data = resource.file.read_bytes()
    except OSError as e:
        raise DiffError(f"cannot read {resource.display}: {e}") from e
    text, found = decode(data, resource.display)
    if text is None:
        problem = next(f for f in found if f.severity == ERROR)
        raise DiffError(f"cannot compare {problem.path}:{problem.line or 1}: {problem.message}")
    try:
        found = list(records(text))
    except MalformedRecord as e:  # not expected once decoded: decode refuses what the csv module cannot read
        raise DiffError(f"cannot compare {resource.display}:{e.line}: {e}") from e
    if not found:
        return []
    _, header = found[0]
    rows = []
    for line, record in found[1:]:
        if not record:
            continue  # a blank line holds no data
        if len(record) != len(header):
            raise DiffError(
                f"cannot compare {resource.display}:{line}: {len(record)} cells where the header has "
                f"{len(header)}; fix the row"
            )
        rows.append(dict(zip(header, record, strict=True)))
    return rows


def canonical_order(rows: Sequence[Row], schema: Mapping[str, Any]) -> list[Row]:
    """``rows`` in the order ``intergov fmt`` writes them: :func:`intergov.fmt.sort_key` (key 9 before 10).

    >>> schema = {"fields": [{"name": "n", "type": "integer"}], "primaryKey": ["n"]}
    >>> [r["n"] for r in canonical_order([{"n": "10"}, {"n": "9"}], schema)]
    ['9', '10']
    """
    names = ts.field_names(schema)
    key = sort_key(schema, names)
    return sorted(rows, key=lambda row: key([row.get(name, "") for name in names]))


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
    added = canonical_order([row for k, row in after.items() if k not in before], new.schema)
    removed = canonical_order([row for k, row in before.items() if k not in after], old.schema)
    pairs = [(o, renames.get(o, o)) for o in ts.field_names(old.schema)]
    pairs = [(o, n) for o, n in pairs if n in ts.field_names(new.schema)]
    changed = []
    for row in canonical_order([row for k, row in after.items() if k in before], new.schema):
        k = _row_key(row, key)
        cells = tuple(
            CellChange(n, before[k].get(o, ""), row.get(n, ""))
            for o, n in pairs
            if before[k].get(o, "") != row.get(n, "")
        )
        if cells:
            changed.append(RowChange(k, cells))
    return changes, TableDiff(name, key, tuple(added), tuple(removed), tuple(changed))


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


def _row_key(row: Row, key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(row.get(k, "") for k in key) if key else tuple(row.values())


def _keyed(rows: list[Row], key: tuple[str, ...]) -> dict[tuple[str, ...], Row]:
    return {_row_key(row, key): row for row in rows}


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
