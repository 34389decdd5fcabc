"""Rules on provenance: a corroboration points at a record that exists, from another source.

``corroborations`` lists further sources for a record that already cites its
own source. The record is named by table and primary key, which no Table
Schema foreign key can express (the target table varies by row).
"""

from __future__ import annotations

import pandas as pd

from intergov import schema as ts
from intergov.findings import ERROR, WARNING
from intergov.rules import Rule, Table, Tables, violations

#: The rules of :func:`check_corroborations`: the record exists; it cites another source.
RECORD, SOURCE = "corroboration-record", "corroboration-source"


def _records(tables: Tables) -> dict[tuple[str, str], str]:
    """(table, key) -> the record's own source_id, for tables with a one-field primary key."""
    records = {}
    for name, table in tables.items():
        key = ts.primary_key(table.resource.schema)
        if len(key) != 1 or "source_id" not in table.typed:
            continue
        for record_id, source_id in table.typed[[key[0], "source_id"]].dropna().itertuples(index=False):
            records[(name, record_id)] = source_id
    return records


def check_corroborations(table: Table, tables: Tables) -> pd.DataFrame:
    """Each corroborated record exists (``RECORD``) and cites another source than this row (``SOURCE``)."""
    records = _records(tables)
    missing, same = [], []
    for line, name, record_id, source_id in table.typed[["table_name", "record_id", "source_id"]].dropna().itertuples():
        own = records.get((name, record_id))
        if own is None:
            missing.append((line, "record_id", f"no record {record_id!r} in {name}; correct record_id or table_name"))
        elif own == source_id:
            same.append((line, "source_id", f"{record_id} in {name} already cites {source_id}; remove this row"))
    return pd.concat([violations(missing, rule=RECORD), violations(same, rule=SOURCE)])


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
