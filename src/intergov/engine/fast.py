"""The fast Table Schema engine: pyarrow and numpy, with frictionless-py's findings.

Each CSV file's bytes are laid out into records and checked by
:func:`intergov.engine.text.check`, then read once into columns of text
(:mod:`intergov.engine.fast_read`), a file per core. Each field is parsed
column by column (:mod:`intergov.engine.fast_types`) and its constraints
checked (:mod:`intergov.engine.fast_constraints`), keys are compared as
integer codes (:mod:`intergov.engine.fast_keys`), and what is
wrong is described as frictionless-py would describe it, then translated into
findings by the very code the reference engine uses
(:mod:`intergov.engine.translate`).

What frictionless-py reports, this engine reports, and nothing else
(``tests/test_engine_parity.py`` proves it on generated and mutated packages).
Where the two differ on purpose:

- The CSV dialect is the one the resource declares (its Table Dialect and
  encoding; the defaults otherwise: comma, double quote, header on line 1,
  UTF-8). frictionless-py guesses what is not declared from the first 100 lines
  (``csv.Sniffer`` for delimiter and quoting, row widths for the header
  row); on a file where it guesses otherwise, it reports what follows from
  the wrong guess, and this engine does not. A file in the default dialect
  is read by pyarrow; one in another is read by Python's ``csv`` module (as
  frictionless-py reads it), so that comment rows, header rows and physical lines are exact.
- A ``pattern`` matches the whole value (:mod:`intergov.engine.patterns`);
  frictionless-py's ``^pattern$`` also accepts a final line break. Both
  intergov engines read it so.
- ``uniqueKeys`` are checked; frictionless-py 5 ignores them. Both intergov
  engines check them the same way, on the typed frame.
- Findings point at physical lines, not record numbers, and are a set: a
  finding frictionless-py would repeat is reported once (as the reference
  engine reports it).
- ``frictionless-error`` (frictionless-py failing on the package as a whole)
  has no counterpart here.

>>> from intergov.package import load
>>> pkg, _ = load("datapackage/datapackage.json")  # doctest: +SKIP
>>> run(pkg).tables["sources"].typed.dtypes["published_on"]  # doctest: +SKIP
dtype('<M8[s]')
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from intergov import schema as ts
from intergov.engine import EngineResult, Table, text, translate
from intergov.engine import fast_keys as keys
from intergov.engine.fast_cells import cell_reader
from intergov.engine.fast_constraints import check
from intergov.engine.fast_read import Records, read, read_text
from intergov.engine.fast_types import Column, cast, series
from intergov.engine.translate import Error
from intergov.findings import Finding
from intergov.lines import Dialect
from intergov.messages import unique_key_finding
from intergov.package import Package, Resource

if TYPE_CHECKING:  # imported by run() while the files are read
    import pandas as pd

#: Tables at least this long parse their columns in parallel threads.
_PARALLEL_ROWS = 50_000


@dataclass
class Checked:
    """One resource after parsing: its records, expected fields and parsed columns."""

    resource: Resource
    records: Records
    fields: list[Mapping[str, Any]]
    columns: list[Column]
    blank: np.ndarray
    errors: list[Error] = field(default_factory=list)
    masked: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))

    def position(self, name: str) -> int | None:
        """The expected position of schema field ``name``, if the file has it."""
        for i, f in enumerate(self.fields[: len(ts.fields(self.resource.schema))]):
            if f["name"] == name:
                return i
        return None


def run(package: Package) -> EngineResult:
    """Validate ``package`` with pyarrow and numpy; return findings and typed tables."""
    with _JEMALLOC:
        return _run(package)


def _run(package: Package) -> EngineResult:
    result = EngineResult()
    by_size = sorted(map(translate.declared, package.resources), key=lambda r: -r.file.stat().st_size)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        # The largest file first, while the others wait: its transient copies come and go before the
        # other tables are held. It is read into columns of text on a thread (pyarrow and numpy let go
        # of the GIL) while this one imports pandas, which only the frames need; then its columns are
        # parsed a column per core. Then a file per core.
        largest = pool.submit(_read, by_size[0]) if by_size else None
        import pandas  # noqa: F401

        done = [_parse(*largest.result())] if largest else []
        done += pool.map(lambda resource: _parse(*_read(resource)), by_size[1:])
    checked: dict[str, Checked] = {}
    for resource, found, item in done:
        result.findings.extend(found)
        if item is not None:
            checked[resource.name] = item
    release_memory()
    largest_first = sorted(checked.values(), key=lambda item: -len(item.blank))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each table marks its own cells only
        list(pool.map(lambda item: _keys(item, checked), largest_first))
        finished = dict(pool.map(_finish, largest_first))
    for resource in package.resources:
        if resource.name in finished:
            table, found = finished[resource.name]
            result.findings.extend(found)
            result.tables[resource.name] = table
    return result


def _finish(item: Checked) -> tuple[str, tuple[Table, list[Finding]]]:
    """The resource's name, its frames, and its findings once its keys are checked."""
    lines = item.records.lines
    findings, _, _ = translate.findings(item.resource, item.errors, lines, header_line=lines[0] if len(lines) else 1)
    table, found = _table(item)
    item.columns.clear()  # the frames hold what is needed of them; the rest can go now
    release_memory()
    return item.resource.name, (table, findings + found)


class _Jemalloc:
    """Allocate from jemalloc while the engine runs, where pyarrow has it and the user chose no pool.

    pyarrow's default pool (mimalloc in its Linux wheels) pays for the pages of
    a large table on first touch, again after each :func:`release_memory`;
    jemalloc reuses them. Measured at 1M rows: the engine takes about 0.1 s
    less, with the same peak memory. The default pool is process-wide, so runs
    that overlap (in threads) share the switch: the first one in makes it, the
    last one out puts back the pool in effect before. Arrays keep the pool they
    came from.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs = 0
        self.before: pa.MemoryPool | None = None

    def __enter__(self) -> None:
        with self.lock:
            if not self.runs:
                self.before = pa.default_memory_pool()
                if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
                    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc
                        pa.set_memory_pool(pa.jemalloc_memory_pool())
            self.runs += 1

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.runs -= 1
            if not self.runs and self.before is not None:
                pa.set_memory_pool(self.before)


_JEMALLOC = _Jemalloc()


def release_memory() -> None:
    """Give back to the system the memory freed since: pyarrow's pool, and glibc's heap where there is one.

    Parsing a large file frees many temporaries; without this the process
    keeps their pages, and its peak grows with every table.
    """
    pa.default_memory_pool().release_unused()
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@cache
def _libc():
    import ctypes

    try:
        return ctypes.CDLL(None)
    except OSError:  # no C library to ask (not a POSIX system)
        return None


# Cells


def _read(resource: Resource) -> tuple[Resource, list[Finding], Records | None]:
    """Check one file's text; its records as columns of text if it is usable (``None`` if not)."""
    data = resource.file.read_bytes()
    dialect = Dialect.of(resource.descriptor)
    width = len(ts.fields(resource.schema))
    if not dialect.plain:
        decoded, found = text.decode(data, resource.display, dialect)
        return resource, found, None if decoded is None else read_text(decoded, width, dialect)
    laid_out = text.layout(data)
    usable, found = text.check(data, resource.display, laid_out, dialect)
    if not usable:
        return resource, found, None
    records = read(data, width, laid_out)
    del data, laid_out  # the columns of text hold what is needed of the file
    release_memory()
    return resource, found, records


def _parse(resource: Resource, found: list[Finding], records: Records | None):
    """Parse and check the records read by :func:`_read` (``None`` for an unusable file)."""
    return resource, found, None if records is None else _check(resource, records)


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
    taken: set[str] = set()
    for i, label in enumerate(labels):
        name = fields[i]["name"] if i < len(fields) else label
        unique, suffix = name, 2
        while unique in taken:
            unique, suffix = f"{name}{suffix}", suffix + 1
        names.append(unique)
        taken.add(unique)
    return [fields[i] if i < len(fields) else {"name": names[i], "type": "any"} for i in range(len(labels))]


def _check(resource: Resource, records: Records) -> Checked:
    """Parse every column; describe header, structure, type and constraint errors."""
    schema = resource.schema
    fields = expected_fields(schema, records.labels)
    declared = len(ts.fields(schema))
    jobs = [
        (records.columns[i], f, ts.missing_values(schema, f) if i < declared else ("",)) for i, f in enumerate(fields)
    ]
    if len(records.numbers) >= _PARALLEL_ROWS:  # pyarrow and numpy let go of the GIL: one column per core
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            columns = list(pool.map(lambda job: check(cast(*job), job[2]), jobs))
    else:
        columns = [check(cast(*job), job[2]) for job in jobs]
    n = len(records.numbers)
    blank = np.ones(n, bool)
    for column in columns:
        blank &= column.missing
    item = Checked(resource, records, fields, columns, blank)
    case = Dialect.of(resource.descriptor).case_sensitive_header
    item.errors.extend(_header_errors(records.labels, ts.fields(schema), case_sensitive=case))
    item.errors.extend(_row_errors(item))
    item.masked = np.zeros((len(columns), len(blank)), bool)
    for position, column in enumerate(columns):
        item.masked[position] = column.invalid
        column.errors.clear()  # described in item.errors; the masks are not needed any more
    return item


def _header_errors(labels: list[str], fields: list[Mapping[str, Any]], *, case_sensitive: bool = True) -> list[Error]:
    """Extra, missing, blank, duplicate and incorrect labels, as frictionless-py's ``Header``.

    Without ``case_sensitive`` (``caseSensitiveHeader: false``), a label matches its field's name in any case.
    """
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
    positions: dict[str, list[str]] = {}  # each label's positions so far
    for number, label in enumerate(labels, start=1):
        positions.setdefault(label, []).append(str(number))
    for number, (f, label) in enumerate(zip(fields, labels, strict=False), start=1):
        if not label:
            errors.append(Error("blank-label", field_number=number, field_name=f["name"], label=""))
            continue
        earlier = [p for p in positions[label] if int(p) < number]
        if earlier:
            note = f'at position "{", ".join(earlier)}"'
            errors.append(Error("duplicate-label", field_number=number, field_name=f["name"], note=note, label=label))
        elif label != f["name"] and (case_sensitive or label.lower() != f["name"].lower()):
            errors.append(Error("incorrect-label", field_number=number, field_name=f["name"], label=label))
    return errors


def _row_errors(item: Checked) -> list[Error]:
    """Blank rows, rows of the wrong width, type and constraint errors, in frictionless-py's terms.

    A row of the wrong width is one error (:func:`intergov.engine.translate.row_width`),
    and its cells are not checked: cells that may have shifted would only repeat it.
    """
    records, blank = item.records, item.blank
    numbers = records.numbers
    errors = [Error("blank-row", row_number=int(numbers[r])) for r in np.flatnonzero(blank)]
    width = records.width
    ragged = (records.counts != width) & ~blank
    for row in np.flatnonzero(ragged):
        count, extra = int(records.counts[row]), records.extras.get(int(row))
        errors.append(translate.row_width(int(numbers[row]), count, width, header=bool(records.labels), extra=extra))
    checked = ~blank & ~ragged
    for position, column in enumerate(item.columns):
        name = item.fields[position]["name"]
        constraints = column.field.get("constraints", {})
        problems = [("type-error", "", column.type_error)]
        problems += [
            ("constraint-error", f'constraint "{c}" is "{constraints[c]}"', m) for c, m in column.errors.items()
        ]
        for kind, note, mask in problems:
            rows = np.flatnonzero(mask & checked)
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
    masked = item.masked
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
        flagged, previous = keys.duplicates(
            key.codes, numbers, skip_null=False, eligible=~key.all_null & ~key.unmatchable
        )
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
            cells = _cells(item, row)
            values = ", ".join(cells[item.position(k)] for k in local)
            note = (
                f'for "{", ".join(local)}": values "{values}" not found in the lookup table '
                f'"{resource}" as "{", ".join(remote)}"'
            )
            item.errors.append(Error("foreign-key", int(numbers[row]), note=note, cells=cells))
        for k in local:
            masked[item.position(k)] |= broken


def unique_key_findings(item: Checked, rows: np.ndarray, lines: np.ndarray) -> list[Finding]:
    """Duplicates of each ``uniqueKeys`` entry among the table's ``rows`` (frictionless-py does not check them).

    As the reference engine compares them: typed values, a row with a missing
    or already reported key cell left out, each later duplicate reported with
    the line of the first; the duplicates' key cells are then masked.
    """
    path, names = item.resource.display, ts.field_names(item.resource.schema)
    findings, flagged_keys = [], []
    for key in ts.unique_keys(item.resource.schema):
        positions = [item.position(k) for k in key]
        if None in positions or len(rows) < 2:
            continue
        code = np.zeros(len(rows), np.int64)
        complete = np.ones(len(rows), bool)
        for position in positions:
            values, valid = _typed_codes(item.columns[position], rows)
            complete &= valid & ~item.masked[position][rows]
            code = keys.fold([code, values])
        eligible = np.flatnonzero(complete)
        order = eligible[np.lexsort((eligible, code[eligible]))]
        starts = np.r_[True, code[order[1:]] != code[order[:-1]]] if len(order) else np.zeros(0, bool)
        first = order[starts][np.cumsum(starts) - 1]
        for row, earliest in zip(order[~starts], first[~starts], strict=True):
            cells = _cells(item, rows[row])
            shown = ", ".join(cells[p] for p in positions)
            findings.append(unique_key_finding(path, names, key, int(lines[row]), shown, int(lines[earliest])))
        flagged_keys.append((positions, rows[order[~starts]]))
    for positions, flagged in flagged_keys:
        for position in positions:
            item.masked[position][flagged] = True
    return findings


def _typed_codes(column: Column, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the typed values at ``rows`` (equal values, equal codes), and which are present."""
    whole = len(rows) == len(column.typed)  # every row kept: no copy
    values = column.typed if whole else column.typed.take(pa.array(rows, pa.int64()))
    valid = np.asarray(values.is_valid().to_numpy(), bool)
    if pa.types.is_large_string(values.type):
        if column.dictionary is not None:  # the text is the typed value: its dictionary codes will do
            return np.where(valid, column.dictionary[1][rows], keys.NULL), valid
        return keys.string_codes(values), valid
    if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
        values = values.cast(pa.int64() if pa.types.is_timestamp(values.type) else pa.int32())
    numbers = pc.fill_null(values, False if pa.types.is_boolean(values.type) else 0).to_numpy(zero_copy_only=False)
    if pa.types.is_floating(values.type):
        valid &= ~np.isnan(numbers)  # NaN is missing in the typed frame (pandas Float64)
    _, codes = np.unique(numbers, return_inverse=True)
    return np.where(valid, codes, keys.NULL), valid


def _part(item: Checked, name: str) -> keys.Part:
    position = item.position(name)
    n = len(item.records.numbers)
    if position is None:
        return keys.part(None, n)
    column = item.columns[position]
    missing = ts.missing_values(item.resource.schema, column.field)
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


def _table(item: Checked) -> tuple[Table, list[Finding]]:
    """The text and typed frames the rules layer reads, as the reference engine builds them; uniqueKeys findings.

    Only records with one cell per schema field and no structure error are
    kept (so none when the header has another number of columns); the typed
    cells this layer reported are null.
    """
    import pandas as pd

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
        return Table(item.resource, empty, ts.cast_frame(empty, item.resource.schema)), []
    lines = records.lines.array[records.numbers[rows] - 1]
    found = unique_key_findings(item, rows, lines)
    index = pd.Index(lines, name="line")
    selection = None if len(rows) == len(keep) else pa.array(rows, pa.int64())
    text: dict[str, pd.Series] = {}
    typed: dict[str, pd.Series] = {}
    for position, name in enumerate(names):
        column = item.columns[position]
        values = column.text if selection is None else column.text.take(selection)
        text[name] = pd.Series(pd.arrays.ArrowStringArray(values), index=index, copy=False)
        typed[name] = series(column, ~item.masked[position], index, rows if selection is not None else None)
    return Table(item.resource, pd.DataFrame(text, copy=False), pd.DataFrame(typed, copy=False)), found
