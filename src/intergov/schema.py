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

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

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

_TRUE_VALUES = ("true", "True", "TRUE", "1")
_FALSE_VALUES = ("false", "False", "FALSE", "0")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:NaN|INF)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")


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


def missing_values(schema: TableSchema) -> tuple[str, ...]:
    """The schema's missing values."""
    return tuple(schema.get("missingValues", DEFAULT_MISSING_VALUES))


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


def cast_column(text: pd.Series, field: Field, missing: tuple[str, ...] = DEFAULT_MISSING_VALUES) -> pd.Series:
    """Cast a column of text cells to the field's type; cells that do not parse become null.

    >>> cast_column(pd.Series(["19", "", "x"]), {"name": "n", "type": "integer"}).tolist()
    [19, <NA>, <NA>]
    """
    text = text.astype("string")
    text = text.mask(text.isin(missing))
    kind = field.get("type", "string")
    if kind == "integer":
        ok = text.str.fullmatch(_INTEGER.pattern).fillna(False).astype(bool)
        return pd.to_numeric(text.where(ok), errors="coerce").astype("Int64")
    if kind == "year":
        ok = text.str.fullmatch(_YEAR.pattern).fillna(False).astype(bool)
        return pd.to_numeric(text.where(ok), errors="coerce").astype("Int64")
    if kind == "number":
        cleaned = text
        group = field.get("groupChar")
        if group:
            cleaned = cleaned.str.replace(group, "", regex=False)
        decimal = field.get("decimalChar", ".")
        if decimal != ".":
            cleaned = cleaned.str.replace(decimal, ".", regex=False)
        ok = cleaned.str.fullmatch(_NUMBER.pattern).fillna(False).astype(bool)
        cleaned = cleaned.where(ok).str.replace("INF", "inf", regex=False)
        return pd.to_numeric(cleaned, errors="coerce").astype("Float64")
    if kind == "boolean":
        true_values = field.get("trueValues", _TRUE_VALUES)
        false_values = field.get("falseValues", _FALSE_VALUES)
        result = pd.Series(pd.NA, index=text.index, dtype="boolean")
        result[text.isin(true_values).fillna(False).astype(bool)] = True
        result[text.isin(false_values).fillna(False).astype(bool)] = False
        return result
    if kind == "date":
        ok = text.str.fullmatch(_DATE.pattern).fillna(False).astype(bool)
        parsed = pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce")
        return parsed.astype("datetime64[s]")
    if kind == "datetime":
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        return parsed.astype("datetime64[us, UTC]")
    return text


def cast_frame(text: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Cast a frame of text cells (one column per field) to a typed frame."""
    missing = missing_values(schema)
    return pd.DataFrame(
        {f["name"]: cast_column(text[f["name"]], f, missing) for f in fields(schema) if f["name"] in text},
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
        checks.append(pa_pd.Check.str_matches(f"^(?:{c['pattern']})$"))
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
