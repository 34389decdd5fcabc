"""The one translation of Table Schema fields into everything else.

Each field is defined once, in its Frictionless Table Schema under ``schemas/``.
This module derives from it, and nothing else retypes it:

- the pandas dtype of a typed frame column (:func:`pandas_dtype`),
- a pandera column with the field's type and constraints (:func:`pandera_schema`),
- the pyarrow type of the published Parquet column (:func:`arrow_type`),
- the casting of text cells to typed values (:func:`cast_column`).

>>> field = {"name": "session_number", "type": "integer", "constraints": {"minimum": 1}}
>>> pandas_dtype(field), str(arrow_type(field))
('Int64', 'int64')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:  # pandas is imported where a frame is made (the fast engine reads files meanwhile)
    import pandas as pd

Field = Mapping[str, Any]
TableSchema = Mapping[str, Any]

#: Decimal type of ``number`` fields in Parquet: exact, so that no cent is lost.
DECIMAL_PRECISION = 38
DECIMAL_SCALE = 9

#: Values missing by default (Table Schema: ``missingValues`` defaults to ``[""]``).
DEFAULT_MISSING_VALUES = ("",)

_PANDAS_DTYPES = {
    "string": "string",
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "date": "datetime64[s]",
    "datetime": "datetime64[us, UTC]",
    "year": "Int64",
}


def fields(schema: TableSchema) -> list[Field]:
    """The schema's fields, in order."""
    return list(schema.get("fields", []))


def field_names(schema: TableSchema) -> list[str]:
    """The schema's field names, in order (the expected CSV header)."""
    return [f["name"] for f in fields(schema)]


def constraints(field: Field) -> Mapping[str, Any]:
    """The field's constraints (empty when it has none)."""
    return field.get("constraints", {})


def is_required(field: Field, schema: TableSchema) -> bool:
    """Required explicitly, or by being part of the primary key."""
    return bool(constraints(field).get("required")) or field["name"] in primary_key(schema)


def is_partial_date(field: Field) -> bool:
    """Whether the field holds a date as precise as its source: YYYY, YYYY-MM or YYYY-MM-DD."""
    return bool(field.get("x-partialDate"))


def primary_key(schema: TableSchema) -> list[str]:
    """The primary key as a list of field names."""
    key = schema.get("primaryKey", [])
    return [key] if isinstance(key, str) else list(key)


def unique_keys(schema: TableSchema) -> list[list[str]]:
    """The ``uniqueKeys`` as lists of field names."""
    return [[k] if isinstance(k, str) else list(k) for k in schema.get("uniqueKeys", [])]


def foreign_keys(schema: TableSchema) -> Iterator[tuple[list[str], str, list[str]]]:
    """Yield ``(fields, resource, reference_fields)`` for each foreign key.

    An empty ``resource`` means the table references itself.
    """
    for fk in schema.get("foreignKeys", []):
        local = fk["fields"]
        ref = fk["reference"]
        remote = ref["fields"]
        yield (
            [local] if isinstance(local, str) else list(local),
            ref.get("resource", ""),
            [remote] if isinstance(remote, str) else list(remote),
        )


def missing_values(schema: TableSchema, field: Field | None = None) -> tuple[str, ...]:
    """The values that mean "missing": the ``field``'s own when it declares them, else the schema's.

    Entries may be strings or, in Table Schema v2, objects with a ``value``.

    >>> missing_values({"missingValues": ["", "NA"]})
    ('', 'NA')
    >>> missing_values({}, {"name": "x", "missingValues": [{"value": "n/a"}]})
    ('n/a',)
    """
    entries = schema.get("missingValues", DEFAULT_MISSING_VALUES)
    if field is not None:
        entries = field.get("missingValues", entries)
    return tuple(e["value"] if isinstance(e, dict) else e for e in entries)


def pandas_dtype(field: Field) -> str:
    """The pandas dtype of a typed-frame column; unknown types stay strings."""
    return _PANDAS_DTYPES.get(field.get("type", "string"), "string")


def arrow_type(field: Field) -> pa.DataType:
    """The pyarrow type of the published column.

    Dates are ``date32``, integers ``int64``, numbers exact decimals, booleans
    ``bool``, and everything else (partial dates included) a string.
    """
    kind = field.get("type", "string")
    if kind == "integer" or kind == "year":
        return pa.int64()
    if kind == "number":
        return pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
    if kind == "boolean":
        return pa.bool_()
    if kind == "date":
        return pa.date32()
    if kind == "datetime":
        return pa.timestamp("us", tz="UTC")
    return pa.string()


def arrow_schema(schema: TableSchema, *, name: str = "", title: str = "") -> pa.Schema:
    """The Parquet schema of a table, with descriptions in the field and table metadata."""
    arrow_fields = [
        pa.field(
            f["name"],
            arrow_type(f),
            nullable=not is_required(f, schema),
            metadata={"description": f.get("description", ""), "type": f.get("type", "string")},
        )
        for f in fields(schema)
    ]
    metadata = {"description": schema.get("description", "")}
    if name:
        metadata["name"] = name
    if title:
        metadata["title"] = title
    return pa.schema(arrow_fields, metadata=metadata)


def cast_column(text: pd.Series, field: Field, missing: tuple[str, ...] | None = None) -> pd.Series:
    """Cast a column of text cells to the field's type; cells that do not parse become null.

    ``missing`` defaults to the field's own missing values (see :func:`missing_values`).

    The parse is the Table Schema layer's own (:func:`intergov.engine.fast_types.cast`),
    so a typed value is exactly what frictionless-py reads from the cell.

    >>> import pandas as pd
    >>> cast_column(pd.Series(["19", "", "x"]), {"name": "n", "type": "integer"}).tolist()
    [19, <NA>, <NA>]
    """
    import numpy as np

    from intergov.engine.fast_types import cast, series

    values = pa.array(text.astype("string").array, pa.large_string())
    column = cast(values, field, missing_values({}, field) if missing is None else missing)
    return series(column, np.ones(len(text), bool), text.index)


def cast_frame(text: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Cast a frame of text cells (one column per field) to a typed frame."""
    import pandas as pd

    return pd.DataFrame(
        {
            f["name"]: cast_column(text[f["name"]], f, missing_values(schema, f))
            for f in fields(schema)
            if f["name"] in text
        },
        index=text.index,
    )


def pandera_schema(schema: TableSchema, *, name: str = "", with_constraints: bool = True):
    """A pandera ``DataFrameSchema`` for typed frames of this table.

    With ``with_constraints`` the columns carry the field's constraints
    (required, unique, enum, pattern, bounds, length) and the schema its keys,
    which is what a downstream user checks a loaded release against. Without
    them, only the column set and dtypes are checked: the validation pipeline
    uses that form, because the Table Schema layer has already reported every
    constraint violation and nulled the offending cells.
    """
    import pandera.pandas as pa_pd

    columns = {}
    for field in fields(schema):
        checks = _pandera_checks(field) if with_constraints else []
        columns[field["name"]] = pa_pd.Column(
            pandas_dtype(field),
            checks=checks,
            nullable=not (with_constraints and is_required(field, schema)),
            unique=with_constraints and bool(constraints(field).get("unique")),
            required=True,
            description=field.get("description"),
            title=field["name"],
        )
    unique = None
    if with_constraints and primary_key(schema):
        unique = primary_key(schema)
    return pa_pd.DataFrameSchema(
        columns,
        name=name or None,
        unique=unique,
        strict=True,
        ordered=True,
        description=schema.get("description"),
    )


def _pandera_checks(field: Field) -> list:
    """Pandera checks for one field's value constraints."""
    import pandera.pandas as pa_pd

    c = constraints(field)
    checks = []
    if "enum" in c:
        checks.append(pa_pd.Check.isin(c["enum"]))
    if "pattern" in c:
        from intergov.patterns import matcher

        checks.append(pa_pd.Check(matcher(c["pattern"]), element_wise=True, name="pattern"))
    if "minLength" in c:
        checks.append(pa_pd.Check.str_length(min_value=c["minLength"]))
    if "maxLength" in c:
        checks.append(pa_pd.Check.str_length(max_value=c["maxLength"]))
    if field.get("type") in ("integer", "number", "year"):
        if "minimum" in c:
            checks.append(pa_pd.Check.ge(c["minimum"]))
        if "maximum" in c:
            checks.append(pa_pd.Check.le(c["maximum"]))
        if "exclusiveMinimum" in c:
            checks.append(pa_pd.Check.gt(c["exclusiveMinimum"]))
        if "exclusiveMaximum" in c:
            checks.append(pa_pd.Check.lt(c["exclusiveMaximum"]))
    return checks


def exact_decimal(cell: str, field: Mapping[str, Any]) -> Decimal:
    """The exact value of a ``number`` cell, if it fits Parquet's ``decimal128(38, 9)``; else ``ValueError``.

    >>> exact_decimal("1.70", {"name": "rate", "type": "number"})
    Decimal('1.70')
    >>> exact_decimal("0.0000000001", {"name": "rate", "type": "number"})
    Traceback (most recent call last):
    ValueError: 10 decimal places; at most 9 are kept
    """
    text = cell.replace(field["groupChar"], "") if field.get("groupChar") else cell
    text = text.replace(field.get("decimalChar", "."), ".")
    try:
        value = Decimal(text)
    except InvalidOperation as e:
        raise ValueError("not a number") from e
    if not value.is_finite():
        raise ValueError("not a finite number")
    _, digits, exponent = value.as_tuple()
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    places = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if places > DECIMAL_SCALE:
        raise ValueError(f"{places} decimal places; at most {DECIMAL_SCALE} are kept")
    if whole > DECIMAL_PRECISION - DECIMAL_SCALE:
        raise ValueError(f"{whole} digits before the point; at most {DECIMAL_PRECISION - DECIMAL_SCALE} fit")
    return value
