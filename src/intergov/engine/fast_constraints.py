"""Table Schema constraints, vectorized, on the cells in canonical form.

:func:`intergov.engine.fast_types.cast` parses a column; :func:`check` then
tests each constraint of the field the way frictionless-py's cell reader
does (``Field.create_cell_reader``): ``required`` on missing cells, the
others on present cells of the right type. Cells in canonical form are
tested with pyarrow and numpy (lengths, set membership, bounds compared as
exact numbers); what only Python can tell is asked of frictionless-py's
reader once per distinct value: a bound no double holds exactly or an enum
of dates and times. The residue's constraints were noted by frictionless-py's
reader already, during the cast, except the ``pattern``, which
frictionless-py is never given: every present cell of the right type is
tested with RE2 (pyarrow's, or :mod:`intergov.patterns` where pyarrow's
refuses the pattern), as a whole value and in linear time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from intergov import patterns
from intergov.engine.fast_cells import SUPPORTED, cell_reader, distinct, exact_float, value_reader
from intergov.engine.fast_types import Column, mask_of


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
    if name == "pattern":  # frictionless-py's reader never tests it: every present cell of the type is tested here
        return ~column.missing & ~column.type_error & column.per_cell(lambda values: _pattern(values, bound))
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
    """Cells that ``pattern`` does not match as a whole (:mod:`intergov.patterns`); nulls are not tested.

    pyarrow's RE2 tests the whole column; where it refuses the pattern (its
    own limits), intergov's RE2 matcher tests each distinct value once.

    >>> _pattern(pa.chunked_array([["AZE", "aze", "ÉTÉ", None]]), "[A-Z]{3}").tolist()
    [False, True, True, False]
    """
    present = mask_of(pc.is_valid(text))
    try:
        return present & ~mask_of(pc.match_substring_regex(text, patterns.anchored(pattern)))
    except pa.ArrowInvalid:
        broken = np.zeros(len(text), bool)
        if present.any():
            values, inverse = distinct(text, present)
            whole = patterns.matcher(pattern)
            broken[present] = np.array([not whole(v) for v in values], bool)[inverse]
        return broken
