"""Rules on provenance: sources can be found, and rows that name a record by table point at one that exists.

``corroborations`` lists further sources for a record that already cites its
own source; ``status_observations`` dates the status of a project or a body;
``conflicts`` pairs records that disagree. Each names a record by table and primary key, which no Table Schema foreign
key can express (the target table varies by row).
"""

from __future__ import annotations

import pandas as pd

from intergov import schema as ts
from intergov.findings import ERROR, WARNING
from intergov.rules import Rule, Table, Tables, flagged, violations

#: The rules of :func:`check_corroborations`: the record exists; it cites another source.
RECORD, SOURCE = "corroboration-record", "corroboration-source"


def _records(tables: Tables, names: set[str]) -> pd.DataFrame:
    """The records of the tables ``names``: columns table_name, record_id and own (the record's source_id).

    Only tables with a one-field primary key and a ``source_id`` can be named.
    """
    frames = []
    for name in sorted(names):
        table = tables.get(name)
        key = ts.primary_key(table.resource.schema) if table is not None else []
        if len(key) != 1 or "source_id" not in table.typed:
            continue
        own = table.typed[[key[0], "source_id"]].dropna().drop_duplicates(key[0])
        frames.append(pd.DataFrame({"table_name": name, "record_id": own[key[0]], "own": own["source_id"]}))
    if not frames:
        return pd.DataFrame({"table_name": [], "record_id": [], "own": []}, dtype="string")
    return pd.concat(frames, ignore_index=True).astype("string")


def owners(rows: pd.DataFrame, tables: Tables) -> tuple[pd.Series, list[tuple[int, str, str]]]:
    """The source each named record cites (missing where there is no such record), and a violation per missing one.

    ``rows`` has the columns table_name and record_id, indexed by line.
    """
    records = _records(tables, set(rows["table_name"]))
    own = rows.merge(records, on=["table_name", "record_id"], how="left")["own"].set_axis(rows.index)
    missing = [
        (
            line,
            "record_id",
            f"no record {rows.at[line, 'record_id']!r} in {rows.at[line, 'table_name']}; "
            "correct record_id or table_name",
        )
        for line in flagged(rows, own.isna())
    ]
    return own, missing


def check_corroborations(table: Table, tables: Tables) -> pd.DataFrame:
    """Each corroborated record exists (``RECORD``) and cites another source than this row (``SOURCE``)."""
    rows = table.typed[["table_name", "record_id", "source_id"]].dropna()
    own, missing = owners(rows, tables)
    same = [
        (
            line,
            "source_id",
            f"{rows.at[line, 'record_id']} in {rows.at[line, 'table_name']} already cites "
            f"{rows.at[line, 'source_id']}; remove this row",
        )
        for line in flagged(rows, own == rows["source_id"])
    ]
    return pd.concat([violations(missing, rule=RECORD), violations(same, rule=SOURCE)])


def check_records(table: Table, tables: Tables) -> pd.DataFrame:
    """Each record a row names by table and key exists (both records of a ``conflicts`` row)."""
    found = owners(table.typed[["table_name", "record_id"]].dropna(), tables)[1]
    if "other_record_id" in table.typed:
        other = table.typed[["other_table_name", "other_record_id"]].dropna()
        other.columns = ["table_name", "record_id"]
        found += [(line, "other_record_id", message) for line, _, message in owners(other, tables)[1]]
    return violations(found)


def check_locator(table: Table, tables: Tables) -> pd.DataFrame:
    """A source can be found: by its URL, by its outlet and article number, or as a note says it is cited; a date
    says where it was read."""
    t = table.typed
    found = [
        (
            line,
            "url",
            "a source needs a URL, the outlet's article number in article_number, or how it is cited in "
            "citation_note; fill in one",
        )
        for line in flagged(t, t["url"].isna() & t["article_number"].isna() & t["citation_note"].isna())
    ]
    found += [
        (line, "published_on_basis", "say where the date was read: page, url_path or dateline")
        for line in flagged(t, t["published_on"].notna() & t["published_on_basis"].isna())
    ]
    found += [
        (line, "published_on_basis", "published_on_basis without published_on; empty it or fill in the date")
        for line in flagged(t, t["published_on"].isna() & t["published_on_basis"].notna())
    ]
    return violations(found)


RULES = [
    Rule(RECORD, ERROR, ("corroborations",), "A corroboration names a record that exists.", check_corroborations),
    Rule(
        SOURCE,
        WARNING,
        ("corroborations",),
        "A corroboration comes from a source other than the record's own.",
        check_corroborations,
    ),
]
RULES += [
    Rule(
        "record-exists",
        ERROR,
        ("status_observations", "conflicts"),
        "A status observation, or a conflict, names records that exist.",
        check_records,
    ),
    Rule(
        "source-locator",
        ERROR,
        ("sources",),
        "A source has a URL or an article number, and its date says where it was read.",
        check_locator,
    ),
]
