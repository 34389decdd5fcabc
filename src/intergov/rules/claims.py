"""Rules on claims: sources that disagree are surfaced together, never resolved.

Two figures claim the same thing when they share measure, countries, period,
unit and currency, and the project, session or event they are about; a figure
about none of these (no countries, no project, session or event) is compared
with nothing. Each claim stands for an interval: its value give or take
half a unit of its last significant digit (``significant_digits``, or the digits
up to the last non-zero one), widened to one side for a bound and to both
bounds for a range. Claims whose intervals have no point in common conflict.
A stated change implies a claim about the period before (year on year: the
same months a year earlier; on the previous period, or on a basis not stated:
the year before a whole year), which joins the claims about that period:
``470 million, +50%`` for 2024 implies about 313 million for 2023.

A session claim that another source disputes names the first claim in
``disputes_session_id``, and a figure may name one in ``disputes_figure_id``
(a conflict no value comparison shows); all claims about it are listed
together. Exchange rates of one issuer, pair and type for the same period (or,
without a year, the same note) conflict when they differ beyond the decimals
they are written with. Each pair of records in the ``conflicts`` table is
listed as it stands.

>>> half_unit(Decimal("461900000"), None), half_unit(Decimal("460000000"), None), half_unit(Decimal("460000000"), 3)
(Decimal('5E+4'), Decimal('5E+6'), Decimal('5E+5'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from intergov.findings import ERROR, WARNING
from intergov.rules import Rule, Table, Tables, violations
from intergov.rules.provenance import owners
from intergov.rules.values import measure_property

CONFLICT, DISPUTE = "claims-conflict", "claims-dispute"

#: How every conflict's message ends: nothing is resolved.
KEPT = "Each claim is kept with its source"

#: The fields of a session that a disputing claim may state differently.
SESSION_FACTS = ("ordinal", "status", "held_on", "city", "host_country_code")

_INFINITY = Decimal("Infinity")


@dataclass(frozen=True)
class Claim:
    """One claim about a quantity: the interval it stands for, and how to name it in a message."""

    low: Decimal
    high: Decimal
    line: int
    label: str


def half_unit(value: Decimal, digits: int | None) -> Decimal:
    """Half a unit of the last significant digit of ``value`` (``digits`` significant digits when given)."""
    exponent = value.normalize().as_tuple().exponent if digits is None else value.adjusted() - digits + 1
    return Decimal(5).scaleb(int(exponent) - 1)


def _decimal(text: object) -> Decimal | None:
    try:
        return Decimal(str(text).strip()) if pd.notna(text) else None
    except InvalidOperation:
        return None


def _decimals_half(text: object) -> Decimal:
    """Half a unit of the last decimal written (``40``: 0.5; ``14.3``: 0.05): a percent's own precision."""
    exponent = _decimal(text).as_tuple().exponent  # type: ignore[union-attr]
    return Decimal(5).scaleb(min(int(exponent), 0) - 1)


def _interval(qualifier: str, low: Decimal, high: Decimal | None, digits: int | None) -> tuple[Decimal, Decimal]:
    lo = low - half_unit(low, digits)
    hi = (high if high is not None else low) + half_unit(high if high is not None else low, digits)
    if qualifier == "lower_bound":
        return lo, _INFINITY
    if qualifier == "upper_bound":
        return -_INFINITY, hi
    return lo, hi


def _shift_year(partial: object) -> object:
    """The same partial date a year earlier (``2024-06`` -> ``2023-06``); missing stays missing."""
    if pd.isna(partial):
        return partial
    text = str(partial)
    return f"{int(text[:4]) - 1:04d}{text[4:]}"


def _shown(value: Decimal) -> str:
    return format(value.quantize(Decimal(1)) if abs(value) >= 1 else value.normalize(), "f")


#: What two figures must share to be claims about one quantity (with their countries and period).
FIGURE_KEY = ["measure", "currency_code", "unit_code", "per_period", "project_id", "session_id", "event_id"]

#: What two exchange rates must share to be claims about one rate (with their period, or dateless note).
RATE_KEY = ["issuer_organisation_id", "base_currency_code", "quote_currency_code", "rate_type"]


def _shared(keys: pd.DataFrame) -> pd.Series:
    """Whether each row's ``keys`` (missing values equal to each other) are another row's too.

    >>> _shared(pd.DataFrame({"a": ["x", "x", "y"], "b": [None, None, None]})).tolist()
    [True, True, False]
    """
    return keys.astype(object).fillna("").duplicated(keep=False)


def _figure_claims(table: Table, tables: Tables) -> dict[tuple, list[Claim]]:
    """Every claim of ``figures``, stated or implied by a change, grouped by what it is about."""
    t, text = table.typed, table.text
    directional = measure_property(table, tables, "is_directional").eq(True)
    groups: dict[tuple, list[Claim]] = {}
    valued = t[(t["value_qualifier"].ne("not_stated") & t["value_low"].notna()).fillna(False).astype(bool)]
    # only figures that share what they are about with another can conflict (a period aside: a change's
    # implied claim is about another one); the others are never grouped
    first, second = valued["country_code"].fillna(""), valued["partner_country_code"].fillna("")
    pair = first.where(first < second, second) + "-" + second.where(first < second, first)
    rows = valued[_shared(valued[FIGURE_KEY].assign(pair=pair))].astype(object)
    rows = rows.where(rows.notna(), None)
    for line, row in rows.iterrows():
        low = _decimal(text.at[line, "value_low"])
        high = _decimal(text.at[line, "value_high"]) if pd.notna(row["value_high"]) else None
        if low is None:
            continue
        digits = int(row["significant_digits"]) if pd.notna(row["significant_digits"]) else None
        countries = (row["country_code"], row["partner_country_code"])
        if not directional[line]:
            countries = tuple(sorted(c for c in countries if pd.notna(c)))
        unit = (row["currency_code"], row["unit_code"], row["per_period"])
        about = (row["project_id"], row["session_id"], row["event_id"])
        if not any(pd.notna(c) for c in countries) and not any(pd.notna(a) for a in about):
            continue  # about no one thing: two such amounts are not claims about the same quantity
        period = (row["period_start"], row["period_end"], row["as_of"])
        key = (row["measure"], countries, (*unit, *about))
        lo, hi = _interval(row["value_qualifier"], low, high, digits)
        unit_name = next((str(u) for u in unit[:2] if pd.notna(u)), "")
        stated = f"{_shown(low)}{'-' + _shown(high) if high is not None else ''} {unit_name}".strip()
        where = f"{row['source_id']}, line {line}"
        groups.setdefault((*key, period), []).append(Claim(lo, hi, line, f"{stated} ({where})"))
        previous = _previous_period(row)
        change = _change(text, row, line)
        if previous is None or change is None or row["value_qualifier"] == "range":
            continue
        factor_low, factor_high, said = change
        implied = Claim(
            lo / factor_high if lo != -_INFINITY else lo,
            hi / factor_low if hi != _INFINITY else hi,
            line,
            f"{_shown(low / ((factor_low + factor_high) / 2))} {unit_name} implied by {said} on {stated} for "
            f"{_period_name(period)} ({where})",
        )
        groups.setdefault((*key, previous), []).append(implied)
    return groups


def _previous_period(row: pd.Series) -> tuple | None:
    """The period a stated change compares with, where the basis names one."""
    start, end, basis = row["period_start"], row["period_end"], row["change_basis"]
    if pd.isna(start) or pd.isna(end) or pd.notna(row["as_of"]):
        return None
    whole_year = start == end and len(str(start)) == 4
    if basis == "year_on_year" or (basis in ("previous_period", "not_stated") and whole_year):
        return (_shift_year(start), _shift_year(end), row["as_of"])
    return None


def _change(text: pd.DataFrame, row: pd.Series, line: int) -> tuple[Decimal, Decimal, str] | None:
    """The stated change as a factor (new over old), its bounds at the precision written, and how it reads."""
    if pd.notna(row["change_percent"]):
        cell = text.at[line, "change_percent"]
        percent, half = _decimal(cell), _decimals_half(cell)
        if percent is None:
            return None
        low, high = 1 + (percent - half) / 100, 1 + (percent + half) / 100
        return (low, high, f"{'+' if percent >= 0 else ''}{percent}%") if low > 0 else None
    if pd.notna(row["change_ratio"]):
        cell = text.at[line, "change_ratio"]
        ratio, half = _decimal(cell), _decimals_half(cell)
        if ratio is None or ratio - half <= 0:
            return None
        return ratio - half, ratio + half, f"{ratio} times"
    return None


def _period_name(period: tuple) -> str:
    start, end, as_of = (None if pd.isna(p) else str(p) for p in period)
    if as_of:
        return f"as of {as_of}"
    if start and end:
        return start if start == end else f"{start} to {end}"
    return start or end or "no stated period"


def _conflicting(claims: list[Claim]) -> bool:
    return max(c.low for c in claims) > min(c.high for c in claims)


def check_figures(table: Table, tables: Tables) -> pd.DataFrame:
    """Claims about the same quantity that disagree beyond their precision, and claims a curator marked as
    disputing another (``disputes_figure_id``): one warning per set, listing them all (``CONFLICT``). A dispute
    names a first claim of the same measure (``DISPUTE``)."""
    found, listed_together = [], []
    for (measure, countries, _unit, period), claims in _figure_claims(table, tables).items():
        if len({c.line for c in claims}) < 2 or not _conflicting(claims):
            continue
        pair = "-".join(str(c) for c in countries if pd.notna(c))
        about = " ".join(p for p in (measure, pair, _period_name(period)) if p)
        listed = "; ".join(c.label for c in sorted(claims, key=lambda c: c.line))
        listed_together.append({c.line for c in claims})
        found.append(
            (
                min(c.line for c in claims),
                "value_low",
                f"sources disagree on {about}: {listed}. {KEPT}; correct a value only if it was mistyped",
            )
        )
    t = table.typed
    errors, groups = _disputes(
        t, "figure_id", "disputes_figure_id", lambda first, line: _figure_problem(t, first, line)
    )
    for first, lines in groups.items():
        if any(set(lines) <= together for together in listed_together):
            continue
        listed = "; ".join(_figure_label(table, line) for line in lines)
        found.append(
            (
                first,
                "value_low",
                f"sources disagree on {t.at[first, 'figure_id']}: {listed}. {KEPT}",
            )
        )
    return pd.concat([violations(found, rule=CONFLICT), violations(errors, rule=DISPUTE)])


def _figure_problem(t: pd.DataFrame, first: int, line: int) -> str | None:
    if t.at[first, "measure"] != t.at[line, "measure"]:
        return f"{t.at[line, 'disputes_figure_id']} measures {t.at[first, 'measure']}, not {t.at[line, 'measure']}"
    return None


def _figure_label(table: Table, line: int) -> str:
    """A figure as a claim: its value as written, unit, period and source."""
    t, text = table.typed, table.text
    value = text.at[line, "value_low"] if pd.notna(t.at[line, "value_low"]) else "no value"
    if pd.notna(t.at[line, "value_high"]):
        value += f"-{text.at[line, 'value_high']}"
    unit = next((str(t.at[line, c]) for c in ("currency_code", "unit_code") if pd.notna(t.at[line, c])), "")
    period = t.at[line, "period_note"]
    if pd.isna(period):
        period = _period_name((t.at[line, "period_start"], t.at[line, "period_end"], t.at[line, "as_of"]))
    return f"{value} {unit} for {period} ({t.at[line, 'source_id']}, line {line})".replace("  ", " ")


def _disputes(
    t: pd.DataFrame, key: str, disputes: str, problem: Callable[[int, int], str | None]
) -> tuple[list, dict[int, list[int]]]:
    """The rows that dispute another: violations of ``DISPUTE``, and each first claim's line with the lines of
    all claims about it. ``problem(first, line)`` says what else is wrong with a dispute, if anything."""
    line_of = pd.Series(t.index, index=t[key]).groupby(level=0).first()
    errors, groups = [], {}
    for line, target in t[disputes].dropna().items():
        first = line_of.get(target)
        if first is None:
            continue  # the foreign key reports it
        if first == line:
            found = "a claim cannot dispute itself; name the first claim about it"
        elif pd.notna(t.at[first, disputes]):
            found = f"{target} disputes another claim itself; name the first claim, {t.at[first, disputes]}"
        else:
            found = problem(first, line)
        if found:
            errors.append((line, disputes, found))
        else:
            groups.setdefault(first, [first]).append(line)
    return errors, groups


def _session_label(t: pd.DataFrame, line: int) -> str:
    facts = ", ".join(f"{name} {t.at[line, name]}" for name in SESSION_FACTS if pd.notna(t.at[line, name]))
    return f"{facts or 'no details'} ({t.at[line, 'source_id']}, line {line})"


def check_sessions(table: Table, tables: Tables) -> pd.DataFrame:
    """A disputing claim names a first claim about the same body and says something else (``DISPUTE``); each
    disputed session is listed with every claim about it (``CONFLICT``)."""
    t = table.typed.astype(object)
    t = t.where(t.notna(), None)

    def problem(first: int, line: int) -> str | None:
        target = t.at[line, "disputes_session_id"]
        if t.at[first, "body_id"] != t.at[line, "body_id"]:
            return f"{target} is a session of {t.at[first, 'body_id']}, not of {t.at[line, 'body_id']}"
        if all(_same(t.at[first, name], t.at[line, name]) for name in SESSION_FACTS):
            return f"agrees with {target} in every detail; record this source in corroborations instead"
        return None

    errors, groups = _disputes(t, "session_id", "disputes_session_id", problem)
    warnings = [
        (
            first,
            "session_id",
            f"sources disagree on session {t.at[first, 'session_id']}: "
            + "; ".join(_session_label(t, line) for line in lines)
            + f". {KEPT}",
        )
        for first, lines in groups.items()
    ]
    return pd.concat([violations(errors, rule=DISPUTE), violations(warnings, rule=CONFLICT)])


def _same(a: object, b: object) -> bool:
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def check_rates(table: Table, tables: Tables) -> pd.DataFrame:
    """Rates of one issuer, pair and type for the same period (or the same dateless note) that differ beyond the
    decimals they are written with: one warning listing them all."""
    t, text = table.typed, table.text
    rows = t.dropna(subset=["rate", "base_currency_code", "quote_currency_code"])
    when_note = rows["note"].where(rows["valid_from"].isna())
    coarse = [*RATE_KEY, "valid_until"]
    rows = rows[_shared(rows[coarse].assign(valid_from=rows["valid_from"], note=when_note))].astype(object)
    rows = rows.where(rows.notna(), None)
    groups: dict[tuple, list[Claim]] = {}
    for line, row in rows.iterrows():
        rate, units = _decimal(text.at[line, "rate"]), _decimal(text.at[line, "units"]) or Decimal(1)
        if rate is None:
            continue
        half = _decimals_half(text.at[line, "rate"])
        when = (row["valid_from"], row["valid_until"], None if row["valid_from"] else row["note"])
        if not any(when):
            continue
        key = (
            row["issuer_organisation_id"],
            row["base_currency_code"],
            row["quote_currency_code"],
            row["rate_type"],
            when,
        )
        pair = f"{row['quote_currency_code']} per {units} {row['base_currency_code']}"
        label = f"{rate} {pair} ({row['source_id']}, line {line})"
        groups.setdefault(key, []).append(Claim((rate - half) / units, (rate + half) / units, line, label))
    found = []
    for (issuer, base, quote, kind, when), claims in groups.items():
        if len(claims) < 2 or not _conflicting(claims):
            continue
        period = _period_name((when[0], when[1], None)) if when[0] else when[2]
        about = f"the {kind} {base}/{quote} rate of {issuer or 'an unnamed issuer'} for {period}"
        listed = "; ".join(c.label for c in sorted(claims, key=lambda c: c.line))
        found.append(
            (
                min(c.line for c in claims),
                "rate",
                f"sources disagree on {about}: {listed}. {KEPT}",
            )
        )
    return violations(found, rule=CONFLICT)


def check_listed(table: Table, tables: Tables) -> pd.DataFrame:
    """Each pair of records the ``conflicts`` table names: one warning listing both, with their sources."""
    t = table.typed
    rows = t.dropna(subset=["table_name", "record_id", "other_table_name", "other_record_id"])
    first, _ = owners(rows[["table_name", "record_id"]], tables)
    other = rows[["other_table_name", "other_record_id"]].set_axis(["table_name", "record_id"], axis=1)
    second, _ = owners(other, tables)
    found = [
        (
            line,
            "about",
            f"sources disagree on {t.at[line, 'about']}: {t.at[line, 'table_name']} {t.at[line, 'record_id']} "
            f"({first[line]}); {t.at[line, 'other_table_name']} {t.at[line, 'other_record_id']} ({second[line]}). "
            f"{KEPT}",
        )
        for line in rows.index
        if pd.notna(first[line]) and pd.notna(second[line])  # a missing record is record-exists's finding
    ]
    return violations(found, rule=CONFLICT)


def check_claims(table: Table, tables: Tables) -> pd.DataFrame:
    """The conflicts among ``figures`` or ``exchange_rates``, the disputes and conflicts among ``sessions``, and
    the pairs ``conflicts`` names."""
    checks = {
        "figures": check_figures,
        "exchange_rates": check_rates,
        "sessions": check_sessions,
        "conflicts": check_listed,
    }
    return checks[table.resource.name](table, tables)


RULES = [
    Rule(
        CONFLICT,
        WARNING,
        ("figures", "sessions", "exchange_rates", "conflicts"),
        "Claims of different sources that disagree beyond their precision are listed together.",
        check_claims,
    ),
    Rule(
        DISPUTE,
        ERROR,
        ("figures", "sessions"),
        "A claim that disputes another names the first claim about the same thing (body, measure), and differs.",
        check_claims,
    ),
]
