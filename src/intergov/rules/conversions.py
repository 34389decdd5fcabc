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
>>> agrees([294_499_999.0, 294_500_001.0], [294_000_000, 294_000_000], [3, 3]).tolist()
[True, False]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from intergov.findings import ERROR, WARNING
from intergov.rules import Rule, Table, Tables, flagged, violations
from intergov.rules.dates import bounds
from intergov.rules.values import RANGE

CONVERSIONS = ("currency_conversions",)

#: The rules of :func:`check_rates`: a conversion off the official rate, one with no official rate, and one off
#: the rate as its source gives it (``is_source_inconsistent``).
RATE, NO_RATE, DOUBT = "conversion-rate", "conversion-no-rate", "conversion-doubt"

#: The figure's value column that each ``converted_bound`` names.
BOUND_COLUMNS = {"value": "value_low", "low": "value_low", "high": "value_high"}


def tolerance(reported, significant_digits):
    """Half a unit of the last significant digit of ``reported`` (a number, or arrays of them; 0 for 0)."""
    reported = np.abs(np.asarray(reported, dtype="float64"))
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log10(reported)) - np.asarray(significant_digits, dtype="float64") + 1
    found = np.where(reported == 0, 0.0, 0.5 * 10.0**exponent)
    return float(found) if found.ndim == 0 else found


def agrees(exact, reported, significant_digits):
    """Whether ``exact`` rounds to ``reported`` at ``significant_digits`` (with float slack), element-wise."""
    exact, reported = np.asarray(exact, dtype="float64"), np.asarray(reported, dtype="float64")
    slack = 1e-9 * np.maximum(np.abs(exact), np.abs(reported))
    found = np.abs(exact - reported) <= tolerance(reported, significant_digits) + slack
    return bool(found) if found.ndim == 0 else found


#: ``exchange_rates.rate_type`` of the rates a conversion is checked against.
OFFICIAL = "official"


def _quotes(rates: pd.DataFrame) -> pd.DataFrame:
    """Official prices: ``price`` units of ``quote`` per unit of ``currency``, valid ``first`` to ``last``.

    Only official rates count (an auction or market rate, an average, never). Each
    quote currency of an issuer also costs exactly 1 of itself, always, so that
    a direct rate and a cross rate are found the same way.
    """
    rates = rates[rates["rate_type"] == OFFICIAL]
    first, _ = bounds(rates["valid_from"])
    _, last = bounds(rates["valid_until"])
    frame = pd.DataFrame(
        {
            "issuer": rates["issuer_organisation_id"],
            "currency": rates["base_currency_code"],
            "quote": rates["quote_currency_code"],
            "price": rates["rate"].astype("float64") / rates["units"].astype("float64"),
            "first": first.astype("datetime64[ns]"),
            "last": last.astype("datetime64[ns]"),
            "rate_id": rates["rate_id"].fillna(""),  # a rejected id still names a usable rate
        }
    ).dropna(subset=["issuer", "currency", "quote", "price", "first"])
    own = frame[["issuer", "quote"]].drop_duplicates()
    own = own.assign(currency=own["quote"], price=1.0, first=pd.Timestamp.min, last=pd.NaT, rate_id="")
    return pd.concat([frame, own[frame.columns]], ignore_index=True).astype({"first": "datetime64[ns]"})


def _prices(conversions: pd.DataFrame, side: str, quotes: pd.DataFrame) -> pd.DataFrame:
    """Per conversion row, the price of its ``side`` currency in each quote currency, valid on its date."""
    left = pd.DataFrame({"row": conversions.index, "currency": conversions[side], "on": conversions["on"]})
    left = left.merge(quotes[["issuer", "currency", "quote"]].drop_duplicates(), on="currency")
    if left.empty:
        return left.assign(price=[], rate_id=[])
    latest = pd.merge_asof(
        left.sort_values("on"),
        quotes[["issuer", "currency", "quote", "first"]].drop_duplicates().sort_values("first"),
        left_on="on",
        right_on="first",
        by=["issuer", "currency", "quote"],
        direction="backward",
    )
    # every rate that starts then: sources that disagree on it are each a candidate
    found = latest.dropna(subset=["first"]).merge(quotes, on=["issuer", "currency", "quote", "first"])
    valid = found["price"].notna() & (found["last"].isna() | (found["on"] <= found["last"]))
    return found.loc[valid, ["row", "issuer", "quote", "price", "rate_id"]]


def official_results(conversions: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Every official result of each conversion: columns ``row``, ``exact`` and ``used`` (the rate ids).

    ``conversions`` needs ``from_amount``, ``from_currency_code``,
    ``to_currency_code`` and ``on`` (the date). There is one result for each
    issuer and quote currency that price both currencies on that date (a direct
    rate, or a cross rate through the quote currency), in sorted order, and one
    more for each further source that claims another rate from the same day; a
    row without any official rate has none.
    """
    quotes = _quotes(rates)
    source = _prices(conversions, "from_currency_code", quotes)
    target = _prices(conversions, "to_currency_code", quotes)
    both = source.merge(target, on=["row", "issuer", "quote"], suffixes=("_from", "_to"))
    both = both.sort_values(["row", "issuer", "quote"], ignore_index=True)
    amount = conversions["from_amount"].astype("float64").reindex(both["row"]).to_numpy()
    pairs = zip(both["rate_id_from"], both["rate_id_to"], strict=True)
    return pd.DataFrame(
        {
            "row": both["row"],
            "exact": amount * both["price_from"].to_numpy() / both["price_to"].to_numpy(),
            "used": [" and ".join(dict.fromkeys(r for r in pair if r)) for pair in pairs],
        }
    )


def check_rates(table: Table, tables: Tables) -> pd.DataFrame:
    """Each complete conversion against the official rates for its date and pair (rules ``RATE`` and ``NO_RATE``).

    A conversion that agrees with no official rate (of any issuer, direct or
    cross) within the reported precision violates ``RATE``; one with no
    official rate in the package is only checked for consistency, and flagged
    under ``NO_RATE``.
    """
    needed = ["from_amount", "from_currency_code", "to_amount", "to_currency_code", "to_amount_significant_digits"]
    undated = table.typed.dropna(subset=needed)
    rows = undated.dropna(subset=["applies_on"])
    undated = undated[undated["applies_on"].isna()]
    rows = rows.assign(on=rows["applies_on"].astype("datetime64[ns]"))
    if "exchange_rates" in tables:
        results = official_results(rows, tables["exchange_rates"].typed)
    else:
        results = pd.DataFrame({"row": [], "exact": [], "used": []})
    reported = rows["to_amount"].astype("float64")
    digits = rows["to_amount_significant_digits"].astype("int64")
    results = results.assign(
        agrees=agrees(results["exact"], reported.reindex(results["row"]), digits.reindex(results["row"]))
    )
    agreeing = results.groupby("row")["agrees"].any()
    first = results.drop_duplicates("row").set_index("row")
    noted = rows["is_source_inconsistent"].fillna(False).astype(bool)

    def official(line: int) -> str:
        return (
            f"at the official rate ({first.at[line, 'used']}) {rows.at[line, 'from_amount']:,.2f} "
            f"{rows.at[line, 'from_currency_code']} is {first.at[line, 'exact']:,.2f} "
            f"{rows.at[line, 'to_currency_code']}, which does not round to the reported {reported[line]:,.2f} at "
            f"{digits[line]} significant digits"
        )

    off = agreeing.index[~agreeing.to_numpy(dtype=bool)]
    errors = [
        (line, "to_amount", official(line) + "; check the amounts, currencies, date and converted_bound")
        for line in off
        if not noted[line]
    ]
    errors += [
        (
            line,
            "is_source_inconsistent",
            f"marked inconsistent, but it agrees with the official rate ({first.at[line, 'used']}); empty "
            "is_source_inconsistent",
        )
        for line in agreeing.index[agreeing.to_numpy(dtype=bool)]
        if noted[line]
    ]
    doubts = [
        (line, "to_amount", official(line) + ": the source's own conversion is off, as is_source_inconsistent notes")
        for line in off
        if noted[line]
    ]
    warnings = [
        (
            line,
            "to_amount",
            f"no official {rows.at[line, 'from_currency_code']}/{rows.at[line, 'to_currency_code']} rate for "
            f"{rows.at[line, 'on'].date()} in exchange_rates, so this conversion (implying "
            f"{rows.at[line, 'from_amount'] / reported[line]:.6g} {rows.at[line, 'from_currency_code']} per "
            f"{rows.at[line, 'to_currency_code']}) is only checked for consistency; add the official rate to check it",
        )
        for line in rows.index[~rows.index.isin(agreeing.index)]
    ]
    warnings += [
        (
            line,
            "applies_on",
            "the report gives no full date for this conversion, so no official rate can check it; it is only "
            "checked for consistency",
        )
        for line in undated.index
    ]
    return pd.concat(
        [violations(errors, rule=RATE), violations(warnings, rule=NO_RATE), violations(doubts, rule=DOUBT)]
    )


def check_figure(table: Table, tables: Tables) -> pd.DataFrame:
    """The amount converted is the figure's value or the bound named by ``converted_bound``."""
    if "figures" not in tables:
        return violations([])
    first = tables["figures"].typed.drop_duplicates("figure_id")
    figures = first.set_index("figure_id")
    t = table.typed.dropna(subset=["figure_id", "converted_bound"])
    t = t[t["figure_id"].isin(figures.index) & t["converted_bound"].isin(list(BOUND_COLUMNS))]
    figure = figures.reindex(t["figure_id"]).set_axis(t.index)
    # the figure's cells as written, to quote them (a typed value would show as 22800000000.0 or inf)
    written = tables["figures"].text.reindex(first.index).set_axis(first["figure_id"])
    written = written.reindex(t["figure_id"]).set_axis(t.index)
    known = figure["value_qualifier"].notna()  # a rejected qualifier is already reported by the Table Schema layer
    misfit = known & ((t["converted_bound"] == "value") == (figure["value_qualifier"] == RANGE))
    column = t["converted_bound"].map(BOUND_COLUMNS)
    expected = pd.Series(
        [figure.at[line, name] for line, name in column.items()],
        index=t.index,
        dtype="Float64",
    )
    amount_off = known & ~misfit & expected.notna() & t["from_amount"].notna() & (expected != t["from_amount"])
    currency_off = (
        known
        & ~misfit
        & figure["currency_code"].notna()
        & t["from_currency_code"].notna()
        & (figure["currency_code"] != t["from_currency_code"])
    )
    found = [
        (
            line,
            "converted_bound",
            f"converted_bound {t.at[line, 'converted_bound']} does not fit figure {t.at[line, 'figure_id']}, whose "
            f"value_qualifier is {figure.at[line, 'value_qualifier']}; use low or high for a range, value otherwise",
        )
        for line in flagged(t, misfit)
    ]
    found += [
        (
            line,
            "from_amount",
            f"from_amount {table.text.at[line, 'from_amount']} is not the figure's {column[line]} "
            f"({written.at[line, column[line]]}); copy the amount the source converted",
        )
        for line in flagged(t, amount_off)
    ]
    found += [
        (
            line,
            "from_currency_code",
            f"from_currency_code {t.at[line, 'from_currency_code']} is not the figure's currency "
            f"({figure.at[line, 'currency_code']})",
        )
        for line in flagged(t, currency_off)
    ]
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
        DOUBT,
        WARNING,
        CONVERSIONS,
        "A conversion its source gets wrong, as the curator notes, is listed with the official result.",
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
