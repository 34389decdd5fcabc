"""The semantic layer: pandera rules on typed frames, across columns and tables.

Table Schema says what one field may hold; these rules say what it cannot: a
validity period that ends before it starts, parties that miss the
commission's countries, a currency conversion that disagrees with the official
rate. Each rule has a stable id, a severity and a check. A check takes the
table and all tables and returns its violations: a frame indexed by physical
line with the columns ``field`` and ``message`` (:func:`violations`). Rules
that share a check (one pass over the data finds the violations of both) share
its result: the check is run once per table, and its frame says each
violation's rule in a column ``rule``.

Per table, the rules become the checks of a pandera ``DataFrameSchema``; its
columns, derived from the Table Schema (:func:`intergov.schema.pandera_schema`),
are added only when the typed frame's columns or dtypes are not the declared ones
(:func:`pandera_schema`), so that a table of many columns pays nothing for them.
Pandera runs the checks lazily and collects every failure, so one rule's failure
never hides another's, and a rule that crashes becomes a finding, not a
traceback.

>>> sorted(r.id for r in RULES)[:3]
['agreement-parties', 'agreement-parties-commission', 'change-basis']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from intergov import schema as ts
from intergov.engine import Table
from intergov.findings import ERROR, WARNING, Finding, matches

Tables = Mapping[str, Table]
Check = Callable[[Table, Tables], pd.DataFrame]


@dataclass(frozen=True)
class Rule:
    """A semantic rule: ``check`` returns its violations (see :func:`violations`)."""

    id: str
    severity: str
    tables: tuple[str, ...] | None
    summary: str
    check: Check

    def applies(self, table: str) -> bool:
        """Whether the rule runs on ``table`` (``tables`` of ``None``: every table)."""
        return self.tables is None or table in self.tables


def violations(found: Iterable[tuple[int, str | None, str]], *, rule: str | None = None) -> pd.DataFrame:
    """A violations frame from ``(line, field, message)`` tuples (none: an empty frame).

    ``rule`` names the rule of every violation, for a check that serves several rules.

    >>> violations([(4, "signed_on", "not a date")]).to_dict("index")
    {4: {'field': 'signed_on', 'message': 'not a date'}}
    """
    rows = list(found)
    frame = pd.DataFrame(
        {"field": [field for _, field, _ in rows], "message": [message for _, _, message in rows]},
        index=pd.Index([line for line, _, _ in rows], name="line"),
    )
    if rule is not None:
        frame["rule"] = rule
    return frame


def flagged(frame: pd.DataFrame, mask: pd.Series) -> pd.Index:
    """The lines of ``frame`` where ``mask`` holds; a missing value in ``mask`` does not hold."""
    return frame.index[mask.fillna(False).astype(bool).to_numpy()]


#: Frames shorter than this are stacked into one contiguous array: a computation's cost per chunk would dominate.
_SHORT = 256


def stacked(frame: pd.DataFrame, names: list[str]) -> pa.ChunkedArray:
    """The text columns ``names`` of ``frame``, one after the other, as one array.

    A check tests every cell of many columns at once on it: cell ``k`` is row ``k % len(frame)``
    of column ``names[k // len(frame)]``. The text is not copied, unless the frame is
    short (:data:`_SHORT`).

    >>> frame = pd.DataFrame({"a": ["x", None], "b": ["y", "z"]}, dtype="string")
    >>> stacked(frame, ["b", "a"]).to_pylist()
    ['y', 'z', 'x', None]
    """
    chunks = []
    for name in names:
        values = pa.array(frame[name].array)
        chunks.extend(values.chunks if isinstance(values, pa.ChunkedArray) else [values])
    chunks = [chunk.cast(pa.large_string()) for chunk in chunks]
    if len(frame) < _SHORT and len(chunks) > 1:
        chunks = [pa.concat_arrays(chunks)]
    return pa.chunked_array(chunks, pa.large_string())


def _rules() -> list[Rule]:
    from intergov.rules import agreements, cells, claims, conversions, dates, provenance, values

    return [
        *dates.RULES,
        *values.RULES,
        *agreements.RULES,
        *conversions.RULES,
        *provenance.RULES,
        *claims.RULES,
        *cells.RULES,
    ]


RULES: list[Rule] = _rules()

#: Every other rule id a finding can carry, with its severity (for docs and --select): those of the
#: descriptor, text and Table Schema layers, ``rule-crashed`` of this layer, and those only ``intergov fmt`` gives.
STRUCTURE_RULES = {
    "descriptor-json": ERROR,
    "descriptor-invalid": ERROR,
    "descriptor-unreadable": ERROR,
    "descriptor-encoding": ERROR,
    "schema-json": ERROR,
    "schema-invalid": ERROR,
    "unsafe-path": ERROR,
    "missing-file": ERROR,
    "resource-unsupported": ERROR,
    "hash-count": ERROR,
    "byte-count": ERROR,
    "binary-file": ERROR,
    "encoding-error": ERROR,
    "byte-order-mark": WARNING,
    "line-endings": WARNING,
    "empty-file": ERROR,
    "unclosed-quote": ERROR,
    "quote-spans-rows": WARNING,
    "cell-too-large": ERROR,
    "malformed-quote": ERROR,
    "no-rows": WARNING,
    "frictionless-error": ERROR,
    "type-error": ERROR,
    "constraint-required": ERROR,
    "constraint-pattern": ERROR,
    "constraint-enum": ERROR,
    "constraint-minimum": ERROR,
    "constraint-maximum": ERROR,
    "constraint-length": ERROR,
    "unique-error": ERROR,
    "primary-key": ERROR,
    "foreign-key": ERROR,
    "blank-row": ERROR,
    "extra-cell": ERROR,
    "missing-cell": ERROR,
    "extra-label": ERROR,
    "missing-label": ERROR,
    "blank-label": ERROR,
    "duplicate-label": ERROR,
    "incorrect-label": ERROR,
    "blank-header": ERROR,
    "unmatched-header": ERROR,
    "rule-crashed": ERROR,
    "parquet-not-validated": WARNING,
    "format-dialect": ERROR,
    "format-failed": ERROR,
}

#: Every rule id a finding can carry.
RULE_IDS = frozenset({rule.id for rule in RULES} | set(STRUCTURE_RULES))


def unknown_patterns(patterns: Iterable[str]) -> list[str]:
    """The ``--select``/``--ignore`` patterns that match no rule id (a trailing ``-`` is a prefix).

    >>> unknown_patterns(["date-", "constraint-enm", "conversion-rate"])
    ['constraint-enm']
    """
    return [pattern for pattern in patterns if not any(matches(rule, [pattern]) for rule in RULE_IDS)]


def run(tables: Tables, reported: Iterable[Finding] = ()) -> list[Finding]:
    """Run every rule on every table it applies to; return the findings.

    A record that the Table Schema layer already ``reported`` an error on gets no semantic
    findings: its cells may be nulled, and a rule would only echo that
    (a rejected ``value_low`` is not a "missing value"). Fix those first.
    """
    skip: dict[str, set[int]] = {}
    for finding in reported:
        if finding.line is not None and finding.severity == ERROR:
            skip.setdefault(finding.path, set()).add(finding.line)
    findings: list[Finding] = []
    for name, table in tables.items():
        rules = [rule for rule in RULES if rule.applies(name)]
        if rules:
            found = _run_table(table, tables, rules)
            lines = skip.get(table.path, set())
            findings.extend(f for f in found if f.line not in lines)
    return findings


def pandera_schema(table: Table, tables: Tables, rules: list[Rule], results: dict[str, pd.DataFrame]):
    """The table's pandera schema: one check per rule, and derived columns where the typed frame needs checking.

    Each check records its violations in ``results`` (by rule id), so that the
    findings can carry the rule's own message for each failing row. A check
    function that several rules share runs once.
    """
    import pandera.pandas as pa

    ran: dict[Check, pd.DataFrame] = {}

    def make(rule: Rule) -> pa.Check:
        def check(frame: pd.DataFrame) -> pd.Series:
            if rule.check not in ran:
                ran[rule.check] = rule.check(table, tables)
            found = ran[rule.check]
            if "rule" in found.columns:
                found = found[found["rule"] == rule.id]
            results[rule.id] = found
            return pd.Series(~frame.index.isin(found.index), index=frame.index)

        return pa.Check(check, name=rule.id, ignore_na=False)  # a row whose typed values are all null is checked too

    checks = [make(rule) for rule in rules]
    if _as_declared(table):  # every column check would pass: a column per field would only cost time
        return pa.DataFrameSchema(checks=checks, name=table.resource.name or None)
    base = ts.pandera_schema(table.resource.schema, name=table.resource.name, with_constraints=False)
    return pa.DataFrameSchema(base.columns, checks=checks, name=base.name, strict=base.strict, ordered=base.ordered)


def _as_declared(table: Table) -> bool:
    """Whether the typed frame has the schema's fields as columns, in order, each of its field's dtype.

    Then the columns of :func:`intergov.schema.pandera_schema` (without constraints) all pass;
    otherwise pandera checks them, and says what does not match.
    """
    fields = ts.fields(table.resource.schema)
    frame = table.typed
    return list(frame.columns) == [f["name"] for f in fields] and all(
        dtype == ts.pandas_dtype(f) for dtype, f in zip(frame.dtypes, fields, strict=True)
    )


def _run_table(table: Table, tables: Tables, rules: list[Rule]) -> list[Finding]:
    import pandera.pandas as pa

    results: dict[str, pd.DataFrame] = {}
    schema = pandera_schema(table, tables, rules, results)
    try:
        schema.validate(table.typed, lazy=True)
    except pa.errors.SchemaErrors as e:
        return _findings(table, rules, results, e.failure_cases)
    return []


def _findings(table: Table, rules: list[Rule], results, failures: pd.DataFrame) -> list[Finding]:
    findings = []
    for rule in rules:
        found = results.get(rule.id)
        if found is None:
            continue
        for line, row in found.iterrows():
            field = row["field"]
            value = _text(table, line, field)
            findings.append(
                Finding(
                    table.path,
                    int(line),
                    table.column(field),
                    field,
                    value,
                    rule.id,
                    rule.severity,
                    row["message"],
                )
            )
    crashed = failures[~failures["check"].astype(str).isin(list(results))]
    for _, failure in crashed.iterrows():
        check = str(failure["check"])
        rule = next((r for r in rules if check.startswith(r.id)), None)
        column = failure.get("column")
        message = (
            f"rule {rule.id} could not run: {failure['failure_case']}"
            if rule
            else f"typed column {column!r} does not match its schema ({check}: {failure['failure_case']})"
        )
        findings.append(Finding(table.path, None, None, None, None, "rule-crashed", ERROR, message))
    return findings


def _text(table: Table, line: int, field: str | None) -> str | None:
    if field is None or field not in table.text.columns or line not in table.text.index:
        return None
    value = table.text.at[line, field]
    return None if pd.isna(value) else str(value)
