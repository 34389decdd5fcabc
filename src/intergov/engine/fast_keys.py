"""Vectorized keys: primary key, unique fields, uniqueKeys and foreign keys.

frictionless-py compares typed values (``Decimal("1.0") == 1``, ``True ==
1``, a NaN equals nothing, two missing cells are equal). Here each key field
becomes integer codes that are equal exactly when frictionless-py's values
are: strings, integers, exact numbers and dates are factorized by pyarrow and
numpy; every other type (and numbers with more digits than a double keeps)
by frictionless-py's own values, once per distinct cell. A composite key is
the codes of its fields folded into one code per row.

>>> import pyarrow as pa
>>> from intergov.engine.fast_types import cast
>>> column = cast(pa.array(["a", "b", "a", ""]), {"name": "k"}, ("",))
>>> flagged, previous = duplicates(codes([[part(column)]])[0].codes, np.arange(2, 6), skip_null=True)
>>> flagged.tolist(), previous[flagged].tolist()
([False, False, True, False], [2])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from intergov.engine.fast_cells import cell_reader
from intergov.engine.fast_types import Column, encode, mask_of, repetitive

#: Float64 holds every integer up to 2**53 exactly.
_EXACT_INTEGER = 2**53

#: Code of a missing value (``None``); codes of values are 0, 1, 2, ...
NULL = -1


@dataclass
class Part:
    """One key field of one table: its values in a comparable family.

    ``family`` is ``str``, ``int``, ``float``, ``date`` (native values in
    ``values``) or ``obj`` (``column`` is read cell by cell by frictionless-py);
    ``values`` is ``None`` for a field the table does not have (all missing).
    """

    family: str
    values: pa.ChunkedArray | np.ndarray | None
    length: int
    column: Column | None = None
    missing_values: tuple[str, ...] = ("",)


def part(column: Column | None, length: int = 0, missing: Sequence[str] = ("",)) -> Part:
    """The key part of ``column`` (``None``: a field the table lacks, ``length`` missing cells)."""
    if column is None:
        return Part("none", None, length)
    n = len(column.text)
    kind = column.kind
    valid = ~(column.missing | column.type_error)
    if kind == "string" or kind == "any":
        return Part("str", column.typed, n, column, tuple(missing))
    if kind in ("integer", "year", "boolean") and column.exact:
        values = pc.fill_null(column.typed.cast(pa.int64()), 0).to_numpy()
        return Part("int", np.where(valid, values, 0), n, column, tuple(missing))
    if kind == "number" and column.exact:
        return Part("float", pc.fill_null(column.typed, 0.0).to_numpy(), n, column, tuple(missing))
    if kind == "date":
        return Part("date", pc.fill_null(column.typed.cast(pa.int32()), 0).to_numpy(), n, column, tuple(missing))
    return Part("obj", None, n, column, tuple(missing))


def _valid(p: Part) -> np.ndarray:
    if p.column is None:
        return np.zeros(p.length, bool)
    return ~(p.column.missing | p.column.type_error)


def _objects(p: Part) -> list:
    """frictionless-py's value of each cell (``None`` when missing or not of the type)."""
    if p.column is None:
        return [None] * p.length
    reader = cell_reader(p.column.field, p.missing_values)
    cache: dict[str, object] = {}
    out = []
    for text, ok in zip(p.column.text.to_pylist(), _valid(p), strict=True):
        if not ok:
            out.append(None)
            continue
        if text not in cache:
            cache[text] = reader(text)[0]
        out.append(cache[text])
    return out


def _common(parts: Sequence[Part]) -> str:
    """The family all ``parts`` can be compared in."""
    families = {p.family for p in parts} - {"none"}
    if len(families) <= 1:
        return families.pop() if families else "none"
    if families == {"int", "float"}:
        ints = [p.values[_valid(p)] for p in parts if p.family == "int"]
        if all(not len(v) or np.abs(v).max() <= _EXACT_INTEGER for v in ints):
            return "float"
    return "obj"


def _factorize(parts: Sequence[Part]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Codes of one key field across tables, and the cells that equal nothing (NaN)."""
    family = _common(parts)
    sizes = [p.length for p in parts]
    unmatchable = [np.zeros(n, bool) for n in sizes]
    if family == "none":
        return [np.full(n, NULL, np.int64) for n in sizes], unmatchable
    if family == "str":
        chunks = []
        for p in parts:
            chunks.extend(p.values.chunks if p.values is not None else [pa.nulls(p.length, pa.large_string())])
        flat = string_codes(pa.chunked_array(chunks, pa.large_string()))
    elif family == "obj":
        seen: dict[object, int] = {}
        flat_list, nan = [], []
        for p in parts:
            for value in _objects(p):
                if value is None:
                    flat_list.append(NULL)
                    nan.append(False)
                elif value.is_nan() if isinstance(value, Decimal) else value != value:  # NaN (sNaN too): equals nothing
                    flat_list.append(NULL)
                    nan.append(True)
                else:
                    flat_list.append(seen.setdefault(value, len(seen)))
                    nan.append(False)
        flat = np.array(flat_list, np.int64)
        unmatchable = np.split(np.array(nan, bool), np.cumsum(sizes)[:-1])
    else:
        dtype = np.float64 if family == "float" else np.int64
        values = np.concatenate(
            [np.zeros(p.length, dtype) if p.values is None else p.values.astype(dtype) for p in parts]
        )
        valid = np.concatenate([_valid(p) for p in parts])
        if family == "float":
            nan = np.isnan(values) & valid
            unmatchable = np.split(nan, np.cumsum(sizes)[:-1])
            valid &= ~nan
        _, inverse = np.unique(values, return_inverse=True)
        flat = np.where(valid, inverse, NULL)
    return np.split(flat, np.cumsum(sizes)[:-1]), unmatchable


@dataclass
class Keys:
    """One table's key: a code per row, and which rows have no value or can equal nothing."""

    codes: np.ndarray
    all_null: np.ndarray
    unmatchable: np.ndarray


def string_codes(values: pa.ChunkedArray) -> np.ndarray:
    """A code per string (equal strings, equal codes; :data:`NULL` for null).

    Columns that repeat a few values (codes, references) are hashed; columns
    of mostly distinct values (identifiers) are ranked, which is faster there.
    """
    if repetitive(values):
        return encode(values)[1].astype(np.int64)  # null is -1: NULL
    ranks = pc.rank(values, tiebreaker="dense").to_numpy(zero_copy_only=False).astype(np.int64) - 1
    return np.where(np.asarray(pc.is_valid(values).to_numpy(), bool), ranks, NULL)


def fold(codes: Sequence[np.ndarray]) -> np.ndarray:
    """One code per row for several code columns (codes >= -1): equal tuples, equal codes."""
    combined = np.zeros(len(codes[0]), np.int64)
    span = 1
    for column in codes:
        width = int(column.max(initial=NULL)) + 2
        if span * width >= 2**62:
            _, combined = np.unique(combined, return_inverse=True)
            span = int(combined.max(initial=0)) + 1
        combined = combined * width + (column + 1)
        span *= width
    return combined.astype(np.int64)


def codes(fields: Sequence[Sequence[Part]]) -> list[Keys]:
    """Fold the key fields of one or more tables into one code per row.

    ``fields[i]`` holds the parts of key field ``i`` for each table (one table
    for a primary key, two for a foreign key: local, then referenced).
    """
    tables = len(fields[0])
    combined: list[np.ndarray] = []
    all_null = [np.ones(p.length, bool) for p in fields[0]]
    unmatchable = [np.zeros(p.length, bool) for p in fields[0]]
    for parts in fields:
        field_codes, nan = _factorize(parts)
        for t in range(tables):
            null = (field_codes[t] == NULL) & ~nan[t]
            all_null[t] &= null
            unmatchable[t] |= nan[t]
        combined.append(np.concatenate(field_codes))
    folded = fold(combined) if len(combined) > 1 else combined[0]
    split = np.split(folded, np.cumsum([p.length for p in fields[0]])[:-1])
    return [Keys(*values) for values in zip(split, all_null, unmatchable, strict=True)]


def _repeats(values: np.ndarray) -> bool:
    """Whether some value occurs twice (counted when the values are dense, else sorted)."""
    low, high = int(values.min()), int(values.max())
    if high - low < 4 * len(values):
        return bool(np.bincount(values - low).max() > 1)
    ordered = np.sort(values)
    return bool((ordered[1:] == ordered[:-1]).any())


def duplicates(key: np.ndarray, records: np.ndarray, *, skip_null: bool, eligible: np.ndarray | None = None):
    """Rows whose key an earlier row (in record order) already has, and that row's record number.

    With ``skip_null`` a missing key is never a duplicate (a unique field);
    ``eligible`` leaves rows out altogether (keys that equal nothing).
    """
    n = len(key)
    ok = np.ones(n, bool) if eligible is None else eligible.copy()
    if skip_null:
        ok &= key != NULL
    rows = np.flatnonzero(ok)
    flagged = np.zeros(n, bool)
    previous = np.zeros(n, np.int64)
    if not len(rows) or not _repeats(key[rows]):
        return flagged, previous
    order = rows[np.lexsort((records[rows], key[rows]))]
    same = key[order[1:]] == key[order[:-1]]
    flagged[order[1:][same]] = True
    previous[order[1:][same]] = records[order[:-1][same]]
    return flagged, previous


def broken_references(pairs: Sequence[Sequence[Part]]) -> np.ndarray:
    """Local rows whose foreign key no referenced row has (``pairs``: [local, remote] per key field).

    A local key with every field missing refers to nothing; a referenced key
    with every field missing is not there to refer to.
    """
    if len(pairs) == 1 and {p.family for p in pairs[0]} == {"str"}:
        local, remote = pairs[0]
        value_set = pc.unique(pc.drop_null(remote.values))
        found = local.column.per_cell(lambda texts: mask_of(pc.is_in(texts, value_set=value_set)))
        return _valid(local) & ~found
    here, there = codes(pairs)
    eligible = ~there.all_null & ~there.unmatchable
    return ~here.all_null & (here.unmatchable | ~np.isin(here.codes, there.codes[eligible]))
