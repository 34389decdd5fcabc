"""What the package covers, by pair of countries: its bodies, the sessions found, their dates, the figures.

Read from the tables' cells as written (``text`` frames), so that a release and a working copy give the same
table. A session claim that disputes another (``disputes_session_id``) is the same session, not counted twice;
first and last dates are those of sessions held.

>>> import pandas as pd
>>> frames = {
...     "bodies": pd.DataFrame({"body_id": ["b"], "kind": ["commission"], "first_country_code": ["KAZ"],
...                             "second_country_code": ["AZE"]}),
...     "sessions": pd.DataFrame({"body_id": ["b", "b"], "status": ["held", "planned"],
...                               "held_on": ["2016-09-22", "2026"], "disputes_session_id": [None, None]}),
...     "figures": pd.DataFrame({"country_code": ["AZE"], "partner_country_code": ["KAZ"]}),
... }
>>> [(r["pair"], r["sessions"], r["held"], r["first"], r["figures"]) for r in pairs(frames)]
[('AZE-KAZ', 2, 1, '2016-09-22', 1)]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

#: ``sessions.status`` of a session that took place.
HELD = "held"


def _pair(first: object, second: object) -> str | None:
    codes = sorted(str(c) for c in (first, second) if pd.notna(c) and str(c))
    return "-".join(codes) if len(codes) == 2 else None


def pairs(frames: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """One row per pair of countries that has a body: kinds of its bodies, sessions (held), first and last held
    session, and figures about the pair."""
    bodies = frames["bodies"]
    pair_of = {
        body: _pair(a, b)
        for body, a, b in bodies[["body_id", "first_country_code", "second_country_code"]].itertuples(index=False)
    }
    sessions = frames["sessions"]
    sessions = sessions[sessions["disputes_session_id"].isna() | (sessions["disputes_session_id"] == "")]
    figures = frames["figures"]
    figure_pairs = pd.Series(
        [_pair(a, b) for a, b in figures[["country_code", "partner_country_code"]].itertuples(index=False)],
        dtype=object,
    ).value_counts()
    rows = []
    for pair in sorted({p for p in pair_of.values() if p}):
        ids = [body for body, p in pair_of.items() if p == pair]
        kinds = bodies[bodies["body_id"].isin(ids)]["kind"]
        own = sessions[sessions["body_id"].isin(ids)]
        held = own[own["status"] == HELD]["held_on"].replace("", None).dropna().sort_values()
        rows.append(
            {
                "pair": pair,
                "bodies": ", ".join(sorted(kinds)),
                "sessions": len(own),
                "held": int((own["status"] == HELD).sum()),
                "first": held.iloc[0] if len(held) else "",
                "last": held.iloc[-1] if len(held) else "",
                "figures": int(figure_pairs.get(pair, 0)),
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The coverage rows as a Markdown table (dates at the precision the sources give)."""
    lines = [
        "| countries | bodies | sessions (held) | first held | last held | figures |",
        "|---|---|---:|---|---|---:|",
    ]
    lines += [
        f"| {r['pair']} | {r['bodies']} | {r['sessions']} ({r['held']}) | {r['first']} | {r['last']} | {r['figures']} |"
        for r in rows
    ]
    total = (sum(r["sessions"] for r in rows), sum(r["held"] for r in rows), sum(r["figures"] for r in rows))
    lines.append(f"| **{len(rows)} pairs** | | **{total[0]} ({total[1]})** | | | **{total[2]}** |")
    return "\n".join(lines) + "\n"
