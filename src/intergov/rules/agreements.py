"""Rules on agreements and their parties, across tables.

- every agreement has at least two parties in ``agreement_parties``;
- an agreement signed at a commission session has among its parties both of
  that commission's countries.
"""

from __future__ import annotations

import pandas as pd

from intergov.findings import ERROR
from intergov.rules import Rule, Table, Tables, no_violations, violations


def _party_countries(tables: Tables) -> pd.Series:
    """Set of party countries per agreement id."""
    parties = tables.get("agreement_parties")
    if parties is None:
        return pd.Series(dtype=object)
    frame = parties.typed[["agreement_id", "country_code"]].dropna()
    return frame.groupby("agreement_id")["country_code"].agg(lambda codes: set(codes))


def check_party_count(table: Table, tables: Tables) -> pd.DataFrame:
    """Every agreement has at least two parties."""
    if "agreement_parties" not in tables:
        return no_violations()
    parties = tables["agreement_parties"].typed
    counts = parties["agreement_id"].value_counts()
    ids = table.typed["agreement_id"]
    count = ids.map(counts).fillna(0).astype(int)
    bad = ids.notna() & (count < 2)
    lines = table.typed.index[bad.to_numpy()]
    messages = [
        f"agreement {ids[line]} has {count[line]} part{'y' if count[line] == 1 else 'ies'} in "
        "agreement_parties; add a row for each party"
        for line in lines
    ]
    return violations(lines, "agreement_id", messages)


def check_commission_parties(table: Table, tables: Tables) -> pd.DataFrame:
    """An agreement signed at a commission session binds that commission's countries."""
    if not {"commission_sessions", "commissions"} <= set(tables):
        return no_violations()
    sessions = tables["commission_sessions"].typed.drop_duplicates("session_id").set_index("session_id")
    commissions = tables["commissions"].typed.drop_duplicates("commission_id").set_index("commission_id")
    members = commissions[["first_country_code", "second_country_code"]].apply(
        lambda row: {c for c in row if pd.notna(c)}, axis=1
    )
    session_members = sessions["commission_id"].map(members)
    parties = _party_countries(tables)
    found = []
    for line, agreement_id, session_id in table.typed[["agreement_id", "session_id"]].dropna().itertuples():
        needed = session_members.get(session_id)
        if not isinstance(needed, set):
            continue
        missing = needed - parties.get(agreement_id, set())
        if missing:
            found.append(
                (
                    line,
                    f"signed at session {session_id}, but {', '.join(sorted(missing))} is not among its "
                    "parties; add the party to agreement_parties or correct session_id",
                )
            )
    if not found:
        return no_violations()
    lines, messages = zip(*found, strict=True)
    return violations(lines, "session_id", messages)


RULES = [
    Rule(
        "agreement-parties",
        ERROR,
        ("agreements",),
        "Every agreement has at least two parties.",
        check_party_count,
    ),
    Rule(
        "agreement-parties-commission",
        ERROR,
        ("agreements",),
        "The parties of an agreement signed at a commission session include the commission's countries.",
        check_commission_parties,
    ),
]
