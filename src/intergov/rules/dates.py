"""Rules on dates: partial dates are real, periods run forwards, nothing predates its report.

A partial date (``2005``, ``2022-08``, ``2022-08-24``) stands for an interval
of days; comparisons use its bounds, so ``2022-08`` may end in ``2022``, but
not start after ``2022-07-31`` ends.

>>> earliest, latest = bounds(pd.Series(["2022-08", "2005", "2023-02-30"]))
>>> [str(d.date()) for d in earliest[:2]], [str(d.date()) for d in latest[:2]], bool(pd.isna(earliest[2]))
(['2022-08-01', '2005-01-01'], ['2022-08-31', '2005-12-31'], True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from intergov import schema as ts
from intergov.findings import ERROR
from intergov.rules import Rule, Table, Tables, flagged, violations
from intergov.rules.values import measure_property

#: (start, end) field pairs that must run forwards, per table.
PERIODS = {
    "agreements": [("valid_from", "valid_until")],
    "events": [("started_on", "ended_on")],
    "figures": [("period_start", "period_end")],
    "exchange_rates": [("valid_from", "valid_until")],
}

#: Fields dating something that happened, which its source cannot predate.
HAPPENED = {
    "agreements": "signed_on",
    "sessions": "held_on",
    "contracts": "signed_on",
    "events": "started_on",
    "person_roles": "held_on",
    "status_observations": "observed_on",
    "figures": "period_start",
}

#: ``sessions.status`` of a session that took place; a planned or announced one may follow its source.
HELD = "held"


def bounds(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last day of each partial date; ``NaT`` where the text is no real date.

    Each distinct value is parsed once (a daily rate table repeats its dates).
    """
    codes, distinct = pd.factorize(text.astype("string"), use_na_sentinel=True)
    distinct = pd.Series(distinct, dtype="string")
    length = distinct.str.len()
    full = distinct.where(length == 10)
    full = full.fillna(distinct.where(length == 7) + "-01").fillna(distinct.where(length == 4) + "-01-01")
    earliest = pd.to_datetime(full, format="%Y-%m-%d", errors="coerce")
    month_end = earliest + pd.offsets.MonthEnd(0)
    year_end = earliest + pd.offsets.YearEnd(0)
    latest = earliest.where(length == 10, month_end.where(length == 7, year_end))

    def spread(values: pd.Series) -> pd.Series:
        # a NaT appended last: the code -1 of a missing value picks it
        ends = values.to_numpy().astype("datetime64[ns]")
        return pd.Series(np.append(ends, np.datetime64("NaT", "ns"))[codes], index=text.index)

    return spread(earliest), spread(latest)


def _partial_fields(table: Table) -> list[str]:
    return [f["name"] for f in ts.fields(table.resource.schema) if ts.is_partial_date(f)]


def check_real(table: Table, tables: Tables) -> pd.DataFrame:
    """Every partial date is a real calendar date at its precision."""
    found = []
    for name in _partial_fields(table):
        values = table.typed[name]
        present = values.notna()
        earliest, _ = bounds(values)
        bad = present & earliest.isna()
        for line, value in values[bad].items():
            found.append((line, name, f"{value} is not a date on the calendar; write YYYY, YYYY-MM or YYYY-MM-DD"))
    return violations(found)


def check_order(table: Table, tables: Tables) -> pd.DataFrame:
    """A period (validity, event, reporting period) does not end before it starts."""
    t = table.typed
    found = []
    for start, end in PERIODS.get(table.resource.name, []):
        first, _ = bounds(t[start])
        _, last = bounds(t[end])
        found += [
            (line, end, f"{end} {t.at[line, end]} is before {start} {t.at[line, start]}; swap or correct them")
            for line in flagged(t, first.notna() & last.notna() & (first > last))
        ]
    return violations(found)


def check_reported(table: Table, tables: Tables) -> pd.DataFrame:
    """What a source reports as having happened is not dated after the source's publication."""
    name = HAPPENED[table.resource.name]
    sources = tables.get("sources")
    if sources is None or sources.typed.empty:
        return violations([])
    t = table.typed
    published = sources.typed.drop_duplicates("source_id").set_index("source_id")["published_on"]
    on = t["source_id"].map(published)
    _, last_day = bounds(on)
    first, _ = bounds(t[name])
    bad = first.notna() & last_day.notna() & (first > last_day)
    if "measure" in t:  # a target or forecast is about a period still to come
        bad &= measure_property(table, tables, "may_be_future").ne(True)
    if table.resource.name == "sessions":
        bad &= t["status"] == HELD
    return violations(
        (
            line,
            name,
            f"{name} {t.at[line, name]} is after its source {t.at[line, 'source_id']} "
            f"was published ({on[line]}); check the date or the source",
        )
        for line in flagged(t, bad)
    )


def check_session_order(table: Table, tables: Tables) -> pd.DataFrame:
    """A body's sessions are numbered in date order.

    Each session is compared with the one numbered just before it, so one
    misdated session is reported once, where the order breaks. A claim that
    disputes another source's (``disputes_session_id``) is left to the
    conflict rule.
    """
    frame = table.typed[["body_id", "ordinal", "held_on"]][table.typed["disputes_session_id"].isna()].copy()
    frame["first"], frame["last"] = bounds(frame["held_on"])
    frame = frame.dropna(subset=["body_id", "ordinal", "first"])
    found = []
    for _, sessions in frame.sort_values("ordinal").groupby("body_id", sort=False):
        previous = pd.Series(sessions.index, index=sessions.index).shift(1)
        out_of_order = (sessions["first"].shift(1) > sessions["last"]).to_numpy()
        for line in sessions.index[out_of_order]:
            earlier = int(previous[line])
            found.append(
                (
                    line,
                    "held_on",
                    f"session {sessions.at[line, 'ordinal']} is dated {sessions.at[line, 'held_on']}, "
                    f"before session {frame.at[earlier, 'ordinal']} on line {earlier} "
                    f"({frame.at[earlier, 'held_on']}); check the numbers and dates",
                )
            )
    return violations(found)


RULES = [
    Rule("date-real", ERROR, None, "Partial dates are real calendar dates at their precision.", check_real),
    Rule("date-order", ERROR, tuple(PERIODS), "A period does not end before it starts.", check_order),
    Rule(
        "date-reported",
        ERROR,
        tuple(HAPPENED),
        "Nothing a source reports as having happened is dated after the source was published.",
        check_reported,
    ),
    Rule(
        "session-order",
        ERROR,
        ("sessions",),
        "A body's sessions are numbered in date order.",
        check_session_order,
    ),
]
