"""Rules on stated values: bounds in order, qualifiers that match the columns, units that fit the measure.

Contracts and figures share the value columns ``value_low``, ``value_high``,
``value_qualifier`` and ``currency_code``:

- ``range`` needs both bounds, low not above high;
- ``exact``, ``approximate``, ``lower_bound`` and ``upper_bound`` need ``value_low`` and no ``value_high``;
- ``not_stated`` has no value and no currency;
- a value of money has a currency; any other value has a ``unit_code`` of the kind its measure takes.

What each figure measure is (money or a unit of some kind, between two countries or about a project, a
running total or a target) is data: the package's ``measures`` table, read by :func:`measures`. A contract's
value is always money.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from intergov import schema as ts
from intergov.engine.fast_types import mask_of
from intergov.findings import ERROR
from intergov.fmt import PLAIN_NUMBER
from intergov.rules import Rule, Table, Tables, flagged, stacked, violations

VALUED = ("contracts", "figures")

#: ``value_qualifier`` values: one value in ``value_low``; a range of two; no value at all.
SINGLE_VALUE = ("exact", "approximate", "lower_bound", "upper_bound")
RANGE = "range"
NOT_STATED = "not_stated"

#: ``measures.unit_kind`` of a value in a currency; every other kind is a kind of ``units``.
MONEY = "money"


def measures(tables: Tables) -> pd.DataFrame:
    """The package's ``measures`` table indexed by ``measure_id`` (empty when the package has none).

    >>> measures({}).empty
    True
    """
    table = tables.get("measures")
    if table is None:
        return pd.DataFrame(columns=["unit_kind", "kind", "subject", "is_directional", "may_be_future"])
    typed = table.typed.dropna(subset=["measure_id"])
    return typed[~typed["measure_id"].duplicated()].set_index("measure_id")


def measure_property(table: Table, tables: Tables, column: str, default: Any = None) -> pd.Series:
    """``column`` of each row's measure, from ``measures`` (``default`` for a table without ``measure``)."""
    t = table.typed
    if "measure" not in t:
        return pd.Series(default, index=t.index, dtype=object)
    known = measures(tables)
    if column not in known:
        return pd.Series(None, index=t.index, dtype=object)
    return t["measure"].map(known[column]).astype(object)


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
            "value_qualifier is not_stated but a value is given; choose exact, approximate, lower_bound, "
            "upper_bound or range",
        ),
    )


#: The rules of :func:`check_currency`.
CURRENCY, UNIT = "value-currency", "value-unit"


def check_currency(table: Table, tables: Tables) -> pd.DataFrame:
    """Money has a currency and no unit; another measure a unit of its kind and no currency (rule ``UNIT``)."""
    t = table.typed
    has_value = t["value_low"].notna() | t["value_high"].notna()
    has_currency = t["currency_code"].notna()
    kind = measure_property(table, tables, "unit_kind", MONEY)
    known = kind.notna()
    money = kind == MONEY
    money_found = _where(
        table,
        (
            known & money & has_value & ~has_currency,
            "currency_code",
            "a value of money needs its currency; fill in the ISO 4217 code",
        ),
        (
            known & ~money & has_currency,
            "currency_code",
            "this measure is not money; empty currency_code and give the unit in unit_code",
        ),
        (
            known & money & has_currency & ~has_value,
            "currency_code",
            "a currency without a value; empty currency_code or fill in the value",
        ),
    )
    if "unit_code" not in t:
        return money_found
    has_unit = t["unit_code"].notna()
    units = tables.get("units")
    unit_kinds = (
        units.typed.dropna(subset=["unit_code"]).drop_duplicates("unit_code").set_index("unit_code")["kind"]
        if units is not None
        else pd.Series(dtype=object)
    )
    unit_kind = t["unit_code"].map(unit_kinds)
    wrong_kind = known & ~money & has_unit & unit_kind.notna() & (unit_kind != kind)
    unit_found = [
        (
            line,
            "unit_code",
            f"{t.at[line, 'measure']} is measured in a unit of kind {kind[line]}, "
            f"but {t.at[line, 'unit_code']} measures {unit_kind[line]}; choose a unit of kind {kind[line]}",
        )
        for line in flagged(t, wrong_kind)
    ]
    unit_found += [
        (
            line,
            "unit_code",
            f"{t.at[line, 'measure']} is not money: give the unit of the value in unit_code "
            f"(a units.unit_code of kind {kind[line]})",
        )
        for line in flagged(t, known & ~money & has_value & ~has_unit)
    ]
    unit_found += [
        (line, "unit_code", "a value of money has no unit_code; empty it (the currency is the unit)")
        for line in flagged(t, known & money & has_unit)
    ]
    unit_found += [
        (line, "unit_code", "a unit without a value; empty unit_code or fill in the value")
        for line in flagged(t, known & ~money & has_unit & ~has_value)
    ]
    return pd.concat([money_found.assign(rule=CURRENCY), violations(unit_found, rule=UNIT)])


def check_figure_subject(table: Table, tables: Tables) -> pd.DataFrame:
    """A figure names what its measure is about: both countries of a pair, the project of a cost.

    Only a running total counts up to a date (``as_of``); every other measure covers a period.
    """
    t = table.typed
    subject = measure_property(table, tables, "subject")
    kind = measure_property(table, tables, "kind")
    pair = subject == "country_pair"
    return _where(
        table,
        (
            pair & t["country_code"].isna(),
            "country_code",
            "this measure is between two countries; fill in country_code",
        ),
        (
            pair & t["partner_country_code"].isna(),
            "partner_country_code",
            "this measure is between two countries; fill in partner_country_code",
        ),
        (
            t["country_code"] == t["partner_country_code"],
            "partner_country_code",
            "partner_country_code is the same country as country_code",
        ),
        (
            (subject == "project") & t["project_id"].isna(),
            "project_id",
            "this measure is about a project; fill in project_id",
        ),
        (
            (kind != "running_total") & kind.notna() & t["as_of"].notna(),
            "as_of",
            "as_of is for running totals; use period_start and period_end",
        ),
    )


def check_change(table: Table, tables: Tables) -> pd.DataFrame:
    """A change is stated once, as a percent or a ratio, with its basis; ``since`` names its date."""
    t = table.typed
    percent, ratio = t["change_percent"].notna(), t["change_ratio"].notna()
    basis, since = t["change_basis"], t["change_since"].notna()
    return _where(
        table,
        (
            percent & ratio,
            "change_ratio",
            "the change is given twice; keep the form the source uses ('4.2 times': change_ratio; '+40%': "
            "change_percent)",
        ),
        (
            (percent | ratio) & basis.isna(),
            "change_basis",
            "a change needs its basis: year_on_year, previous_period, since (with change_since), or not_stated",
        ),
        (
            ~(percent | ratio) & basis.notna(),
            "change_basis",
            "a basis without a change; empty change_basis or fill in change_percent or change_ratio",
        ),
        (
            (basis == "since") & ~since,
            "change_since",
            "change_basis is since: fill in change_since, the date compared with",
        ),
        (
            (basis != "since") & since,
            "change_since",
            "change_since is only for change_basis since; set change_basis to since or empty change_since",
        ),
    )


#: A plain decimal that certainly fits ``decimal128(38, 9)``; anything else is checked exactly.
_FITS = rf"[+-]?[0-9]{{1,{ts.DECIMAL_PRECISION - ts.DECIMAL_SCALE}}}(?:\.[0-9]{{0,{ts.DECIMAL_SCALE}}})?"

#: The rules of :func:`check_numbers`: a number written in a form other readers do not read, one too precise,
#: one that is not finite (``NaN``, ``INF``), and an integer beyond Parquet's 64 bits.
FORM, PRECISION, FINITE, INTEGER_RANGE = "number-form", "number-precision", "number-finite", "integer-range"

#: The integers a release holds: Parquet's ``int64``.
_INT64 = range(-(2**63), 2**63)

#: What ``bareNumber: false`` lets a number carry around it (``$5``, ``5 %``), which frictionless-py drops.
_NOT_BARE = r"^[^0-9+\-.]+|[^0-9.]+$"


def _read(cells: pd.Series, field: Mapping[str, Any]) -> pd.Series:
    """Each cell with the field's own characters read: stripped, ``groupChar`` dropped, ``.`` for ``decimalChar``."""
    text = cells.str.strip()
    if field.get("bareNumber") is False:
        text = text.str.replace(_NOT_BARE, "", regex=True)
    if field.get("groupChar"):
        text = text.str.replace(field["groupChar"], "", regex=False)
    if field.get("decimalChar", ".") != ".":
        text = text.str.replace(field["decimalChar"], ".", regex=False)
    return text


def _plain(text: pd.Series) -> np.ndarray:
    """Whether each read cell (:func:`_read`) is a plain number (:data:`PLAIN_NUMBER`)."""
    return text.str.fullmatch(PLAIN_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)


def _unheld(text: str, kind: str) -> str | None:
    """The rule a read ``integer`` or ``number`` cell breaks when a release cannot hold its value, else ``None``.

    >>> _unheld("9223372036854775808", "integer"), _unheld("-9223372036854775808", "integer")
    ('integer-range', None)
    >>> _unheld("NaN", "number"), _unheld("-inf", "number"), _unheld("1e400", "number"), _unheld("x", "number")
    ('number-finite', 'number-finite', None, None)
    """
    try:
        if kind == "integer":
            return None if int(text) in _INT64 else INTEGER_RANGE
        return None if Decimal(text).is_finite() else FINITE
    except (ValueError, ArithmeticError):  # not a number at all: a type error, reported as such
        return None


#: What each rule of :func:`_unheld` says.
_UNHELD_MESSAGES = {
    INTEGER_RANGE: (
        "too large for a release: Parquet integers are 64-bit (from -9223372036854775808 to "
        "9223372036854775807), so it would be published as empty; correct the value, or make the field a number"
    ),
    FINITE: (
        "not a finite number: a release holds numbers as exact decimals, which have no NaN or infinity; "
        "write the number, or leave the cell empty when it is not known"
    ),
}


#: What :data:`FORM` says.
_FORM_MESSAGE = (
    "not a plain number: write the digits without underscores or spaces (e.g. 22800000000), "
    "with '.' for decimals, as every CSV reader reads them"
)


def check_numbers(table: Table, tables: Tables) -> pd.DataFrame:
    """Every number is written plainly (rule ``FORM``) and can be published as it is (the other rules).

    frictionless-py reads ``22_800_000_000`` (as Python does) but other CSV
    readers do not, so a number must be digits with an optional sign, point
    and exponent; the field's ``groupChar`` and ``decimalChar`` are allowed.
    A plain number must fit a Parquet ``decimal128(38, 9)`` (``PRECISION``).
    Table Schema reads ``NaN`` and ``INF`` as numbers, which no exact decimal
    holds (``FINITE``), and integers of any size, beyond Parquet's ``int64``
    (``INTEGER_RANGE``): typed as no value, such a cell would be published empty.

    The fields read alike (same type, ``bareNumber``, ``groupChar`` and ``decimalChar``)
    are checked together, all their cells at once.
    """
    fields = [f for f in ts.fields(table.resource.schema) if f.get("type") in ("integer", "number")]
    alike: dict[tuple, list[int]] = {}
    for position, field in enumerate(fields):
        reading = field["type"], field.get("bareNumber") is False, field.get("groupChar"), field.get("decimalChar")
        alike.setdefault(reading, []).append(position)
    found: dict[str, list[tuple[int, int, str]]] = {FORM: [], PRECISION: [], FINITE: [], INTEGER_RANGE: []}
    for positions in alike.values():
        _check_alike(table, [fields[p] for p in positions], positions, found)
    lines = table.text.index.to_numpy()
    return pd.concat(
        [
            violations(((lines[row], fields[p]["name"], message) for p, row, message in sorted(cells)), rule=rule)
            for rule, cells in found.items()
        ]
    )


def _check_alike(
    table: Table, fields: list[Mapping[str, Any]], positions: list[int], found: dict[str, list[tuple[int, int, str]]]
) -> None:
    """:func:`check_numbers` on ``fields``, read alike; each violation as ``(position, row, message)`` in ``found``."""
    field, kind, rows = fields[0], fields[0]["type"], len(table.text)
    names = [f["name"] for f in fields]
    text = stacked(table.text, names)
    present = mask_of(pc.is_valid(text))
    by_missing: dict[tuple[str, ...], np.ndarray] = {}
    for i, f in enumerate(fields):
        by_missing.setdefault(ts.missing_values(table.resource.schema, f), np.zeros(len(fields), bool))[i] = True
    for missing, members in by_missing.items():
        is_missing = mask_of(pc.is_in(text, value_set=pa.array(list(missing), pa.large_string())))
        present &= ~(is_missing & np.repeat(members, rows))
    typed = table.typed[names].to_numpy(dtype=float, na_value=np.nan).T.ravel()  # NaN: no typed value
    held = present & ~np.isnan(typed)
    odd = present & ~held  # typed as no value, or as an infinity
    if kind == "number":
        odd |= held & np.isinf(typed)
    cells = pd.Series(pd.arrays.ArrowStringArray(text), copy=False)

    def where(k: int) -> tuple[int, int]:
        return positions[k // rows], k % rows

    for k, cell in _read(cells[odd], field).items():
        rule = _unheld(cell, kind)
        if rule:
            found[rule].append((*where(k), _UNHELD_MESSAGES[rule]))
            held[k] = False
    cells = cells[held]
    plain = _plain(_read(cells, field))
    found[FORM] += [(*where(k), _FORM_MESSAGE) for k in cells.index[~plain]]
    if kind != "number":
        return
    cells = cells[plain]
    if not field.get("groupChar") and field.get("decimalChar", ".") == ".":
        cells = cells[~cells.str.fullmatch(_FITS).fillna(False).to_numpy(dtype=bool)]
    for k, cell in cells.items():
        try:
            ts.exact_decimal(cell, field)
        except ValueError as e:
            message = (
                f"cannot be published exactly ({e}): Parquet numbers are exact decimals and are never "
                f"rounded; write the value with at most {ts.DECIMAL_SCALE} decimal places"
            )
            found[PRECISION].append((*where(k), message))


RULES = [
    Rule(
        FORM,
        ERROR,
        None,
        "Every number is written plainly: digits, no underscores or spaces.",
        check_numbers,
    ),
    Rule(
        PRECISION,
        ERROR,
        None,
        "Every number can be published exactly (at most 9 decimal places).",
        check_numbers,
    ),
    Rule(FINITE, ERROR, None, "Every number is finite (no NaN or infinity).", check_numbers),
    Rule(INTEGER_RANGE, ERROR, None, "Every integer fits a Parquet int64.", check_numbers),
    Rule("value-range", ERROR, VALUED, "A range's lower bound is not above its upper bound.", check_range),
    Rule(
        "value-qualifier",
        ERROR,
        VALUED,
        "The qualifier matches the value columns that are filled.",
        check_qualifier,
    ),
    Rule(
        CURRENCY,
        ERROR,
        VALUED,
        "Money has a currency; other measures and unstated values have none.",
        check_currency,
    ),
    Rule(UNIT, ERROR, ("figures",), "A measure that is not money has a unit of its kind.", check_currency),
    Rule(
        "figure-subject",
        ERROR,
        ("figures",),
        "A figure's measure exists; the figure names what the measure needs: countries, project, as_of, target date.",
        check_figure_subject,
    ),
    Rule(
        "change-basis",
        ERROR,
        ("figures",),
        "A change is a percent or a ratio, with its basis (year on year, previous period, since a date).",
        check_change,
    ),
]
