"""Errors in frictionless-py's shape, as findings: what both engines report.

The reference engine hands over frictionless-py's own errors; the fast engine
describes what it finds as :class:`Error`, the same shape. :func:`findings`
turns either into findings at the physical line of each record, with a plain
message, and says which typed cells to null and which records to leave out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from intergov import schema as ts
from intergov.findings import ERROR, Finding
from intergov.lines import Dialect, line_of_record
from intergov.messages import cell_message, value_hint
from intergov.package import Resource

#: Errors about a whole record's shape: the record is left out of the typed frames, and nothing else is
#: reported on it (its cells are not checked until it has the header's number of cells).
STRUCTURE_ERRORS = {"extra-cell", "missing-cell", "blank-row"}


@dataclass
class Error:
    """What frictionless-py would report, in the shape of its errors (what :func:`findings` reads)."""

    type: str
    row_number: int | None = None
    field_number: int | None = None
    field_name: str = ""
    cell: str | None = None
    note: str = ""
    cells: list[str] = field(default_factory=list)
    label: str | None = None
    title: str = ""


def declared(resource: Resource) -> Resource:
    """``resource`` with its dialect's ``nullSequence`` among its schema's missing values (both engines read it so)."""
    dialect = Dialect.of(resource.descriptor)
    if dialect.null_sequence is None:
        return resource
    return dataclasses.replace(resource, schema=dialect.schema(resource.schema))


def row_width(row_number: int, count: int, width: int, *, header: bool, extra: str | None = None) -> Error:
    """The one error of a record of ``count`` cells where the header has ``width`` (both engines report it so).

    ``header`` says whether the file has a header row (without one, ``width`` is
    the schema's number of fields); ``extra`` is the first cell past ``width``.
    It is an ``extra-cell`` at the first extra cell or a ``missing-cell`` at the
    first missing one, whatever the number of cells: never one per cell.

    >>> row_width(3, 1000002, 18, header=True).note
    '1000002 cells, the header has 18'
    """
    has = f"the header has {width}" if header else f"the schema has {width} fields"
    note = f"{count} cells, {has}"
    if count > width:
        return Error("extra-cell", row_number, width + 1, "", extra, note)
    return Error("missing-cell", row_number, count + 1, "", "", note)


def findings(
    resource: Resource, errors: Sequence, starts: Sequence[int], *, header_line: int = 1
) -> tuple[list[Finding], list[tuple[int, str]], set[int]]:
    """Translate frictionless errors; also the cells to null and the records to drop.

    Label errors are at ``header_line`` (the physical line of the header, 1 unless comments or ``headerRows`` move it).
    """
    path = resource.display
    schema = resource.schema
    by_name = {f["name"]: f for f in ts.fields(schema)}
    names = ts.field_names(schema)
    found, masked, dropped = [], [], set()
    for error in errors:
        kind = error.type
        row = getattr(error, "row_number", None)
        line = line_of_record(starts, row) if row else (header_line if kind.endswith("-label") else None)
        number = getattr(error, "field_number", None)
        name = getattr(error, "field_name", None) or (names[number - 1] if number and number <= len(names) else None)
        cell = getattr(error, "cell", None)
        if kind in STRUCTURE_ERRORS:
            dropped.add(line)
        if kind in ("type-error", "constraint-error", "unique-error"):
            described = by_name.get(name, {"name": name})
            rule, message = cell_message(kind, error.note, cell or "", described)
            if kind == "unique-error":
                message = _with_first_line(message, error.note, starts)
            found.append(Finding(path, line, number, name, cell, rule, ERROR, message))
            masked.append((line, name))
        elif kind in ("primary-key", "foreign-key"):
            found.append(_key_finding(kind, error, path, line, schema, starts))
            fields = ts.primary_key(schema) if kind == "primary-key" else _fk_fields(error.note, schema)
            masked.extend((line, f) for f in fields)
        else:
            found.append(_other_finding(kind, error, path, line, number, name, cell))
    # A blank line is that, not an empty key; a row of the wrong width is that, not a cascade of cell errors.
    broken = {f.line for f in found if f.rule in STRUCTURE_ERRORS}
    found = [f for f in found if f.line not in broken or f.rule in STRUCTURE_ERRORS]
    return found, masked, dropped


def _with_first_line(message: str, note: str, starts: Sequence[int]) -> str:
    match = re.search(r"row at position (\d+)", note or "")
    if not match:
        return message
    return f"{message}; the first is on line {line_of_record(starts, int(match.group(1)))}"


def _fk_fields(note: str, schema: Mapping[str, Any]) -> list[str]:
    """The local fields of the foreign key a frictionless note is about."""
    match = re.search(r'for "([^"]+)"', note or "")
    if not match:
        return []
    wanted = [f.strip() for f in match.group(1).split(",")]
    return [f for f in wanted if f in ts.field_names(schema)]


def _key_finding(kind: str, error, path: str, line: int | None, schema, starts: Sequence[int]) -> Finding:
    names = ts.field_names(schema)
    cells = list(getattr(error, "cells", []) or [])
    note = error.note or ""
    if kind == "primary-key":
        key = ts.primary_key(schema)
        values = [cells[names.index(k)] if names.index(k) < len(cells) else "" for k in key]
        if "all" in note and "None" in note:
            message = f"the primary key ({', '.join(key)}) is empty; every row needs one"
        else:
            message = _with_first_line(f"duplicate primary key ({', '.join(key)}); make it unique", note, starts)
        column = names.index(key[0]) + 1 if key else None
        return Finding(path, line, column, ", ".join(key), ", ".join(values), "primary-key", ERROR, message)
    local = _fk_fields(note, schema)
    target = _fk_target(local, schema)
    values = [cells[names.index(f)] if names.index(f) < len(cells) else "" for f in local]
    shown = ", ".join(values)
    resource, remote = target
    message = (
        f"no row in {resource or 'this table'} has {', '.join(remote)} = {shown!r}; "
        f"add that row there first, or correct this value"
    )
    hint = value_hint(shown)
    if hint:
        message = f"{message} ({hint})"
    column = names.index(local[0]) + 1 if local else None
    return Finding(path, line, column, ", ".join(local) or None, shown, "foreign-key", ERROR, message)


def _fk_target(local: list[str], schema) -> tuple[str, list[str]]:
    for fields, resource, remote in ts.foreign_keys(schema):
        if fields == local:
            return resource, remote
    return "", local


#: The other frictionless-py errors intergov reports under their own rule id; any other is a ``frictionless-error``.
_OTHER_MESSAGES = {
    "blank-row": "a blank line; delete it",
    "extra-cell": "remove the extra cells, or quote a cell that holds a comma; the row is checked further once it fits",
    "missing-cell": "add the missing cells (an empty cell is fine); the row is checked further once it fits",
    "extra-label": "a header column that the schema does not define; remove it or add the field to the schema",
    "missing-label": "a column of the schema is missing from the header; add it",
    "blank-label": "a blank header cell; write the field name",
    "duplicate-label": "the same column name twice in the header",
    "incorrect-label": "the header does not match the schema's field name at this position",
    "blank-header": "the header row is blank",
    "unmatched-header": "none of the schema's fields is in the header",
}


def _other_finding(kind: str, error, path: str, line, number, name, cell) -> Finding:
    message = _OTHER_MESSAGES.get(kind) or f"{error.title}: {error.note}".strip(": ")
    if kind == "incorrect-label":
        message = f"header says {error.label!r} where the schema expects {name!r}"
    elif kind == "duplicate-label":
        message = f"the column {error.label!r} appears twice in the header"
    elif kind == "extra-label":
        message = f"header column {error.label!r} is not a field of the schema; remove it or add it to the schema"
    elif kind == "missing-label":
        message = f"the header lacks the column {name!r}; add it"
    elif kind in ("extra-cell", "missing-cell"):
        message = f"{error.note}: {message}"
    value = getattr(error, "label", None) if kind.endswith("-label") else cell
    column = number if kind not in ("blank-row",) else None
    rule = kind if kind in _OTHER_MESSAGES else "frictionless-error"
    return Finding(path, line, column, name or None, value or None, rule, ERROR, message)
