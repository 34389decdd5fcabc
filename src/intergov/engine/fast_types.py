"""Vectorized Table Schema types and constraints, one column at a time.

A column of text cells (a pyarrow string array, null where a record has no
cell) becomes a :class:`Column`: the typed values, which cells are missing,
which fail their type, and which break each constraint.

Each type has a *canonical form*: a strict ASCII pattern (``-?[0-9]{1,18}``
for integers, ``YYYY-MM-DD`` for dates...) that frictionless-py accepts with
the value that pyarrow and numpy compute for it. Cells in that form are
parsed and checked with pyarrow compute and numpy. Every other present cell
(the *residue*: type errors, but also forms frictionless-py accepts, such as
``" 7"`` or ``1_000`` for integers) goes through frictionless-py's own cell
reader (:mod:`intergov.engine.fast_cells`), once per distinct value, so that
its verdict and value are the authority. The residue is small on curated data, so the column stays fast and
the findings stay the same.

>>> import pyarrow as pa
>>> column = cast(pa.array(["19", "", "x", " 7"]), {"name": "n", "type": "integer"}, ("",))
>>> column.typed.to_pylist(), column.missing.tolist(), column.type_error.tolist()
([19, None, None, 7], [False, True, False, False], [False, False, True, False])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from intergov import schema as ts
from intergov.engine.fast_cells import EXACT_DIGITS, Field, read_residue

if TYPE_CHECKING:  # imported where a Series is made
    import pandas as pd

#: Canonical forms: frictionless-py accepts every cell matching them, with the value parsed here.
_INTEGER = r"^-?[0-9]{1,18}$"
_NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
_DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_DATETIME = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
_YEAR = r"^[0-9]{4}$"
_YEARMONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_URI = r"^[a-zA-Z][a-zA-Z0-9+.-]*:"

#: Cells sampled to tell whether a column repeats its values (then each value is handled once).
_SAMPLE = 2000

_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@dataclass
class Column:
    """One field's cells after parsing: typed values and what is wrong with each cell.

    ``typed`` is a pyarrow array (int64, float64, bool, date32,
    timestamp[us, UTC], or the text itself for types kept as text), null where
    the cell is missing or fails its type. ``canonical`` are the cells in
    canonical form (parsed here; the others by frictionless-py). ``errors``
    maps each broken constraint to the cells that break it. ``exact`` is false when some valid
    value does not fit ``typed`` exactly (an integer beyond int64, a number
    with more digits than a double keeps), so keys must compare Python values.
    """

    field: Field
    text: pa.ChunkedArray
    typed: pa.ChunkedArray
    missing: np.ndarray
    type_error: np.ndarray
    canonical: np.ndarray
    errors: dict[str, np.ndarray] = field(default_factory=dict)
    exact: bool = True
    _encoded: tuple[pa.Array, np.ndarray] | bool | None = field(default=False, repr=False)

    @property
    def kind(self) -> str:
        """The field's Table Schema type."""
        return self.field.get("type", "string")

    @property
    def dictionary(self) -> tuple[pa.Array, np.ndarray] | None:
        """The distinct texts and each cell's index into them (-1: no cell), when the column repeats few values.

        Encoded once, for every check that can then test each distinct value
        once (patterns, lengths, enums, references) and for key codes; ``None``
        for a column of mostly distinct values, where that would not pay.

        >>> column = cast(pa.array(["AZN", "USD"] * 10_000), {"name": "c"}, ("",))
        >>> values, indices = column.dictionary
        >>> values.to_pylist(), indices[:3].tolist()
        (['AZN', 'USD'], [0, 1, 0])
        """
        if self._encoded is False:  # not asked yet (not a functools.cached_property: on 3.11 it locks per class)
            found = encode(self.text) if repetitive(self.text) else None
            self._encoded = found if found is not None and len(found[0]) else None  # None: no cell has text
        return self._encoded

    def per_cell(self, test: Callable[[pa.ChunkedArray], np.ndarray]) -> np.ndarray:
        """``test`` (texts in, one result per text out) of every cell, run once per distinct text when it can.

        A cell without text gets an arbitrary result: callers test present cells only.

        >>> column = cast(pa.array(["AZN", "USD"] * 10_000), {"name": "c"}, ("",))
        >>> column.per_cell(lambda texts: pc.utf8_length(texts).to_numpy())[:2].tolist()
        [3, 3]
        """
        if self.dictionary is None:
            return test(self.text)
        values, indices = self.dictionary
        return test(pa.chunked_array([values]))[indices]

    @property
    def invalid(self) -> np.ndarray:
        """Cells with a type error or a broken constraint (the cells this layer reports)."""
        bad = self.type_error.copy()
        for mask in self.errors.values():
            bad |= mask
        return bad


def cast(text: pa.Array | pa.ChunkedArray, field: Field, missing: Sequence[str]) -> Column:
    """Parse ``text`` as ``field`` (missing values ``missing``).

    Constraints are checked by :func:`intergov.engine.fast_constraints.check`;
    for the residue, frictionless-py's reader has already noted them.

    >>> cast(pa.array(["2022-08-24", "2022-8-24", "24.08.2022"]), {"name": "d", "type": "date"}, ("",)).type_error
    array([False, False,  True])
    """
    text = chunked(text)
    if text.type != pa.large_string():
        text = text.cast(pa.large_string())
    n = len(text)
    if tuple(missing) == ("",):  # the usual case: an empty cell (read from the offsets alone)
        missing_mask = pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False) == 0
    else:
        missing_mask = mask_of(pc.is_in(text, value_set=pa.array(list(missing), pa.large_string())))
    if text.null_count:
        missing_mask |= mask_of(pc.is_null(text))
    present = ~missing_mask
    kind = field.get("type", "string")
    parser = _PARSERS.get(kind, _parse_other)
    fast, typed = parser(text, field, present)
    residue = present & ~fast
    column = Column(field, text, typed, missing_mask, np.zeros(n, bool), fast)
    if residue.any():
        read_residue(column, residue, missing)
    if pa.types.is_large_string(column.typed.type):  # kept as text: every valid cell is its own typed value
        column.typed = _with_validity(text, present & ~column.type_error)
    return column


# Parsers: (text, field, present) -> (cells in canonical form, typed values for those cells)


def _parse_string(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    fmt = field.get("format", "default")
    if fmt == "uri":
        fast = present & mask_of(pc.match_substring_regex(text, _URI))
    elif fmt in ("default", None):
        fast = present
    else:
        fast = np.zeros(len(text), bool)
    return fast, _with_validity(text, fast)


def _parse_integer(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    if field.get("bareNumber", True) is False:
        return _nothing(text, pa.int64())
    fast = present & mask_of(pc.match_substring_regex(text, _INTEGER))
    return fast, _cast_where(text, fast, pa.int64(), "0")


def _parse_number(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    if field.get("bareNumber", True) is False:
        return _nothing(text, pa.float64())
    cleaned = text
    group = field.get("groupChar", "")
    if group:
        cleaned = pc.replace_substring(cleaned, group, "")
    decimal = field.get("decimalChar", ".")
    if decimal != ".":
        has_dot = mask_of(pc.match_substring(cleaned, "."))
        cleaned = pc.replace_substring(cleaned, decimal, ".")
    else:
        has_dot = np.zeros(len(text), bool)
    fast = present & ~has_dot & mask_of(pc.match_substring_regex(cleaned, _NUMBER))
    digits = pc.binary_length(cleaned).to_numpy(zero_copy_only=False) - mask_of(pc.match_substring(cleaned, "."))
    fast &= digits - mask_of(pc.starts_with(cleaned, "-")) <= EXACT_DIGITS
    typed = _cast_where(cleaned, fast, pa.float64(), "0")
    typed = pc.add(typed, 0.0)  # -0 is 0, as Decimal("-0") == 0
    return fast, typed


def _parse_boolean(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    mapping = _boolean_mapping(field)
    trues = [k for k, v in mapping.items() if v]
    falses = [k for k, v in mapping.items() if not v]
    is_true = present & mask_of(pc.is_in(text, value_set=pa.array(trues, pa.large_string())))
    is_false = present & mask_of(pc.is_in(text, value_set=pa.array(falses, pa.large_string())))
    fast = is_true | is_false
    return fast, chunked(pa.array(is_true, mask=~fast))


def _parse_date(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    if field.get("format", "default") != "default":
        return _nothing(text, pa.date32())
    fast = present & mask_of(pc.match_substring_regex(text, _DATE))
    year, month, day = (_slice_int(text, fast, a, b) for a, b in ((0, 4), (5, 7), (8, 10)))
    fast &= (year >= 1) & (day <= _days_in_month(year, month))
    days = _days_from_civil(year, month, day)
    return fast, chunked(pa.array(days.astype(np.int32), mask=~fast).cast(pa.date32()))


def _parse_datetime(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    if field.get("format", "default") != "default":
        return _nothing(text, pa.timestamp("us", tz="UTC"))
    fast = present & mask_of(pc.match_substring_regex(text, _DATETIME))
    parts = [_slice_int(text, fast, a, b) for a, b in ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))]
    year, month, day, hour, minute, second = parts
    fast &= (year >= 1) & (day <= _days_in_month(year, month))
    tail = pc.utf8_slice_codeunits(text, 19, 20)
    behind = mask_of(pc.equal(tail, "-"))
    shifted = fast & (behind | mask_of(pc.equal(tail, "+")))
    offset = (_slice_int(text, shifted, 20, 22) * 60 + _slice_int(text, shifted, 23, 25)) * np.where(behind, -1, 1)
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + (minute - offset) * 60 + second
    typed = pa.array(seconds * 1_000_000, mask=~fast).cast(pa.timestamp("us", tz="UTC"))
    return fast, chunked(typed)


def _parse_as_text(pattern: str) -> Callable[[pa.ChunkedArray, Field, np.ndarray], tuple]:
    """A parser for types whose typed value stays the text (time, yearmonth)."""

    def parse(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
        if field.get("format", "default") != "default":
            return np.zeros(len(text), bool), _with_validity(text, present)
        fast = present & mask_of(pc.match_substring_regex(text, pattern))
        return fast, _with_validity(text, present)

    return parse


def _parse_year(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    fast = present & mask_of(pc.match_substring_regex(text, _YEAR))
    return fast, _cast_where(text, fast, pa.int64(), "0")


def _parse_other(text: pa.ChunkedArray, field: Field, present: np.ndarray) -> tuple[np.ndarray, pa.ChunkedArray]:
    """Types kept as text and read by frictionless-py cell by cell (any, object, array, ...)."""
    return np.zeros(len(text), bool), _with_validity(text, present)


_PARSERS = {
    "string": _parse_string,
    "integer": _parse_integer,
    "number": _parse_number,
    "boolean": _parse_boolean,
    "date": _parse_date,
    "datetime": _parse_datetime,
    "time": _parse_as_text(_TIME),
    "year": _parse_year,
    "yearmonth": _parse_as_text(_YEARMONTH),
    "any": lambda text, field, present: (present, _with_validity(text, present)),
}


def series(column: Column, valid: np.ndarray, index: pd.Index, rows: np.ndarray | None = None) -> pd.Series:
    """The typed values of ``column`` (at ``rows``, all by default) as a pandas Series.

    The dtype is :func:`intergov.schema.pandas_dtype`; cells not ``valid`` are
    null. Text shares the character data of the pyarrow array.

    >>> import pandas as pd
    >>> column = cast(pa.array(["2022-08-24", "x"]), {"name": "d", "type": "date"}, ("",))
    >>> series(column, np.array([True, True]), pd.RangeIndex(2)).tolist()
    [Timestamp('2022-08-24 00:00:00'), NaT]
    """
    import pandas as pd

    values = column.typed if rows is None else column.typed.take(pa.array(rows, pa.int64()))
    if rows is not None:
        valid = valid[rows]
    dtype = ts.pandas_dtype(column.field)
    if pa.types.is_large_string(values.type):
        chunks, start = [], 0
        for chunk in values.chunks:
            stop = start + len(chunk)
            chunks.append(with_nulls(chunk, valid[start:stop] & mask_of(pc.is_valid(chunk))))
            start = stop
        array = pd.arrays.ArrowStringArray(pa.chunked_array(chunks, pa.large_string()))
        return pd.Series(array, index=index, copy=False)
    flat = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    null = ~valid | ~mask_of(pc.is_valid(flat))
    if dtype == "datetime64[s]":
        days = pc.fill_null(flat.cast(pa.int32()), 0).to_numpy().astype("datetime64[D]").astype("datetime64[s]")
        days[null] = np.datetime64("NaT")
        return pd.Series(days, index=index, copy=False)
    if dtype.startswith("datetime64[us"):
        micro = pc.fill_null(flat.cast(pa.int64()), 0).to_numpy().astype("datetime64[us]")
        micro[null] = np.datetime64("NaT")
        return pd.Series(micro, index=index, copy=False).dt.tz_localize("UTC")
    data = np.require(pc.fill_null(flat, False if dtype == "boolean" else 0).to_numpy(zero_copy_only=False), None, "W")
    if dtype == "Float64":
        null |= np.isnan(data)  # NaN is missing in a typed frame, as pandas reads it
    masked = {"Int64": pd.arrays.IntegerArray, "Float64": pd.arrays.FloatingArray, "boolean": pd.arrays.BooleanArray}
    return pd.Series(masked[dtype](data, null), index=index, copy=False)


# Helpers


def repetitive(values: pa.ChunkedArray) -> bool:
    """Whether ``values`` hold far fewer distinct values than cells (estimated from a sample).

    In a sample of s cells from D distinct values, about s**2 / (2 D) cells
    repeat an earlier one: many repeats mean D is small next to the length.

    >>> repetitive(pa.chunked_array([pa.array(["AZN", "USD"] * 10_000)]))
    True
    """
    n = len(values)
    if n <= 4 * _SAMPLE:
        return False
    sample = values.take(pa.array(np.linspace(0, n - 1, _SAMPLE).astype(np.int64))).to_pylist()
    repeats = _SAMPLE - len(set(sample))
    return repeats > 8 * _SAMPLE**2 / n


def encode(values: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of ``values``, and each cell's index into them (-1 for null).

    >>> distinct, indices = encode(pa.chunked_array([["b", None], ["a", "b"]]))
    >>> distinct.to_pylist(), indices.tolist()
    (['b', 'a'], [0, -1, 1, 0])
    """
    encoded = pc.dictionary_encode(values).combine_chunks()
    return encoded.dictionary, pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)


def chunked(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])


def mask_of(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A pyarrow boolean array as numpy, nulls as False."""
    if mask.null_count:
        mask = pc.fill_null(mask, False)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _nothing(text: pa.ChunkedArray, kind: pa.DataType) -> tuple[np.ndarray, pa.ChunkedArray]:
    return np.zeros(len(text), bool), chunked(pa.nulls(len(text), kind))


def _cast_where(text: pa.ChunkedArray, fast: np.ndarray, kind: pa.DataType, filler: str) -> pa.ChunkedArray:
    """Cast the cells in canonical form to ``kind``; null elsewhere."""
    usable = pc.if_else(pa.array(fast), text, pa.scalar(filler, pa.large_string()))
    values = pc.cast(usable, kind).to_numpy(zero_copy_only=False) if len(text) else np.zeros(0)
    return chunked(pa.array(values, kind, mask=~fast))


def _slice_int(text: pa.ChunkedArray, fast: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The digits at ``[start, stop)`` of each canonical cell, as integers (0 elsewhere)."""
    if not fast.any():
        return np.zeros(len(text), np.int64)
    part = pc.utf8_slice_codeunits(text, start, stop)
    part = pc.if_else(pa.array(fast), part, pa.scalar("0", pa.large_string()))
    part = pc.if_else(pc.equal(part, ""), pa.scalar("0", pa.large_string()), part)
    return pc.cast(part, pa.int64()).to_numpy(zero_copy_only=False)


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (Howard Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _with_validity(text: pa.ChunkedArray, valid: np.ndarray) -> pa.ChunkedArray:
    """``text`` with nulls where not ``valid``, sharing the text's character data."""
    chunks, start = [], 0
    for chunk in text.chunks:
        stop = start + len(chunk)
        keep = valid[start:stop]
        if chunk.null_count:
            keep = keep & mask_of(pc.is_valid(chunk))
        chunks.append(with_nulls(chunk, keep))
        start = stop
    return pa.chunked_array(chunks, text.type)


def with_nulls(chunk: pa.Array, keep: np.ndarray) -> pa.Array:
    """A string ``chunk`` whose cells are null where ``keep`` is false; character data is shared.

    >>> with_nulls(pa.array(["a", "b"], pa.large_string()), np.array([True, False])).to_pylist()
    ['a', None]
    """
    if keep.all() and not chunk.null_count:
        return chunk
    if chunk.offset:
        return pc.if_else(pa.array(keep), chunk, pa.scalar(None, chunk.type))
    bitmap = pa.py_buffer(np.packbits(keep, bitorder="little").tobytes())
    _, offsets, data = chunk.buffers()
    return pa.Array.from_buffers(chunk.type, len(chunk), [bitmap, offsets, data], null_count=int((~keep).sum()))


@cache
def _boolean_mapping_cached(trues: tuple[str, ...], falses: tuple[str, ...]) -> dict[str, bool]:
    mapping = dict.fromkeys(trues, True)
    mapping.update(dict.fromkeys(falses, False))
    return mapping


def _boolean_mapping(field: Field) -> dict[str, bool]:
    """frictionless-py's mapping: false values win when a value is in both lists."""
    trues = tuple(field.get("trueValues", ("true", "True", "TRUE", "1")))
    falses = tuple(field.get("falseValues", ("false", "False", "FALSE", "0")))
    return _boolean_mapping_cached(trues, falses)
