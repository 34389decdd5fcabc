"""Table Schema constraints, vectorized, on the cells in canonical form.

:func:`intergov.engine.fast_types.cast` parses a column; :func:`check` then
tests each constraint of the field the way frictionless-py's cell reader
does (``Field.create_cell_reader``): ``required`` on missing cells, the
others on present cells of the right type. Cells in canonical form are
tested with pyarrow and numpy (lengths, RE2 patterns, set membership, bounds
compared as exact numbers); what only Python can tell is asked once per
distinct value: of Python's ``re`` for a pattern RE2 reads differently, of
frictionless-py's reader for a bound no double holds exactly or an enum of
dates and times. A pattern matches the whole value, in every engine
(:mod:`intergov.engine.patterns`). The residue's constraints were noted by
frictionless-py's reader already, during the cast.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from intergov.engine import patterns
from intergov.engine.fast_cells import SUPPORTED, cell_reader, distinct, exact_float, value_reader
from intergov.engine.fast_types import Column, mask_of

#: Regular-expression syntax that RE2 (pyarrow) reads as Python's ``re`` does, on ASCII text.
_PORTABLE_PATTERN = re.compile(r"(?:[^\\(\[{]|\\[dDwWsS.\\^$|?*+()\[\]{}/-]|\((?!\?)|\(\?:|\[(?![:=.\[])|\{\d)*")


def check(column: Column, missing: Sequence[str]) -> Column:
    """Record in ``column.errors`` the cells that break each of the field's constraints; return ``column``.

    >>> from intergov.engine.fast_types import cast
    >>> column = cast(pa.array(["AZE", "aze", ""]), {"name": "c", "constraints": {"pattern": "[A-Z]{3}"}}, ("",))
    >>> check(column, ("",)).errors["pattern"].tolist()
    [False, True, False]
    """
    fast = column.canonical
    constraints = column.field.get("constraints", {})
    supported = SUPPORTED.get(column.kind, ())
    if constraints.get("required") and "required" in supported:
        _add(column, "required", column.missing)
    scalar = []
    for name in supported:
        if name == "required" or constraints.get(name) is None:
            continue
        broken = _vectorized(column, fast, name, constraints[name], missing)
        if broken is None:
            scalar.append(name)
        elif broken.any():
            _add(column, name, broken)
    if scalar and fast.any():
        reader = cell_reader(column.field, missing)
        values, inverse = distinct(column.text, fast)
        notes = [reader(value)[1] or {} for value in values]
        for name in scalar:
            broken = np.array([name in n for n in notes], bool)
            if broken.any():
                mask = np.zeros(len(column.text), bool)
                mask[fast] = broken[inverse]
                _add(column, name, mask)
    return column


def _add(column: Column, name: str, mask: np.ndarray) -> None:
    if name in column.errors:
        column.errors[name] |= mask
    else:
        column.errors[name] = mask.copy()


def _vectorized(column: Column, fast: np.ndarray, name: str, bound: Any, missing: Sequence[str]) -> np.ndarray | None:
    """Cells in canonical form that break constraint ``name``; ``None`` when only Python can tell."""
    if name in ("minLength", "maxLength"):
        length = column.per_cell(lambda values: pc.utf8_length(values).to_numpy(zero_copy_only=False))
        return fast & (length < bound if name == "minLength" else length > bound)
    if name == "pattern":
        return fast & column.per_cell(lambda values: _pattern(values, bound))
    reader = value_reader(column.field)
    if name == "enum":
        return _enum(column, fast, [reader(v) for v in bound])
    values = _comparable(column, reader(bound))
    if values is None:
        return None
    data, limit = values
    compare = {"minimum": np.less, "maximum": np.greater, "exclusiveMinimum": np.less_equal}
    broken = compare.get(name, np.greater_equal)(data, limit)
    return fast & broken


def _comparable(column: Column, limit: Any) -> tuple[np.ndarray, Any] | None:
    """The column's canonical values and ``limit`` as numpy-comparable numbers, if exact."""
    kind = column.kind
    if limit is None:
        return None
    typed = column.typed
    if kind in ("integer", "year") and isinstance(limit, int) and -(2**63) <= limit < 2**63:
        return pc.fill_null(typed, 0).to_numpy(), limit
    if kind == "number" and isinstance(limit, int | Decimal) and exact_float(Decimal(limit)):
        return pc.fill_null(typed, 0.0).to_numpy(), float(limit)
    if kind == "date" and isinstance(limit, date) and not isinstance(limit, datetime):
        days = pc.fill_null(typed.cast(pa.int32()), 0).to_numpy()
        return days, (limit - date(1970, 1, 1)).days
    return None


def _enum(column: Column, fast: np.ndarray, allowed: list[Any]) -> np.ndarray | None:
    kind = column.kind
    if kind in ("string", "any"):
        value_set = pa.array([v for v in allowed if isinstance(v, str)], pa.large_string())
        return fast & ~column.per_cell(lambda values: mask_of(pc.is_in(values, value_set=value_set)))
    if kind in ("integer", "year"):
        ints = [v for v in allowed if isinstance(v, int) and -(2**63) <= v < 2**63]
        return fast & ~mask_of(pc.is_in(column.typed, value_set=pa.array(ints, pa.int64())))
    if kind == "boolean":
        bools = [v for v in allowed if isinstance(v, bool)]
        return fast & ~mask_of(pc.is_in(column.typed, value_set=pa.array(bools, pa.bool_())))
    return None


def _pattern(text: pa.ChunkedArray, pattern: str) -> np.ndarray:
    """Cells that ``pattern`` does not match as a whole (:mod:`intergov.engine.patterns`); nulls are not tested.

    RE2 (pyarrow) tests ASCII values without line breaks or vertical tabs, on
    which it reads a portable pattern as Python does; Python's ``re`` tests
    the rest, once per distinct value.

    >>> _pattern(pa.chunked_array([["AZE", "aze", None]]), "[A-Z]{3}").tolist()
    [False, True, False]
    """
    present = mask_of(pc.is_valid(text))
    plain = present.copy()
    matched = np.zeros(len(text), bool)
    if _PORTABLE_PATTERN.fullmatch(pattern) is not None:
        plain &= mask_of(pc.string_is_ascii(text))
        if _holds_line_break(text):
            plain &= ~mask_of(pc.match_substring_regex(text, "[\n\v]"))
        try:
            matched = mask_of(pc.match_substring_regex(text, patterns.re2(pattern)))
        except pa.ArrowInvalid:
            plain[:] = False
    else:
        plain[:] = False
    broken = plain & ~matched
    rest = present & ~plain
    if rest.any():
        values, inverse = distinct(text, rest)
        whole = patterns.matcher(pattern)
        verdicts = np.array([not whole(v) for v in values], bool)
        broken[rest] = verdicts[inverse]
    return broken


def _holds_line_break(text: pa.ChunkedArray) -> bool:
    """Whether the character data under ``text`` holds a line feed or a vertical tab (read once, no copy).

    Most columns hold neither: then no cell needs testing one by one.

    >>> _holds_line_break(pa.chunked_array([pa.array(["a", "b\\vc"])])), _holds_line_break(pa.chunked_array([["a"]]))
    (True, False)
    """
    for chunk in text.chunks:
        data = chunk.buffers()[2]
        if data is not None and len(data):
            shifted = np.frombuffer(data, np.uint8) - np.uint8(10)  # 10 (LF) and 11 (VT) become 0 and 1
            if (shifted <= 1).any():
                return True
    return False
