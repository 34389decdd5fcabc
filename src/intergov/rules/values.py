"""Rules on stated values: bounds in order, qualifiers that match the columns, currencies where money is.

Contracts and figures share the value columns ``value_low``, ``value_high``,
``value_qualifier`` and ``currency_code``:

- ``range`` needs both bounds, low not above high;
- ``exact``, ``approximate`` and ``lower_bound`` need ``value_low`` and no ``value_high``;
- ``not_stated`` has no value and no currency;
- a value of money has a currency; a count (``documents_signed``) has none.
"""

from __future__ import annotations

import pandas as pd

from intergov import schema as ts
from intergov.findings import ERROR
from intergov.rules import Rule, Table, Tables, flagged, violations

VALUED = ("contracts", "figures")

#: ``value_qualifier`` values: one value in ``value_low``; a range of two; no value at all.
SINGLE_VALUE = ("exact", "approximate", "lower_bound")
RANGE = "range"
NOT_STATED = "not_stated"

#: Figure measures that count things rather than money.
COUNT_MEASURES = {"documents_signed"}

#: Figure measures between two countries, and the fields each needs.
BILATERAL_MEASURES = {"trade_turnover", "exports", "imports", "investment"}

#: The figure measure of a project's cost.
COST_ESTIMATE = "cost_estimate"


def _where(table: Table, *checks: tuple[pd.Series, str, str]) -> pd.DataFrame:
    """For each ``(mask, field, message)``, a violation on every line where the mask holds."""
    return violations((line, field, message) for mask, field, message in checks for line in flagged(table.typed, mask))


def check_range(table: Table, tables: Tables) -> pd.DataFrame:
    """A range's lower bound is not above its upper bound."""
    low, high = table.typed["value_low"], table.typed["value_high"]
    return violations(
        (line, "value_high", f"value_low {low[line]} is above value_high {high[line]}; swap them")
        for line in flagged(table.typed, low > high)
    )


def check_qualifier(table: Table, tables: Tables) -> pd.DataFrame:
    """The qualifier agrees with which value columns are filled."""
    t = table.typed
    qualifier = t["value_qualifier"]
    has_low, has_high = t["value_low"].notna(), t["value_high"].notna()
    single = qualifier.isin(SINGLE_VALUE)
    return _where(
        table,
        (
            (qualifier == RANGE) & ~has_high,
            "value_high",
            "a range needs value_high; fill it in, or change value_qualifier",
        ),
        (
            (qualifier == RANGE) & ~has_low,
            "value_low",
            "a range needs value_low; fill it in, or change value_qualifier",
        ),
        (
            single & has_high,
            "value_high",
            "value_high is only for ranges; empty it, or set value_qualifier to range",
        ),
        (
            single & ~has_low,
            "value_low",
            "the value is missing; fill in value_low, or set value_qualifier to not_stated",
        ),
        (
            (qualifier == NOT_STATED) & (has_low | has_high),
            "value_qualifier",
            "value_qualifier is not_stated but a value is given; choose exact, approximate, lower_bound or range",
        ),
    )


def check_currency(table: Table, tables: Tables) -> pd.DataFrame:
    """Money has a currency; counts and unstated values have none."""
    t = table.typed
    has_value = t["value_low"].notna() | t["value_high"].notna()
    has_currency = t["currency_code"].notna()
    counts = t["measure"].isin(COUNT_MEASURES) if "measure" in t else pd.Series(False, index=t.index)
    return _where(
        table,
        (
            has_value & ~has_currency & ~counts,
            "currency_code",
            "a value of money needs its currency; fill in the ISO 4217 code",
        ),
        (has_currency & counts, "currency_code", "this measure is a count; empty currency_code"),
        (
            has_currency & ~has_value & ~counts,
            "currency_code",
            "a currency without a value; empty currency_code or fill in the value",
        ),
    )


def check_figure_subject(table: Table, tables: Tables) -> pd.DataFrame:
    """A figure names what it is about: both countries for trade and investment, the project for a cost."""
    t = table.typed
    measure = t["measure"]
    bilateral = measure.isin(BILATERAL_MEASURES)
    return _where(
        table,
        (
            bilateral & t["country_code"].isna(),
            "country_code",
            "this measure is between two countries; fill in country_code",
        ),
        (
            bilateral & t["partner_country_code"].isna(),
            "partner_country_code",
            "this measure is between two countries; fill in partner_country_code",
        ),
        (
            t["country_code"] == t["partner_country_code"],
            "partner_country_code",
            "partner_country_code is the same country as country_code",
        ),
        (
            (measure == COST_ESTIMATE) & t["project_id"].isna(),
            "project_id",
            "a cost estimate is for a project; fill in project_id",
        ),
    )


#: A plain decimal that certainly fits ``decimal128(38, 9)``; anything else is checked exactly.
_FITS = rf"[+-]?[0-9]{{1,{ts.DECIMAL_PRECISION - ts.DECIMAL_SCALE}}}(?:\.[0-9]{{0,{ts.DECIMAL_SCALE}}})?"


def check_number_precision(table: Table, tables: Tables) -> pd.DataFrame:
    """Every number can be published exactly as a Parquet ``decimal128(38, 9)``."""
    missing = ts.missing_values(table.resource.schema)
    found = []
    for field in ts.fields(table.resource.schema):
        if field.get("type") != "number":
            continue
        cells = table.text[field["name"]][table.typed[field["name"]].notna().to_numpy(dtype=bool)]
        if not field.get("groupChar") and field.get("decimalChar", ".") == ".":
            cells = cells[~cells.str.fullmatch(_FITS).fillna(False).to_numpy(dtype=bool)]
        for line, cell in cells.items():
            if cell in missing:
                continue
            try:
                ts.exact_decimal(cell, field)
            except ValueError as e:
                found.append(
                    (
                        line,
                        field["name"],
                        (
                            f"cannot be published exactly ({e}): Parquet numbers are exact decimals and are never "
                            f"rounded; write the value with at most {ts.DECIMAL_SCALE} decimal places"
                        ),
                    )
                )
    return violations(found)


RULES = [
    Rule(
        "number-precision",
        ERROR,
        None,
        "Every number can be published exactly (at most 9 decimal places).",
        check_number_precision,
    ),
    Rule("value-range", ERROR, VALUED, "A range's lower bound is not above its upper bound.", check_range),
    Rule(
        "value-qualifier",
        ERROR,
        VALUED,
        "The qualifier matches the value columns that are filled.",
        check_qualifier,
    ),
    Rule(
        "value-currency",
        ERROR,
        VALUED,
        "Money has a currency; counts and unstated values have none.",
        check_currency,
    ),
    Rule(
        "figure-subject",
        ERROR,
        ("figures",),
        "A figure names its countries, or its project for a cost.",
        check_figure_subject,
    ),
]
