"""frictionless-py's own cell reader, for the cells the vectorized parse leaves (the *residue*).

:func:`intergov.engine.fast_types.cast` parses the cells in canonical form
with pyarrow and numpy; every other present cell is read here by
frictionless-py's cell reader, once per distinct value, so that its verdict,
value and constraint notes are the authority. The field frictionless-py reads
has no ``pattern`` (:func:`intergov.engine.patterns.for_frictionless`): patterns
are tested with RE2 (:mod:`intergov.engine.fast_constraints`), never with Python's ``re``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from intergov.engine import patterns

if TYPE_CHECKING:
    from intergov.engine.fast_types import Column

Field = Mapping[str, Any]

#: Constraints frictionless-py checks per type (``Field.supported_constraints``, in its order).
_STRING = ("required", "minLength", "maxLength", "pattern", "enum")
_ORDERED = ("required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum")
SUPPORTED = {
    "string": _STRING,
    "integer": _ORDERED,
    "number": _ORDERED,
    "boolean": ("required", "enum"),
    "date": _ORDERED,
    "datetime": _ORDERED,
    "time": _ORDERED,
    "year": _ORDERED,
    "yearmonth": _ORDERED,
    "any": ("required", "enum"),
}

#: String formats whose values frictionless-py's value reader checks (``StringField.create_value_reader``).
_CHECKED_STRING_FORMATS = ("uri", "email", "uuid", "binary", "wkt")

#: Significant digits a double keeps exactly: canonical numbers compare as their Decimal would.
EXACT_DIGITS = 15


@cache
def _frictionless_field(field_json: str, missing: tuple[str, ...]):
    import json

    from frictionless import Field as FrictionlessField

    descriptor = patterns.for_frictionless(json.loads(field_json))
    descriptor["missingValues"] = list(missing)
    return FrictionlessField.from_descriptor(descriptor)


def _field_json(field: Field) -> str:
    import json

    return json.dumps(dict(field), sort_keys=True, default=str)


@cache
def _cell_reader(field_json: str, missing: tuple[str, ...]) -> Callable[[Any], tuple[Any, dict | None]]:
    field = _frictionless_field(field_json, missing)
    read = field.create_cell_reader()

    def safe(cell: Any) -> tuple[Any, dict | None]:
        try:
            return read(cell)
        except InvalidOperation:  # a signalling NaN (sNaN) compared with a bound: no number to compare
            return None, {"type": f'type is "{field.type}/{field.format}"'}

    return safe


@cache
def _value_reader(field_json: str) -> Callable[[Any], Any]:
    return _frictionless_field(field_json, ()).create_value_reader()


def cell_reader(field: Field, missing: Sequence[str]) -> Callable[[Any], tuple[Any, dict | None]]:
    """frictionless-py's cell reader for ``field``: ``cell -> (value, notes)`` (its pattern is not tested).

    >>> cell_reader({"name": "n", "type": "integer"}, ("",))(" 7")
    (7, None)
    """
    return _cell_reader(_field_json(field), tuple(missing))


def value_reader(field: Field) -> Callable[[Any], Any]:
    """frictionless-py's value reader for ``field`` (what it applies to constraint values).

    The usual constraint values are read as its reader reads them, without
    importing frictionless-py: a JSON integer of an integer or number field is
    itself, and a string field without a checked format keeps strings and
    refuses anything else. The others are read by frictionless-py.

    >>> value_reader({"name": "n", "type": "number"})(1.5), value_reader({"name": "n", "type": "number"})(0)
    (Decimal('1.5'), 0)
    >>> value_reader({"name": "s"})("AZN"), value_reader({"name": "s"})(1)
    ('AZN', None)
    """
    kind = field.get("type", "string")
    plain_string = kind == "string" and field.get("format") not in _CHECKED_STRING_FORMATS
    field_json = _field_json(field)

    def read(value: Any) -> Any:
        if kind in ("integer", "number") and type(value) is int:  # not a bool
            return value
        if plain_string:
            return value if isinstance(value, str) else None
        return _value_reader(field_json)(value)

    return read


def distinct(text: pa.ChunkedArray, mask: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct values of ``text`` where ``mask``, and each masked cell's index into them."""
    encoded = pc.dictionary_encode(pc.filter(text, pa.array(mask))).combine_chunks()
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)


def read_residue(column: Column, residue: np.ndarray, missing: Sequence[str]) -> None:
    """Read the residue cells with frictionless-py; merge verdicts, values and notes into ``column``."""
    reader = cell_reader(column.field, missing)
    values, inverse = distinct(column.text, residue)
    results = [reader(value) for value in values]
    type_error = np.array([bool(notes and "type" in notes) for _, notes in results], bool)
    column.type_error[residue] = type_error[inverse]
    for name in SUPPORTED.get(column.kind, ()):
        broken = np.array([bool(notes and name in notes) for _, notes in results], bool)
        if broken.any():
            mask = column.errors.setdefault(name, np.zeros(len(column.text), bool))
            mask[residue] = broken[inverse]
    if pa.types.is_large_string(column.typed.type):
        return  # kept as text: the typed value is the cell itself
    typed, exact = _typed_values([value for value, _ in results], column.kind, column.field)
    column.exact = column.exact and exact
    positions = np.flatnonzero(residue)
    ok = ~type_error[inverse]
    column.typed = _patch(column.typed, positions[ok], pa.array([typed[i] for i in inverse[ok]], column.typed.type))


def _typed_values(values: list[Any], kind: str, field: Field) -> tuple[list[Any], bool]:
    """frictionless-py values as ``Column.typed`` holds them; and whether every one fits exactly."""
    exact = True
    out: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
        elif kind in ("integer", "year"):
            fits = -(2**63) <= value < 2**63
            exact = exact and fits
            out.append(value if fits else None)
        elif kind == "number":
            out.append(float("nan") if isinstance(value, Decimal) and value.is_snan() else float(value))
            exact = exact and (bool(field.get("floatNumber")) or exact_float(value))
        elif kind == "datetime":
            out.append(value if value.tzinfo else value.replace(tzinfo=UTC))
        else:
            out.append(value)
    return out, exact


def exact_float(value: Decimal | float) -> bool:
    """Whether a double holds ``value`` so that equality and order match its Decimal."""
    if isinstance(value, float):
        return True
    if not value.is_finite():
        return value.is_infinite()
    return len(value.normalize().as_tuple().digits) <= EXACT_DIGITS and -300 < value.adjusted() < 300


def _patch(typed: pa.ChunkedArray, positions: np.ndarray, values: pa.Array) -> pa.ChunkedArray:
    """``typed`` with ``values`` at ``positions`` (the residue cells frictionless-py accepted)."""
    if not len(positions):
        return typed
    if pa.types.is_large_string(typed.type):
        return typed  # text types: the residue's value is the cell itself (made null only if wrong)
    flat = typed.combine_chunks() if typed.num_chunks != 1 else typed.chunk(0)
    index = np.full(len(flat), -1, np.int64)
    index[positions] = np.arange(len(positions))
    chosen = pc.if_else(pa.array(index >= 0), pc.take(values, pa.array(np.maximum(index, 0))), flat)
    return pa.chunked_array([chosen])
