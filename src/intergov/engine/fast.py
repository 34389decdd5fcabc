"""The fast Table Schema engine: pyarrow and numpy, with frictionless-py's findings.

Each CSV file is read once: its bytes are checked by :func:`intergov.engine.text.decode`,
laid out into records by numpy (where each record starts, on which physical
line, whether a quoted cell spans lines), and read by pyarrow's CSV reader with
every cell as text. Records with the wrong number of cells, and blank lines,
are read again by Python's ``csv`` module (frictionless-py's reader), so that
their cells are checked too. Each field is then parsed and checked column by
column (:mod:`intergov.engine.fast_types`), keys are compared as integer codes
(:mod:`intergov.engine.fast_keys`), and what is wrong is described as
frictionless-py would describe it, then translated into findings by the very
code the reference engine uses.

Files that Python's ``csv`` module would read differently from a plain
RFC 4180 reader (a carriage return, a quote inside an unquoted cell) are read
entirely by the ``csv`` module: slower, and the same.

>>> from intergov.package import load
>>> pkg, _ = load("datapackage/datapackage.json")  # doctest: +SKIP
>>> run(pkg).tables["sources"].typed.dtypes["published_on"]  # doctest: +SKIP
dtype('<M8[s]')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from intergov import schema as ts
from intergov.engine import EngineResult, Table
from intergov.engine import fast_keys as keys
from intergov.engine.fast_types import Column, cast, cell_reader, missing_values, series
from intergov.engine.text import decode
from intergov.findings import ERROR, Finding
from intergov.package import Package, Resource

_UTF8_BOM = b"\xef\xbb\xbf"
_NEWLINE, _QUOTE, _COMMA, _CR = 10, 34, 44, 13


@dataclass
class Error:
    """What frictionless-py would report, in the shape of its errors (what the translation reads)."""

    type: str
    row_number: int | None = None
    field_number: int | None = None
    field_name: str = ""
    cell: str | None = None
    note: str = ""
    cells: list[str] = field(default_factory=list)
    label: str | None = None
    title: str = ""


@dataclass
class Records:
    """A file's records as columns of text, one per expected field (every record but the header).

    ``numbers`` are record numbers (the header is 1), ``counts`` the cells of
    each record, ``extras`` the cells beyond the expected ones, and ``lines``
    the physical line of each record (index 0: the header).
    """

    labels: list[str]
    width: int
    columns: list[pa.ChunkedArray]
    numbers: np.ndarray
    counts: np.ndarray
    extras: dict[int, list[str]]
    lines: list[int]


@dataclass
class Checked:
    """One resource after parsing: its records, expected fields and parsed columns."""

    resource: Resource
    records: Records
    fields: list[Mapping[str, Any]]
    columns: list[Column]
    blank: np.ndarray
    errors: list[Error] = field(default_factory=list)
    masked: np.ndarray | None = None

    def position(self, name: str) -> int | None:
        """The expected position of schema field ``name``, if the file has it."""
        for i, f in enumerate(self.fields[: len(ts.fields(self.resource.schema))]):
            if f["name"] == name:
                return i
        return None


def run(package: Package) -> EngineResult:
    """Validate ``package`` with pyarrow and numpy; return findings and typed tables."""
    from intergov.engine.reference import _findings

    result = EngineResult()
    checked: dict[str, Checked] = {}
    for resource in package.resources:
        data = resource.file.read_bytes()
        text, found = decode(data, resource.display)
        result.findings.extend(found)
        if text is None:
            continue
        records = read(data, text, len(ts.fields(resource.schema)))
        del text
        checked[resource.name] = _check(resource, records)
    for item in checked.values():
        _keys(item, checked)
    for name, item in checked.items():
        findings, _, _ = _findings(item.resource, item.errors, item.records.lines)
        result.findings.extend(findings)
        table = _table(item)
        for finding in unique_key_findings(item.resource, table.text, table.typed):
            result.findings.append(finding)
            table.typed.loc[finding.line, finding.field.split(", ")] = pd.NA
        result.tables[name] = table
    return result


# Reading


def read(data: bytes, text: str, headless_width: int) -> Records:
    """The records of a CSV file (``data``, already decoded as ``text``).

    ``headless_width`` is the number of columns when the header row is blank
    (the schema's fields, as frictionless-py expects them then).

    >>> r = read(b"id,n\\n1,2\\n\\n3\\n", "id,n\\n1,2\\n\\n3\\n", 2)
    >>> r.labels, r.numbers.tolist(), r.counts.tolist(), r.lines
    (['id', 'n'], [2, 3, 4], [2, 0, 1], [1, 2, 3, 4])
    """
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    layout = _layout(body)
    if layout is None:
        return _read_slow(text, headless_width)
    starts, ends, lines, spanning = layout
    header = _parse(body[starts[0] : ends[0]])
    if not header:
        return _read_slow(text, headless_width)
    labels = [cell.strip() for cell in header]
    width = len(labels)
    table = _read_table(body, int(ends[0]) + 1, width, spanning) if len(starts) > 1 else None
    empty = starts[1:] == ends[1:]
    good = ~empty
    if table is None or table.num_rows != good.sum():
        good = ~empty & (_cell_counts(body, starts, ends)[1:] == width)
        if table is not None and table.num_rows != good.sum():
            return _read_slow(text, headless_width)
    numbers = np.arange(2, len(starts) + 1)
    rows = [_parse(body[starts[i + 1] : ends[i + 1]]) for i in np.flatnonzero(~good)]
    if table is None:
        table = pa.table({f"f{i}": pa.array([], pa.large_string()) for i in range(width)})
    columns = [table.column(i) for i in range(width)]
    return _assemble(labels, width, columns, numbers[good], numbers[~good], rows, lines.tolist())


def _layout(body: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None:
    """Record starts, ends and lines, and whether a quoted cell spans lines; ``None`` when not plain RFC 4180.

    A newline ends a record when an even number of quotes precede it. That
    holds for Python's ``csv`` module as long as every quote opens a cell, closes
    it, or is doubled inside it, which is checked here.
    """
    if not body or b"\r" in body:
        return None
    buf = np.frombuffer(body, np.uint8)
    newlines = np.flatnonzero(buf == _NEWLINE)
    quotes = np.flatnonzero(buf == _QUOTE) if b'"' in body else np.zeros(0, np.int64)
    spanning = False
    boundaries = newlines
    if len(quotes):
        if len(quotes) % 2:
            return None
        before = np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], _NEWLINE)
        after = np.where(quotes < len(buf) - 1, buf[np.minimum(quotes + 1, len(buf) - 1)], _NEWLINE)
        allowed = (_COMMA, _NEWLINE, _QUOTE)
        if not (np.isin(before[0::2], allowed).all() and np.isin(after[1::2], allowed).all()):
            return None
        inside = np.searchsorted(quotes, newlines) % 2 == 1
        spanning = bool(inside.any())
        boundaries = newlines[~inside]
    starts = np.concatenate([[0], boundaries + 1])
    ends = np.concatenate([boundaries, [len(buf)]])
    if starts[-1] == len(buf):
        starts, ends = starts[:-1], ends[:-1]
    lines = np.searchsorted(newlines, starts) + 1
    return starts, ends, lines, spanning


def _cell_counts(body: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Cells per record: its delimiting commas (outside quotes) plus one; none for an empty line."""
    buf = np.frombuffer(body, np.uint8)
    commas = np.flatnonzero(buf == _COMMA)
    counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    quotes = np.flatnonzero(buf == _QUOTE)
    if len(quotes):
        inside = np.searchsorted(commas, quotes[1::2]) - np.searchsorted(commas, quotes[0::2])
        record = np.searchsorted(starts, quotes[0::2], side="right") - 1
        counts = counts - np.bincount(record, weights=inside, minlength=len(starts)).astype(np.int64)
    return np.where(starts == ends, 0, counts + 1)


def _read_table(body: bytes, offset: int, width: int, spanning: bool) -> pa.Table | None:
    """Records after the header with ``width`` cells, all as text (pyarrow skips the others)."""
    import pyarrow.csv as pacsv

    if offset >= len(body):
        return None
    names = [f"f{i}" for i in range(width)]
    return pacsv.read_csv(
        pa.py_buffer(body).slice(offset),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(newlines_in_values=spanning, invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.large_string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _parse(record: bytes) -> list[str]:
    """The cells of one record, as Python's ``csv`` module reads them (``[]`` for a blank line)."""
    return next(csv.reader(io.StringIO(record.decode("utf-8"), newline=""), strict=False), [])


def _read_slow(text: str, headless_width: int) -> Records:
    """Every record read by Python's ``csv`` module, as frictionless-py reads them."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    rows, lines, previous = [], [], 0
    for record in reader:
        rows.append(record)
        lines.append(previous + 1)
        previous = reader.line_num
    header = rows[0] if rows else []
    labels = [cell.strip() for cell in header]
    numbers = np.arange(2, len(rows) + 1)
    return _assemble(labels, len(labels) or headless_width, None, numbers[:0], numbers, rows[1:], lines)


def _assemble(
    labels: list[str],
    width: int,
    columns: list[pa.ChunkedArray] | None,
    good: np.ndarray,
    other: np.ndarray,
    rows: list[list[str]],
    lines: list[int],
) -> Records:
    """Records of well-formed rows (``columns``) followed by the ``rows`` read one by one."""
    if columns is None:
        columns = [pa.chunked_array([], pa.large_string()) for _ in range(width)]
    extras = {len(good) + i: row[width:] for i, row in enumerate(rows) if len(row) > width}
    if rows:
        columns = [
            pa.chunked_array(
                [*col.chunks, pa.array([row[i] if i < len(row) else None for row in rows], pa.large_string())],
                pa.large_string(),
            )
            for i, col in enumerate(columns)
        ]
    counts = np.concatenate([np.full(len(good), width), np.array([len(r) for r in rows], np.int64)])
    return Records(labels, width, columns, np.concatenate([good, other]), counts, extras, lines)


# Cells


def expected_fields(schema: Mapping[str, Any], labels: list[str]) -> list[Mapping[str, Any]]:
    """The fields each header position pairs with, by position (``fieldsMatch: exact``).

    Positions beyond the schema get an ``any`` field named after the label,
    as frictionless-py gives them; without a header, the schema's fields.

    >>> [f["name"] for f in expected_fields({"fields": [{"name": "a"}]}, ["x", "y", "y"])]
    ['a', 'y', 'y2']
    """
    fields = ts.fields(schema)
    if not labels:
        return fields
    names: list[str] = []
    for i, label in enumerate(labels):
        name = fields[i]["name"] if i < len(fields) else label
        unique, suffix = name, 2
        while unique in names:
            unique, suffix = f"{name}{suffix}", suffix + 1
        names.append(unique)
    return [fields[i] if i < len(fields) else {"name": names[i], "type": "any"} for i in range(len(labels))]


def _check(resource: Resource, records: Records) -> Checked:
    """Parse every column; describe header, structure, type and constraint errors."""
    schema = resource.schema
    fields = expected_fields(schema, records.labels)
    declared = len(ts.fields(schema))
    schema_missing = ts.missing_values(schema)
    columns = []
    for i, f in enumerate(fields):
        missing = missing_values(f, schema_missing) if i < declared else ("",)
        columns.append(cast(records.columns[i], f, missing))
    n = len(records.numbers)
    blank = np.ones(n, bool)
    for column in columns:
        blank &= column.missing
    item = Checked(resource, records, fields, columns, blank)
    item.errors.extend(_header_errors(records.labels, ts.fields(schema)))
    item.errors.extend(_row_errors(item))
    return item


def _header_errors(labels: list[str], fields: list[Mapping[str, Any]]) -> list[Error]:
    """Extra, missing, blank, duplicate and incorrect labels, as frictionless-py's ``Header``."""
    if not labels:
        return []
    errors = [
        Error("extra-label", field_number=number, label=label)
        for number, label in enumerate(labels, start=1)
        if number > len(fields)
    ]
    errors += [
        Error("missing-label", field_number=len(labels) + offset + 1, field_name=f["name"], label="")
        for offset, f in enumerate(fields[len(labels) :])
    ]
    for number, (f, label) in enumerate(zip(fields, labels, strict=False), start=1):
        if not label:
            errors.append(Error("blank-label", field_number=number, field_name=f["name"], label=""))
            continue
        earlier = [str(i) for i, seen in enumerate(labels[: number - 1], start=1) if seen == label]
        if earlier:
            note = f'at position "{", ".join(earlier)}"'
            errors.append(
                Error("duplicate-label", field_number=number, field_name=f["name"], note=note, label=label)
            )
        elif label != f["name"]:
            errors.append(Error("incorrect-label", field_number=number, field_name=f["name"], label=label))
    return errors


def _row_errors(item: Checked) -> list[Error]:
    """Blank rows, extra and missing cells, type and constraint errors, in frictionless-py's terms."""
    records, blank = item.records, item.blank
    numbers = records.numbers
    errors = [Error("blank-row", row_number=int(numbers[r])) for r in np.flatnonzero(blank)]
    width = records.width
    for row, cells in records.extras.items():
        if not blank[row]:
            for offset, cell in enumerate(cells):
                errors.append(Error("extra-cell", int(numbers[row]), width + offset + 1, "", cell))
    for row in np.flatnonzero((records.counts < width) & ~blank):
        for position in range(int(records.counts[row]), width):
            errors.append(Error("missing-cell", int(numbers[row]), position + 1, item.fields[position]["name"], ""))
    for position, column in enumerate(item.columns):
        name = item.fields[position]["name"]
        constraints = column.field.get("constraints", {})
        problems = [("type-error", "", column.type_error)]
        problems += [("constraint-error", f'constraint "{c}" is "{constraints[c]}"', m) for c, m in column.errors.items()]
        for kind, note, mask in problems:
            rows = np.flatnonzero(mask & ~blank)
            if not len(rows):
                continue
            cells = column.text.take(pa.array(rows)).to_pylist()
            for row, cell in zip(rows, cells, strict=True):
                errors.append(Error(kind, int(numbers[row]), position + 1, name, str(cell), note))
    return errors


# Keys


def _keys(item: Checked, checked: Mapping[str, Checked]) -> None:
    """Unique fields, primary key, uniqueKeys and foreign keys of one resource."""
    schema = item.resource.schema
    numbers = item.records.numbers
    n = len(numbers)
    masked = np.zeros((len(item.columns), n), bool)
    for position, column in enumerate(item.columns):
        masked[position] = column.invalid
    names = ts.field_names(schema)
    for position, f in enumerate(item.fields[: len(names)]):
        if not ts.constraints(f).get("unique"):
            continue
        column = item.columns[position]
        (key,) = keys.codes([[_part(item, f["name"])]])
        flagged, previous = keys.duplicates(key.codes, numbers, skip_null=True, eligible=~key.unmatchable)
        masked[position] |= flagged
        values = _values(column, np.flatnonzero(flagged))
        for row, value in zip(np.flatnonzero(flagged), values, strict=True):
            note = f"the same as in the row at position {previous[row]}"
            item.errors.append(Error("unique-error", int(numbers[row]), position + 1, f["name"], value, note))
    primary = ts.primary_key(schema)
    if primary and all(item.position(k) is not None for k in primary):
        (key,) = keys.codes([[_part(item, k)] for k in primary])
        flagged, previous = keys.duplicates(key.codes, numbers, skip_null=False, eligible=~key.all_null & ~key.unmatchable)
        for row in np.flatnonzero(key.all_null):
            note = 'cells composing the primary keys are all "None"'
            item.errors.append(Error("primary-key", int(numbers[row]), note=note, cells=_cells(item, row)))
        for row in np.flatnonzero(flagged):
            note = f"the same as in the row at position {previous[row]}"
            item.errors.append(Error("primary-key", int(numbers[row]), note=note, cells=_cells(item, row)))
        for k in primary:
            masked[item.position(k)] |= flagged | key.all_null
    for local, resource, remote in ts.foreign_keys(schema):
        target = checked.get(resource or item.resource.name)
        if target is None or not all(item.position(k) is not None for k in local):
            continue
        pairs = [[_part(item, a), _part(target, b)] for a, b in zip(local, remote, strict=True)]
        broken = keys.broken_references(pairs)
        for row in np.flatnonzero(broken):
            values = ", ".join(_cells(item, row)[item.position(k)] for k in local)
            note = (
                f'for "{", ".join(local)}": values "{values}" not found in the lookup table '
                f'"{resource}" as "{", ".join(remote)}"'
            )
            item.errors.append(Error("foreign-key", int(numbers[row]), note=note, cells=_cells(item, row)))
        for k in local:
            masked[item.position(k)] |= broken
    item.masked = masked


def unique_key_findings(resource: Resource, text: pd.DataFrame, typed: pd.DataFrame) -> list[Finding]:
    """Duplicates of each ``uniqueKeys`` entry, which frictionless-py does not check.

    As the reference engine compares them: on the typed frame, a row with an
    empty or already reported key cell left out, each later duplicate
    reported with the line of the first.
    """
    names = ts.field_names(resource.schema)
    findings = []
    for key in ts.unique_keys(resource.schema):
        if not set(key) <= set(typed.columns):
            continue
        complete = typed[key].notna().all(axis=1).to_numpy()
        codes = np.zeros(len(typed), np.int64)
        for name in key:
            factor, uniques = pd.factorize(typed[name])
            codes = codes * (len(uniques) + 1) + factor + 1
            codes = pd.factorize(codes)[0]
        rows = np.flatnonzero(complete)
        first_row = pd.Series(rows).groupby(codes[rows]).transform("first").to_numpy()
        later = rows != first_row
        lines = typed.index.to_numpy()
        for row, first in zip(rows[later], first_row[later], strict=True):
            shown = ", ".join(str(text.iat[row, text.columns.get_loc(k)]) for k in key)
            message = (
                f"({', '.join(key)}) must be unique and ({shown}) is already used; "
                f"the first is on line {lines[first]}"
            )
            line = int(lines[row])
            findings.append(
                Finding(resource.display, line, names.index(key[0]) + 1, ", ".join(key), shown, "unique-error", ERROR, message)
            )
    return findings


def _part(item: Checked, name: str) -> keys.Part:
    position = item.position(name)
    n = len(item.records.numbers)
    if position is None:
        return keys.part(None, n)
    column = item.columns[position]
    missing = missing_values(column.field, ts.missing_values(item.resource.schema))
    return keys.part(column, n, missing)


def _cells(item: Checked, row: int) -> list[str]:
    """The row's cells as frictionless-py quotes them: text, ``""`` for a missing cell."""
    out = []
    for position in range(min(len(item.columns), len(ts.fields(item.resource.schema)))):
        value = item.columns[position].text[row].as_py()
        out.append("" if value is None else value)
    return out


def _values(column: Column, rows: np.ndarray) -> list[str]:
    """``str()`` of frictionless-py's typed value of each cell (what a unique-error quotes)."""
    texts = column.text.take(pa.array(rows, pa.int64())).to_pylist()
    if column.kind in ("string", "any"):
        return [str(text) for text in texts]
    reader = cell_reader(column.field, ())
    return [str(reader(text)[0]) for text in texts]


# Tables


def _table(item: Checked) -> Table:
    """The text and typed frames the rules layer reads, as the reference engine builds them.

    Only records with one cell per schema field and no structure error are
    kept (so none when the header has another number of columns); the typed
    cells this layer reported are null.
    """
    names = ts.field_names(item.resource.schema)
    records = item.records
    keep = (records.counts == len(names)) & ~item.blank
    if records.width != len(names):
        keep[:] = False
    rows = np.flatnonzero(keep)
    if not len(rows):  # as the reference engine builds an empty table (its index typed once it had rows)
        had_rows = bool((records.counts == len(names)).any())
        index = pd.Index([], name="line", dtype="int64" if had_rows else object)
        empty = pd.DataFrame([], columns=names, index=index, dtype="string")
        return Table(item.resource, empty, ts.cast_frame(empty, item.resource.schema))
    lines = np.asarray(records.lines, np.int64)[records.numbers[rows] - 1]
    index = pd.Index(lines, name="line")
    selection = None if len(rows) == len(keep) else pa.array(rows, pa.int64())
    text: dict[str, pd.Series] = {}
    typed: dict[str, pd.Series] = {}
    for position, name in enumerate(names):
        column = item.columns[position]
        values = column.text if selection is None else column.text.take(selection)
        text[name] = pd.Series(pd.arrays.ArrowStringArray(values), index=index, copy=False)
        typed[name] = series(column, ~item.masked[position], index, rows if selection is not None else None)
    return Table(item.resource, pd.DataFrame(text, copy=False), pd.DataFrame(typed, copy=False))
