"""The reference Table Schema engine: frictionless-py.

frictionless-py validates the whole package (types, constraints, primary,
unique and foreign keys); each of its errors becomes a finding at the
physical line of the record (:mod:`intergov.engine.translate`). The typed
frames are then cast from the text cells with
:func:`intergov.schema.cast_frame`, and the cells frictionless-py reported are
nulled. frictionless-py is given no ``pattern``: each is matched as a whole
value, in linear time, by a check in frictionless-py's row loop
(:mod:`intergov.engine.patterns`). A foreign key to a resource the package
does not declare is reported by the loader (:func:`intergov.package.load`)
and left unchecked here, as in the fast engine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import pandas as pd

from intergov import schema as ts
from intergov.engine import EngineResult, Table, patterns, translate
from intergov.engine.text import decode
from intergov.findings import ERROR, Finding
from intergov.lines import Dialect, records, split
from intergov.lines import Table as Split
from intergov.messages import unique_key_finding
from intergov.package import Package, Resource, display_path

#: The Data Resource profile that goes with each Data Package profile (sets the standard's version).
RESOURCE_PROFILES = {
    "https://datapackage.org/profiles/2.0/datapackage.json": "https://datapackage.org/profiles/2.0/dataresource.json",
}


def run(package: Package) -> EngineResult:
    """Validate ``package`` with frictionless-py; return findings and typed tables."""
    result = EngineResult()
    texts: dict[str, str] = {}
    resources = [translate.declared(r) for r in package.resources]
    dialects = {r.name: Dialect.of(r.descriptor) for r in resources}
    for resource in resources:
        text, found = decode(resource.file.read_bytes(), resource.display, dialects[resource.name])
        result.findings.extend(found)
        if text is not None:
            texts[resource.name] = text
    readable = [r for r in resources if r.name in texts]
    reads = {r.name: list(records(texts[r.name], dialect=dialects[r.name])) for r in readable}
    splits = {r.name: split(reads[r.name], dialects[r.name]) for r in readable}
    widths = {r.name: _width(splits[r.name], r.schema) for r in readable}
    fitted = {
        r.name: _fitted(texts[r.name], reads[r.name], splits[r.name], widths[r.name], r.schema, dialects[r.name])
        for r in readable
    }
    errors = _frictionless_errors(readable, fitted, package.descriptor.get("$schema"), dialects, splits)
    del fitted
    result.findings.extend(_package_findings(package, errors[""]))
    for resource in readable:
        read, table = reads.pop(resource.name), splits.pop(resource.name)
        starts = [line for line, _ in read]
        own = _row_widths(errors.get(resource.name, []), table, widths[resource.name])
        findings, masked, dropped = translate.findings(resource, own, starts, header_line=table.header_line)
        result.findings.extend(findings)
        frame = _text_frame([(line, record) for _, line, record in table.data], resource.schema)
        frame = frame.drop(index=[i for i in dropped if i in frame.index])
        typed = ts.cast_frame(frame, resource.schema)
        for line, name in masked:
            if line in typed.index and name in typed.columns:
                typed.loc[line, name] = pd.NA
        for finding in _unique_key_findings(resource, frame, typed):
            result.findings.append(finding)
            typed.loc[finding.line, finding.field.split(", ")] = pd.NA
        result.tables[resource.name] = Table(resource, frame, typed)
    return result


def _width(table: Split, schema: Mapping[str, Any]) -> int:
    """The cells a record should have: the header's, or the schema's fields without a header (or a blank one)."""
    return len(table.labels) if table.labels else len(ts.fields(schema))


def _fitted(
    text: str, read: list[tuple[int, list[str]]], table: Split, width: int, schema: Mapping[str, Any], dialect: Dialect
) -> str:
    """``text`` with every record of another width than ``width`` made to fit it, for frictionless-py.

    frictionless-py reports each extra and each missing cell, each with a copy
    of the whole record: a row followed by a million commas would take hours
    and tens of gigabytes. So a long record is cut to ``width`` cells, and a
    short one is filled with a missing value of each field (which
    frictionless-py reads as it reads a missing cell: ``None``). The records
    keep their order and number (a blank line stays one), so frictionless-py's
    record numbers still lead to the physical lines of ``text``;
    :func:`_row_widths` reports the records' real widths. Only data records
    are fitted (``table``); all are written in ``dialect``.
    """
    data = {number for number, _, record in table.data if len(record) not in (0, width)}
    if not data:
        return text
    fields = ts.fields(schema)
    fills = [_missing_value(schema, fields[i]) if i < len(fields) else "" for i in range(width)]

    def fit(record: list[str]) -> list[str]:
        fill = fills[len(record) :]
        if not record or len(record) > width or None in fill:  # no value reads as missing: left short
            return record[:width]
        return record + fill

    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n", **dialect.csv_options())
    writer.writerows(fit(record) if n in data else record for n, (_, record) in enumerate(read, start=1))
    return out.getvalue()


def _missing_value(schema: Mapping[str, Any], field: Mapping[str, Any]) -> str | None:
    """A cell frictionless-py reads as missing in ``field`` (``""`` where it is one), or ``None`` if none is."""
    missing = ts.missing_values(schema, field)
    return "" if "" in missing else next(iter(missing), None)


def _row_widths(errors: list, table: Split, width: int) -> list:
    """frictionless-py's ``errors`` with its extra and missing cells replaced by one error per record.

    Each data record of another width than ``width`` that frictionless-py does not
    call blank gets :func:`intergov.engine.translate.row_width`, as in the fast engine.
    """
    blank = {e.row_number for e in errors if e.type == "blank-row"}
    kept = [e for e in errors if e.type not in ("extra-cell", "missing-cell")]
    header = bool(table.labels)
    for number, _, record in table.data:
        if len(record) != width and number not in blank:
            extra = record[width] if len(record) > width else None
            kept.append(translate.row_width(number, len(record), width, header=header, extra=extra))
    return kept


def _frictionless_errors(
    resources: list[Resource],
    texts: Mapping[str, str],
    profile: str | None,
    dialects: Mapping[str, Dialect],
    splits: Mapping[str, Split],
) -> dict[str, list]:
    """Run frictionless-py over the readable resources; errors per resource name.

    ``profile`` is the package's ``$schema``: it sets the Data Package version
    (``exclusiveMinimum`` needs v2). Errors about the package itself are listed
    under the empty name. Each resource is read in its declared dialect, its
    header at the rows :func:`intergov.lines.split` found (``splits``).
    """
    from frictionless import Checklist, FrictionlessException, Schema
    from frictionless import Package as FrictionlessPackage
    from frictionless import Resource as FrictionlessResource

    names = {r.name for r in resources}
    members = []
    for resource in resources:
        descriptor = dict(resource.schema)
        if "fields" in descriptor:
            descriptor["fields"] = [patterns.for_frictionless(f) for f in ts.fields(resource.schema)]
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
                dialect=_declared_dialect(dialects[resource.name], splits[resource.name].header_rows),
            )
        )
    errors: dict[str, list] = {r.name: [] for r in resources}
    errors[""] = []
    if not members:
        return errors
    try:
        package = FrictionlessPackage(resources=members, schema_profile=profile)
        checks = [patterns.pattern_check({r.name: patterns.patterns_of(ts.fields(r.schema)) for r in resources})]
        report = package.validate(checklist=Checklist(checks=checks), limit_errors=10_000_000)
    except FrictionlessException as e:
        errors[""].append(e.error)
        return errors
    except (TypeError, ArithmeticError) as e:  # a signalling NaN (sNaN): frictionless-py cannot hash or compare it
        errors[""].append(SimpleNamespace(message=f"frictionless-py could not read a number (sNaN?): {e!r}"))
        return errors
    errors[""].extend(report.errors)
    for task in report.tasks:
        errors.setdefault(task.name, []).extend(task.errors)
    return errors


def _declared_dialect(dialect: Dialect, header_rows: list[int]):
    """The resource's CSV dialect for frictionless-py: each property the declared one, or the Table Dialect's default.

    Left to itself, frictionless-py guesses what is not set from the first rows
    (the delimiter, ``skipInitialSpace``, the header row), so a stray first line
    (``# people``) would be taken for a preamble and the file read as valid,
    and ``1, "a"`` read as ``a``. ``nullSequence`` is among the schema's missing
    values (:func:`intergov.engine.translate.declared`).
    """
    from frictionless import Dialect as FrictionlessDialect
    from frictionless.formats import CsvControl

    control = CsvControl(
        delimiter=dialect.delimiter,
        line_terminator=dialect.line_terminator or "\r\n",
        quote_char=dialect.quote_char,
        double_quote=dialect.double_quote,
        escape_char=dialect.escape_char,
        skip_initial_space=dialect.skip_initial_space,
    )
    return FrictionlessDialect(
        header=dialect.header,
        header_rows=header_rows or [1],
        header_join=dialect.header_join,
        header_case=dialect.case_sensitive_header,
        comment_char=dialect.comment_char,
        controls=[control],
    )


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
