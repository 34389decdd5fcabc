"""The reference Table Schema engine: frictionless-py.

frictionless-py validates the whole package (types, constraints, primary,
unique and foreign keys); each of its errors becomes a finding at the
physical line of the record. The typed frames are then cast from the text
cells with :func:`intergov.schema.cast_frame`, and the cells frictionless-py
reported are nulled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from intergov import schema as ts
from intergov.engine import EngineResult, Table
from intergov.engine.text import decode
from intergov.findings import ERROR, Finding
from intergov.lines import line_of_record, records
from intergov.messages import cell_message, odd_characters, unique_key_finding
from intergov.package import Package, Resource, display_path

#: The Data Resource profile that goes with each Data Package profile (sets the standard's version).
RESOURCE_PROFILES = {
    "https://datapackage.org/profiles/2.0/datapackage.json": "https://datapackage.org/profiles/2.0/dataresource.json",
}

#: Errors about a whole record's shape: the record is left out of the typed frames.
STRUCTURE_ERRORS = {"extra-cell", "missing-cell", "blank-row"}


def run(package: Package) -> EngineResult:
    """Validate ``package`` with frictionless-py; return findings and typed tables."""
    result = EngineResult()
    texts: dict[str, str] = {}
    for resource in package.resources:
        text, found = decode(resource.file.read_bytes(), resource.display)
        result.findings.extend(found)
        if text is not None:
            texts[resource.name] = text
    readable = [r for r in package.resources if r.name in texts]
    errors = _frictionless_errors(readable, texts, package.descriptor.get("$schema"))
    result.findings.extend(_package_findings(package, errors[""]))
    result.findings.extend(_undeclared_references(package, readable))
    for resource in readable:
        read = list(records(texts[resource.name]))
        starts = [line for line, _ in read]
        findings, masked, dropped = _findings(resource, errors.get(resource.name, []), starts)
        result.findings.extend(findings)
        frame = _text_frame(read[1:], resource.schema)
        frame = frame.drop(index=[i for i in dropped if i in frame.index])
        typed = ts.cast_frame(frame, resource.schema)
        cells = {(f.line, f.field) for f in findings if f.column is not None and f.rule != "foreign-key"}
        for finding in _line_break_tails(resource, frame, cells):
            findings.append(finding)
            result.findings.append(finding)
            masked.append((finding.line, finding.field))
        for line, name in masked:
            if line in typed.index and name in typed.columns:
                typed.loc[line, name] = pd.NA
        for finding in _unique_key_findings(resource, frame, typed):
            result.findings.append(finding)
            typed.loc[finding.line, finding.field.split(", ")] = pd.NA
        result.tables[resource.name] = Table(resource, frame, typed)
    return result


def _frictionless_errors(resources: list[Resource], texts: Mapping[str, str], profile: str | None) -> dict[str, list]:
    """Run frictionless-py over the readable resources; errors per resource name.

    ``profile`` is the package's ``$schema``: it sets the Data Package version
    (``exclusiveMinimum`` needs v2). Errors about the package itself are listed
    under the empty name.
    """
    from frictionless import FrictionlessException, Schema
    from frictionless import Package as FrictionlessPackage
    from frictionless import Resource as FrictionlessResource

    names = {r.name for r in resources}
    members = []
    for resource in resources:
        descriptor = dict(resource.schema)
        descriptor["foreignKeys"] = [
            fk for fk in descriptor.get("foreignKeys", []) if fk["reference"].get("resource", "") in names | {""}
        ]
        members.append(
            FrictionlessResource(
                texts[resource.name].encode("utf-8"),
                name=resource.name,
                format="csv",
                encoding="utf-8",
                schema=Schema.from_descriptor(descriptor),
                schema_profile=RESOURCE_PROFILES.get(profile),
                dialect=_declared_dialect(),
            )
        )
    errors: dict[str, list] = {r.name: [] for r in resources}
    errors[""] = []
    if not members:
        return errors
    try:
        package = FrictionlessPackage(resources=members, schema_profile=profile)
        report = package.validate(limit_errors=10_000_000)
    except FrictionlessException as e:
        errors[""].append(e.error)
        return errors
    errors[""].extend(report.errors)
    for task in report.tasks:
        errors.setdefault(task.name, []).extend(task.errors)
    return errors


def _declared_dialect():
    """The CSV dialect of every resource: comma, double quote, header on line 1.

    Left to itself, frictionless-py guesses the delimiter and the header row
    from the first rows, so a stray first line (``# people``) would be taken
    for a preamble and the file read as valid.
    """
    from frictionless import Dialect
    from frictionless.formats import CsvControl

    return Dialect(header_rows=[1], controls=[CsvControl(delimiter=",", quote_char='"', double_quote=True)])


def _package_findings(package: Package, errors: list) -> list[Finding]:
    """Findings for errors frictionless-py raises about the package as a whole (never dropped)."""
    path = display_path(package.descriptor_path)
    return [Finding(path, None, None, None, None, "frictionless-error", ERROR, e.message) for e in errors]


def _text_frame(rows: list[tuple[int, list[str]]], schema: Mapping[str, Any]) -> pd.DataFrame:
    """The records (after the header, with their lines) as text, one column per schema field, indexed by line.

    Records with another number of cells than the schema has fields are left out.
    """
    names = ts.field_names(schema)
    kept = [(line, record) for line, record in rows if len(record) == len(names)]
    index = pd.Index([line for line, _ in kept], name="line")
    return pd.DataFrame([record for _, record in kept], columns=names, index=index, dtype="string")


def _findings(
    resource: Resource, errors: list, starts: list[int]
) -> tuple[list[Finding], list[tuple[int, str]], set[int]]:
    """Translate frictionless errors; also the cells to null and the records to drop."""
    path = resource.display
    schema = resource.schema
    by_name = {f["name"]: f for f in ts.fields(schema)}
    names = ts.field_names(schema)
    findings, masked, dropped = [], [], set()
    for error in errors:
        kind = error.type
        row = getattr(error, "row_number", None)
        line = line_of_record(starts, row) if row else (1 if kind.endswith("-label") else None)
        number = getattr(error, "field_number", None)
        name = getattr(error, "field_name", None) or (names[number - 1] if number and number <= len(names) else None)
        cell = getattr(error, "cell", None)
        if kind in STRUCTURE_ERRORS:
            dropped.add(line)
        if kind in ("type-error", "constraint-error", "unique-error"):
            field = by_name.get(name, {"name": name})
            rule, message = cell_message(kind, error.note, cell or "", field)
            if kind == "unique-error":
                message = _with_first_line(message, error.note, starts)
            findings.append(Finding(path, line, number, name, cell, rule, ERROR, message))
            masked.append((line, name))
        elif kind in ("primary-key", "foreign-key"):
            findings.append(_key_finding(kind, error, path, line, schema, starts))
            fields = ts.primary_key(schema) if kind == "primary-key" else _fk_fields(error.note, schema)
            masked.extend((line, f) for f in fields)
        else:
            findings.append(_other_finding(kind, error, path, line, number, name, cell))
    blank = {f.line for f in findings if f.rule == "blank-row"}  # a blank line is that, not an empty key
    findings = [f for f in findings if f.line not in blank or f.rule == "blank-row"]
    return findings, masked, dropped


def _line_break_tails(resource: Resource, text: pd.DataFrame, reported: set[tuple[int, str]]) -> list[Finding]:
    """Cells that match a ``pattern`` only because ``$`` also matches before a final line break.

    frictionless-py checks ``re.match("^pattern$")``, which accepts ``"aze-kaz-igc-19\\n"`` for
    ``^[a-z0-9-]+$``; Table Schema means the whole value.
    """
    missing = ts.missing_values(resource.schema)
    findings = []
    for number, field in enumerate(ts.fields(resource.schema), start=1):
        pattern, name = ts.constraints(field).get("pattern"), field["name"]
        if not pattern or name not in text:
            continue
        cells = text[name].dropna()
        for line, cell in cells[cells.str.endswith("\n")].items():
            if (line, name) in reported or cell in missing or re.fullmatch(f"^(?:{pattern})$", cell):
                continue
            rule, message = cell_message("constraint-error", f'constraint "pattern" is "{pattern}"', cell, field)
            findings.append(Finding(resource.display, line, number, name, cell, rule, ERROR, message))
    return findings


def _undeclared_references(package: Package, resources: list[Resource]) -> list[Finding]:
    """Foreign keys to a resource the descriptor does not declare: they cannot be checked, so say so.

    (A key to a declared resource that could not be read is skipped quietly:
    that resource has its own finding.)
    """
    entries = package.descriptor.get("resources")
    declared = {e.get("name") for e in entries if isinstance(e, dict)} if isinstance(entries, list) else set()
    findings = []
    for resource in resources:
        for fields, target, remote in ts.foreign_keys(resource.schema):
            if target and target not in declared:
                message = (
                    f"the foreign key ({', '.join(fields)}) refers to {target}.{', '.join(remote)}, but the package "
                    f"has no resource called {target!r}, so these values are not checked; "
                    "correct the schema or the resource name"
                )
                findings.append(
                    Finding(resource.display, None, None, ", ".join(fields), None, "foreign-key", ERROR, message)
                )
    return findings


def _unique_key_findings(resource: Resource, text: pd.DataFrame, typed: pd.DataFrame) -> list[Finding]:
    """Duplicates of each ``uniqueKeys`` entry, which frictionless-py does not check.

    Compared on typed values (``19`` and ``019`` are one session number); a
    row with an empty or already reported key cell is not compared.
    """
    names = ts.field_names(resource.schema)
    findings = []
    for key in ts.unique_keys(resource.schema):  # each names the schema's own fields (checked on loading)
        first: dict[tuple, int] = {}
        for line, *values in typed[key].dropna().itertuples():
            if tuple(values) not in first:
                first[tuple(values)] = line
                continue
            shown = ", ".join(str(text.at[line, k]) for k in key)
            findings.append(unique_key_finding(resource.display, names, key, line, shown, first[tuple(values)]))
    return findings


def _with_first_line(message: str, note: str, starts: list[int]) -> str:
    match = re.search(r"row at position (\d+)", note or "")
    if not match:
        return message
    return f"{message}; the first is on line {line_of_record(starts, int(match.group(1)))}"


def _fk_fields(note: str, schema: Mapping[str, Any]) -> list[str]:
    """The local fields of the foreign key a frictionless note is about."""
    match = re.search(r'for "([^"]+)"', note or "")
    if not match:
        return []
    wanted = [f.strip() for f in match.group(1).split(",")]
    return [f for f in wanted if f in ts.field_names(schema)]


def _key_finding(kind: str, error, path: str, line: int | None, schema, starts: list[int]) -> Finding:
    names = ts.field_names(schema)
    cells = list(getattr(error, "cells", []) or [])
    note = error.note or ""
    if kind == "primary-key":
        key = ts.primary_key(schema)
        values = [cells[names.index(k)] if names.index(k) < len(cells) else "" for k in key]
        if "all" in note and "None" in note:
            message = f"the primary key ({', '.join(key)}) is empty; every row needs one"
        else:
            message = _with_first_line(f"duplicate primary key ({', '.join(key)}); make it unique", note, starts)
        column = names.index(key[0]) + 1 if key else None
        return Finding(path, line, column, ", ".join(key), ", ".join(values), "primary-key", ERROR, message)
    local = _fk_fields(note, schema)
    target = _fk_target(local, schema)
    values = [cells[names.index(f)] if names.index(f) < len(cells) else "" for f in local]
    shown = ", ".join(values)
    resource, remote = target
    message = (
        f"no row in {resource or 'this table'} has {', '.join(remote)} = {shown!r}; "
        f"add that row there first, or correct this value"
    )
    hint = odd_characters(shown)
    if hint:
        message = f"{message} ({hint})"
    column = names.index(local[0]) + 1 if local else None
    return Finding(path, line, column, ", ".join(local) or None, shown, "foreign-key", ERROR, message)


def _fk_target(local: list[str], schema) -> tuple[str, list[str]]:
    for fields, resource, remote in ts.foreign_keys(schema):
        if fields == local:
            return resource, remote
    return "", local


#: The other frictionless-py errors intergov reports under their own rule id; any other is a ``frictionless-error``.
_OTHER_MESSAGES = {
    "blank-row": "a blank line; delete it",
    "extra-cell": "more cells than the header has; is there an unquoted comma in a cell?",
    "missing-cell": "fewer cells than the header has; add the missing cells (an empty cell is fine)",
    "extra-label": "a header column that the schema does not define; remove it or add the field to the schema",
    "missing-label": "a column of the schema is missing from the header; add it",
    "blank-label": "a blank header cell; write the field name",
    "duplicate-label": "the same column name twice in the header",
    "incorrect-label": "the header does not match the schema's field name at this position",
    "blank-header": "the header row is blank",
    "unmatched-header": "none of the schema's fields is in the header",
}


def _other_finding(kind: str, error, path: str, line, number, name, cell) -> Finding:
    message = _OTHER_MESSAGES.get(kind) or f"{error.title}: {error.note}".strip(": ")
    if kind == "incorrect-label":
        message = f"header says {error.label!r} where the schema expects {name!r}"
    elif kind == "duplicate-label":
        message = f"the column {error.label!r} appears twice in the header"
    elif kind == "extra-label":
        message = f"header column {error.label!r} is not a field of the schema; remove it or add it to the schema"
    elif kind == "missing-label":
        message = f"the header lacks the column {name!r}; add it"
    value = getattr(error, "label", None) if kind.endswith("-label") else cell
    column = number if kind not in ("blank-row",) else None
    rule = kind if kind in _OTHER_MESSAGES else "frictionless-error"
    return Finding(path, line, column, name or None, value or None, rule, ERROR, message)
