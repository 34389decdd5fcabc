"""The data dictionary of a release (its ``README.md``), generated from the descriptor and its Table Schemas.

For each table: description, primary, unique and foreign keys, row count;
for each field: type (and its Parquet type), constraints, description and an
example value (the schema's ``example``, else the first value in the data).
Then how to cite the data and how to load it. Text from the descriptor and
the data shown in a table cell is escaped by :mod:`intergov.report.markdown`
(``text``, and ``code`` for values).

>>> constraint_text({"name": "n", "type": "integer", "constraints": {"required": True, "minimum": 1}}, {})
'required; ≥ 1'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from intergov import coverage
from intergov import schema as ts
from intergov.findings import Finding
from intergov.reader import PARQUET, PARQUET_SUFFIX
from intergov.report.markdown import code, text

PARTIAL_DATE = "partial date: YYYY, YYYY-MM or YYYY-MM-DD as precise as the source"


def readme(descriptor: Mapping[str, Any], frames: Mapping[str, pd.DataFrame], conflicts: Sequence[Finding] = ()) -> str:
    """The README of a release whose descriptor is ``descriptor`` (schemas inline).

    ``frames`` holds each table's cells as text, in published order (for row
    counts and example values); ``conflicts`` the ``claims-conflict`` findings,
    listed for data users (their lines are those of the published CSV files,
    which keep the source files' order).
    """
    tables = [r for r in descriptor["resources"] if r.get("format") != PARQUET]
    stem = f"{descriptor.get('name', 'data')}-{descriptor['version']}"
    rows = sum(len(frames[r["name"]]) for r in tables)
    lines = [f"# {descriptor.get('title', descriptor.get('name', ''))}", ""]
    if descriptor.get("description"):
        lines += [descriptor["description"], ""]
    lines += ["| | |", "|---|---|", f"| Version | `{descriptor['version']}` |"]
    if descriptor.get("created"):
        lines.append(f"| Created | {descriptor['created']} |")
    lines += [f"| Licence | {_licences(descriptor)} |", f"| Tables | {len(tables)} tables, {rows} rows |", ""]
    lines += _files(stem)
    lines += _citation(descriptor)
    lines += _loading(stem, tables[0]["name"] if tables else "table")
    lines += ["## Tables", "", "| table | rows | description |", "|---|---:|---|"]
    lines += [f"| [`{r['name']}`](#{r['name']}) | {len(frames[r['name']])} | {text(_about(r))} |" for r in tables]
    lines.append("")
    if {"bodies", "sessions", "figures"} <= set(frames):
        lines += [
            "## Coverage",
            "",
            "Bodies by pair of countries, with the sessions and figures the sources report:",
            "",
        ]
        lines += [coverage.markdown(coverage.pairs(frames))]
    for resource in tables:
        lines += _table(resource, frames[resource["name"]])
    if conflicts:
        lines += [
            "## Conflicting claims",
            "",
            "Sources that disagree are all kept, each claim with its source; none is resolved. These are the "
            "claims that differ beyond the precision they are stated with, and the conversions a source gets "
            "wrong against the official rate:",
            "",
        ]
        lines += [f"- `data/{Path(f.path).name}` line {f.line}: {text(f.message)}" for f in conflicts]
        lines.append("")
    sources = descriptor.get("sources") or []
    if sources:
        lines += ["## Sources", ""]
        for source in sources:
            title = source.get("title", source.get("path", ""))
            lines.append(f"- [{title}]({source['path']})" if "path" in source else f"- {title}")
        lines.append("")
    return "\n".join(lines)


def _about(resource: Mapping[str, Any]) -> str:
    return resource.get("description") or resource["schema"].get("description", "")


def _licences(descriptor: Mapping[str, Any]) -> str:
    shown = []
    for licence in descriptor.get("licenses", []):
        name = licence.get("name") or licence.get("title", "")
        label = f"{name} ({licence['title']})" if licence.get("title") and licence.get("name") else name
        shown.append(f"[{label}]({licence['path']})" if licence.get("path") else label)
    return ", ".join(shown) or "see LICENSE"


def _files(stem: str) -> list[str]:
    return [
        "## Files",
        "",
        "- `datapackage.json`: the Data Package (v2) descriptor. Each table is described twice: as resource "
        f"`<table>` (the CSV) and `<table>{PARQUET_SUFFIX}` (the Parquet file), both with the table's Table Schema "
        "inline, their size (`bytes`) and SHA-256 `hash`.",
        "- `data/<table>.csv`: canonical CSV: UTF-8 without byte-order mark, LF line endings, a header row, "
        "rows sorted by primary key, cells exactly as curated.",
        "- `data/<table>.parquet`: the same rows, typed: dates `date32`, whole numbers `int64`, numbers exact "
        "`decimal128(38, 9)`, booleans `bool`, text and partial dates strings. Each field's description and the "
        "table's description are in the Parquet (Arrow) metadata.",
        "- `README.md` (this data dictionary), `CHANGELOG.md` (what changed in each version), `LICENSE`.",
        "",
        f"The release is published as the folder `{stem}/`, its zip `{stem}.zip` and `SHA256SUMS`; check the "
        "files with `sha256sum -c SHA256SUMS` in the folder that holds them.",
        "",
    ]


def _citation(descriptor: Mapping[str, Any]) -> list[str]:
    contributors = descriptor.get("contributors", [])
    authors = [c["title"] for c in contributors if "author" in c.get("roles", ["author"]) and c.get("title")]
    year = str(descriptor["created"])[:4] if descriptor.get("created") else "n.d."
    licence = ", ".join(lic.get("name", "") for lic in descriptor.get("licenses", []))
    citation = f"{', '.join(authors) or descriptor.get('name', '')} ({year}). *{descriptor.get('title', '')}*, "
    citation += f"version {descriptor['version']} [data set]."
    if licence:
        citation += f" Licensed {licence}."
    return ["## How to cite", "", f"> {citation}", "", "Cite the version you used; versions follow semver.", ""]


def _loading(stem: str, table: str) -> list[str]:
    return [
        "## How to load",
        "",
        "Python, with `intergov` (verifies every file against its hash, then gives one typed pandas frame per table):",
        "",
        "```python",
        "from intergov import load",
        "",
        f'tables = load("{stem}.zip")  # or the folder {stem}/',
        f'tables["{table}"].head()',
        "```",
        "",
        "pandas or pyarrow, from the Parquet files (exact decimals stay `decimal.Decimal`):",
        "",
        "```python",
        "import pandas as pd",
        "",
        f'frame = pd.read_parquet("{stem}/data/{table}.parquet")',
        "```",
        "",
        "DuckDB:",
        "",
        "```sql",
        f"SELECT * FROM read_parquet('{stem}/data/{table}.parquet');",
        "```",
        "",
        f"Any Data Package tool reads `datapackage.json`, e.g. `frictionless validate {stem}/datapackage.json`.",
        "",
    ]


def _table(resource: Mapping[str, Any], frame: pd.DataFrame) -> list[str]:
    schema = resource["schema"]
    name = resource["name"]
    lines = [f"### {name}", ""]
    for about in dict.fromkeys(t for t in (resource.get("description"), schema.get("description")) if t):
        lines += [about, ""]
    if ts.primary_key(schema):
        lines.append(f"- Primary key: {', '.join(f'`{k}`' for k in ts.primary_key(schema))}")
    for key in ts.unique_keys(schema):
        lines.append(f"- Unique key: {', '.join(f'`{k}`' for k in key)}")
    for local, target, remote in ts.foreign_keys(schema):
        lines.append(
            f"- Foreign key: {', '.join(f'`{k}`' for k in local)} -> "
            f"`{target or name}` ({', '.join(f'`{k}`' for k in remote)})"
        )
    lines += [
        f"- Rows: {len(frame)}",
        f"- Files: `data/{name}.csv`, `data/{name}.parquet`",
        "",
        "| field | type | constraints | description | example |",
        "|---|---|---|---|---|",
    ]
    for field in ts.fields(schema):
        example = _example(field, frame, ts.missing_values(schema, field))
        lines.append(
            f"| {code(field['name'])} | {type_text(field)} | {constraint_text(field, schema)} | "
            f"{text(field.get('description', ''))} | {code(example) if example != '' else ''} |"
        )
    lines.append("")
    return lines


def type_text(field: Mapping[str, Any]) -> str:
    """The field's Table Schema type and its Parquet type.

    >>> type_text({"name": "n", "type": "number"})
    'number (Parquet `decimal128(38, 9)`)'
    """
    kind = field.get("type", "string")
    if field.get("format") not in (None, "default"):
        kind = f"{kind}, format {field['format']}"
    if ts.is_partial_date(field):
        kind = f"{kind}, {PARTIAL_DATE}"
    return f"{kind} (Parquet `{ts.arrow_type(field)}`)"


def constraint_text(field: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """The field's constraints in words, for a Markdown table cell (``required`` also for primary-key fields).

    Values from the schema are escaped: allowed values and patterns as code spans.

    >>> constraint_text({"name": "k", "constraints": {"enum": ["a|b", "c"]}}, {})
    'one of: `a\\\\|b`, `c`'
    """
    c = ts.constraints(field)
    parts = ["required"] if ts.is_required(field, schema) else []
    if c.get("unique"):
        parts.append("unique")
    if "enum" in c:
        parts.append("one of: " + ", ".join(code(str(v)) for v in c["enum"]))
    if "pattern" in c:
        parts.append(f"pattern {code(str(c['pattern']))}")
    for key, sign in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in c:
            parts.append(f"{sign} {text(str(c[key]))}")
    if "minLength" in c:
        parts.append(f"at least {text(str(c['minLength']))} characters")
    if "maxLength" in c:
        parts.append(f"at most {text(str(c['maxLength']))} characters")
    known = {"required", "unique", "enum", "pattern", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}
    parts += [text(f"{k}: {v}") for k, v in c.items() if k not in known | {"minLength", "maxLength"}]
    return "; ".join(parts)


def _example(field: Mapping[str, Any], frame: pd.DataFrame, missing: tuple[str, ...]) -> str:
    """The schema's example, else the first value in the data, else ``""``."""
    if "example" in field:
        value = field["example"]
        return str(value).lower() if isinstance(value, bool) else str(value)
    values = frame.get(field["name"], [])
    return next((str(v) for v in values if not pd.isna(v) and str(v) not in missing), "")
