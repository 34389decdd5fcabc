"""Rules on agreements and their parties, across tables.

- an agreement whose parties are given has at least two in ``agreement_parties`` (a source that names
  none leaves them out);
- an agreement signed at a session of a body (a commission, a council) has
  among its parties both of that body's countries.
"""

from __future__ import annotations

import pandas as pd

from intergov.findings import ERROR
from intergov.messages import plural
from intergov.rules import Rule, Table, Tables, flagged, violations


def _party_countries(tables: Tables) -> dict[str, set[str]]:
    """Set of party countries per agreement id.

    Plain Python sets: pandas would store sets in a frame as arrow lists.
    """
    parties = tables.get("agreement_parties")
    if parties is None:
        return {}
    found: dict[str, set[str]] = {}
    for agreement_id, code in parties.typed[["agreement_id", "country_code"]].dropna().itertuples(index=False):
        found.setdefault(agreement_id, set()).add(code)
    return found


def check_party_count(table: Table, tables: Tables) -> pd.DataFrame:
    """An agreement whose parties are given has at least two; none at all means the source names none."""
    if "agreement_parties" not in tables:
        return violations([])
    parties = tables["agreement_parties"].typed
    counts = parties["agreement_id"].value_counts()
    ids = table.typed["agreement_id"]
    count = ids.map(counts).fillna(0).astype(int)
    return violations(
        (
            line,
            "agreement_id",
            f"agreement {ids[line]} has {plural(count[line], 'party', 'parties')} in agreement_parties; "
            "add a row for each party the source names (or none, where it names none)",
        )
        for line in flagged(table.typed, ids.notna() & (count == 1))
    )


def check_commission_parties(table: Table, tables: Tables) -> pd.DataFrame:
    """An agreement signed at a session of a body, whose parties are given, binds that body's countries."""
    if not {"sessions", "bodies"} <= set(tables):
        return violations([])
    bodies = tables["bodies"].typed[["body_id", "first_country_code", "second_country_code"]]
    members: dict[str, set[str]] = {}
    for body_id, first, second in bodies.dropna(subset=["body_id"]).itertuples(index=False):
        members.setdefault(body_id, {c for c in (first, second) if pd.notna(c)})
    sessions = tables["sessions"].typed[["session_id", "body_id"]].dropna()
    session_members: dict[str, set[str]] = {}
    for session_id, body_id in sessions.itertuples(index=False):
        session_members.setdefault(session_id, members.get(body_id, set()))
    parties = _party_countries(tables)
    found = []
    for line, agreement_id, session_id in table.typed[["agreement_id", "session_id"]].dropna().itertuples():
        needed = session_members.get(session_id)
        if not needed or agreement_id not in parties:  # a source that names no parties: nothing to compare
            continue
        missing = needed - parties.get(agreement_id, set())
        if missing:
            found.append(
                (
                    line,
                    "session_id",
                    f"signed at session {session_id}, but {', '.join(sorted(missing))} is not among its "
                    "parties; add the party to agreement_parties or correct session_id",
                )
            )
    return violations(found)


RULES = [
    Rule(
        "agreement-parties",
        ERROR,
        ("agreements",),
        "An agreement whose parties are given has at least two.",
        check_party_count,
    ),
    Rule(
        "agreement-parties-commission",
        ERROR,
        ("agreements",),
        "The parties of an agreement signed at a session of a body include the body's countries.",
        check_commission_parties,
    ),
]
