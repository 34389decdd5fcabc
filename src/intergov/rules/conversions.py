"""Rules on currency conversions quoted beside figures.

A conversion is checked against the official rate in ``exchange_rates`` valid
on its ``applies_on`` date: directly (AZN per USD), or as a cross rate through
a currency that one issuer quotes both in. The tolerance follows from the
reported precision: "about $294 million" has three significant digits, so any
exact result from 293.5 to 294.5 million agrees.

>>> tolerance(294_000_000, 3)
500000.0
>>> agrees(500_000_000 / 1.7, 294_000_000, 3)
True
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from intergov.findings import ERROR, WARNING
from intergov.rules import Rule, Table, Tables, violations
from intergov.rules.dates import bounds
from intergov.rules.values import RANGE

CONVERSIONS = ("currency_conversions",)

#: The rules of :func:`check_rates`: a conversion off the official rate, and one with no official rate.
RATE, NO_RATE = "conversion-rate", "conversion-no-rate"

#: The figure's value column that each ``converted_bound`` names.
BOUND_COLUMNS = {"value": "value_low", "low": "value_low", "high": "value_high"}


def tolerance(reported: float, significant_digits: int) -> float:
    """Half a unit of the last significant digit of ``reported``."""
    if reported == 0:
        return 0.0
    exponent = math.floor(math.log10(abs(reported))) - significant_digits + 1
    return 0.5 * 10.0**exponent


def agrees(exact: float, reported: float, significant_digits: int) -> bool:
    """Whether ``exact`` rounds to ``reported`` at ``significant_digits`` (with float slack)."""
    slack = 1e-9 * max(abs(exact), abs(reported))
    return abs(exact - reported) <= tolerance(reported, significant_digits) + slack


@dataclass(frozen=True)
class Quote:
    """An official price: ``price`` units of ``quote`` for one unit of a currency, by ``rate_id``."""

    quote: str
    price: float
    rate_id: str


class OfficialRates:
    """Official rates by issuer and currency pair, looked up by date."""

    def __init__(self, rates: pd.DataFrame) -> None:
        first, _ = bounds(rates["valid_from"])
        _, last = bounds(rates["valid_until"])
        frame = rates.assign(first=first, last=last).dropna(
            subset=[
                "issuer_organisation_id",
                "base_currency_code",
                "quote_currency_code",
                "rate",
                "units",
                "first",
            ]
        )
        self._series: dict[tuple[str, str, str], list[tuple]] = defaultdict(list)
        self._quotes: dict[str, set[str]] = defaultdict(set)
        for row in frame.sort_values("first").itertuples():
            key = (row.issuer_organisation_id, row.base_currency_code, row.quote_currency_code)
            rate_id = "" if pd.isna(row.rate_id) else row.rate_id  # a rejected id still names a usable rate
            self._series[key].append((row.first, row.last, float(row.rate) / int(row.units), rate_id))
            self._quotes[row.issuer_organisation_id].add(row.quote_currency_code)
        self._starts = {key: [entry[0] for entry in entries] for key, entries in self._series.items()}

    def prices(self, issuer: str, currency: str, on: pd.Timestamp) -> dict[str, Quote]:
        """What one unit of ``currency`` costs on ``on``, per quote currency of ``issuer``."""
        found = {}
        if currency in self._quotes[issuer]:
            found[currency] = Quote(currency, 1.0, "")
        for quote in self._quotes[issuer]:
            key = (issuer, currency, quote)
            if key not in self._series:
                continue
            at = bisect_right(self._starts[key], on) - 1
            if at < 0:
                continue
            _, last, price, rate_id = self._series[key][at]
            if pd.isna(last) or on <= last:
                found[quote] = Quote(quote, price, rate_id)
        return found

    def convert(self, amount: float, source: str, target: str, on: pd.Timestamp) -> tuple[float, str] | None:
        """``amount`` of ``source`` in ``target`` at the official rate, and the rate ids used."""
        for issuer in sorted(self._quotes):
            source_prices = self.prices(issuer, source, on)
            target_prices = self.prices(issuer, target, on)
            for quote in sorted(set(source_prices) & set(target_prices)):
                a, b = source_prices[quote], target_prices[quote]
                used = " and ".join(dict.fromkeys(r for r in (a.rate_id, b.rate_id) if r))
                return amount * a.price / b.price, used
        return None


def check_rates(table: Table, tables: Tables) -> pd.DataFrame:
    """Each complete conversion against the official rate for its date and pair (rules ``RATE`` and ``NO_RATE``).

    A conversion that disagrees with the official rate, within the reported
    precision, violates ``RATE``; one with no official rate in the package is
    only checked for consistency, and flagged under ``NO_RATE``.
    """
    t = table.typed
    needed = [
        "from_amount",
        "from_currency_code",
        "to_amount",
        "to_currency_code",
        "to_amount_significant_digits",
        "applies_on",
    ]
    rows = t.dropna(subset=needed)
    rates = OfficialRates(tables["exchange_rates"].typed) if "exchange_rates" in tables else None
    errors, warnings = [], []
    for line, row in rows.iterrows():
        source, target = row["from_currency_code"], row["to_currency_code"]
        amount, reported = float(row["from_amount"]), float(row["to_amount"])
        digits = int(row["to_amount_significant_digits"])
        on = pd.Timestamp(row["applies_on"])
        result = rates.convert(amount, source, target, on) if rates else None
        if result is None:
            warnings.append(
                (
                    line,
                    "to_amount",
                    f"no official {source}/{target} rate for {on.date()} in exchange_rates, so this conversion "
                    f"(implying {amount / reported:.6g} {source} per {target}) is only checked for consistency; "
                    "add the official rate to check it",
                )
            )
            continue
        exact, used = result
        if not agrees(exact, reported, digits):
            errors.append(
                (
                    line,
                    "to_amount",
                    f"at the official rate ({used}) {amount:,.2f} {source} is {exact:,.2f} {target}, which does "
                    f"not round to the reported {reported:,.2f} at {digits} significant digits; check the amounts, "
                    "currencies, date and converted_bound",
                )
            )
    return pd.concat([violations(errors, rule=RATE), violations(warnings, rule=NO_RATE)])


def check_figure(table: Table, tables: Tables) -> pd.DataFrame:
    """The amount converted is the figure's value or the bound named by ``converted_bound``."""
    if "figures" not in tables:
        return violations([])
    figures = tables["figures"].typed.drop_duplicates("figure_id").set_index("figure_id")
    t = table.typed.dropna(subset=["figure_id", "converted_bound"])
    found = []
    for line, row in t.iterrows():
        if row["figure_id"] not in figures.index or row["converted_bound"] not in BOUND_COLUMNS:
            continue
        figure = figures.loc[row["figure_id"]]
        bound = BOUND_COLUMNS[row["converted_bound"]]
        if pd.isna(figure["value_qualifier"]):
            continue  # the figure's qualifier is already reported by the Table Schema layer
        if (row["converted_bound"] == "value") == (figure["value_qualifier"] == RANGE):
            found.append(
                (
                    line,
                    "converted_bound",
                    (
                        f"converted_bound {row['converted_bound']} does not fit figure {row['figure_id']}, whose "
                        f"value_qualifier is {figure['value_qualifier']}; use low or high for a range, value otherwise"
                    ),
                )
            )
            continue
        expected = figure[bound]
        if pd.notna(expected) and pd.notna(row["from_amount"]) and float(expected) != float(row["from_amount"]):
            found.append(
                (
                    line,
                    "from_amount",
                    (
                        f"from_amount {row['from_amount']} is not the figure's {bound} ({expected}); "
                        "copy the amount the source converted"
                    ),
                )
            )
        currency = figure["currency_code"]
        if pd.notna(currency) and pd.notna(row["from_currency_code"]) and currency != row["from_currency_code"]:
            found.append(
                (
                    line,
                    "from_currency_code",
                    (f"from_currency_code {row['from_currency_code']} is not the figure's currency ({currency})"),
                )
            )
    return violations(found)


RULES = [
    Rule(
        RATE,
        ERROR,
        CONVERSIONS,
        "A conversion agrees with the official rate for its date, within the reported precision.",
        check_rates,
    ),
    Rule(
        NO_RATE,
        WARNING,
        CONVERSIONS,
        "A conversion with no official rate in the package can only be checked for consistency.",
        check_rates,
    ),
    Rule(
        "conversion-figure",
        ERROR,
        CONVERSIONS,
        "The amount converted is the figure's value, or the bound named by converted_bound.",
        check_figure,
    ),
]
