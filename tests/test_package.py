"""The descriptor layer: JSON, the Data Package profile, safe paths, schemas, resource names."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURE_PACKAGE, csv_path
from intergov.findings import ERROR, Finding
from intergov.package import PackageError, load, locate
from intergov.validate import validate

#: Files opened while recording (see :func:`opened`); ``None`` when not recording.
_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _OPENED is not None and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one only records inside ``opened()``


@contextmanager
def opened() -> Iterator[list[str]]:
    """Record every file the process opens inside the block (through any library)."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


def edit_descriptor(descriptor: Path, change: Callable[[dict[str, Any]], None]) -> str:
    """Apply ``change`` to the descriptor's JSON, write it back indented; return the new text."""
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    change(data)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    descriptor.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` occurrence of ``needle`` in ``text``."""
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    return text.count("\n", 0, at) + 1


def resource(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The resource entry called ``name`` in a descriptor's JSON."""
    return next(r for r in data["resources"] if r["name"] == name)


def only(findings: list[Finding], rule: str) -> Finding:
    """The one finding of ``rule``."""
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, findings
    return matching[0]


def test_the_real_package_loads_every_resource_without_findings(package: Path) -> None:
    pkg, findings = load(package)
    assert findings == []
    assert pkg is not None
    names = [r["name"] for r in json.loads(package.read_text(encoding="utf-8"))["resources"]]
    assert [r.name for r in pkg.resources] == names
    assert pkg.resource("agreements").schema["primaryKey"] == ["agreement_id"]
    assert pkg.version


def test_a_folder_is_read_through_its_descriptor(package: Path) -> None:
    assert locate(package.parent) == package


@pytest.mark.parametrize("where", ["nowhere", "a-folder-without-descriptor"])
def test_no_descriptor_is_a_package_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-folder-without-descriptor").mkdir()
    with pytest.raises(PackageError, match="no data package descriptor"):
        load(tmp_path / where)


def test_invalid_json_reports_its_line_and_column(package: Path) -> None:
    package.write_text('{\n  "name": "x",\n  "title": "t",\n\n\n  "a": 1\n  "b": 2\n}\n', encoding="utf-8")
    pkg, findings = load(package)
    assert pkg is None
    (f,) = findings
    assert (f.rule, f.severity, f.line) == ("descriptor-json", ERROR, 7)
    assert f.column is not None
    assert "not valid JSON" in f.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[]", "JSON object"),
        ('"datapackage"', "JSON object"),
        ("{}", "no resources"),
        ('{"name": "x", "resources": []}', "no resources"),
        ('{"name": "x", "resources": "data/a.csv"}', "no resources"),
    ],
)
def test_not_a_data_package(package: Path, text: str, fragment: str) -> None:
    package.write_text(text, encoding="utf-8")
    pkg, findings = load(package)
    assert any(f.rule == "descriptor-invalid" and fragment in f.message for f in findings), findings
    assert pkg is None or pkg.resources == ()


def test_a_descriptor_that_is_not_utf8_is_reported(package: Path) -> None:
    package.write_bytes('{"name": "é"}'.encode("latin-1"))
    pkg, findings = load(package)
    assert pkg is None
    assert [f.rule for f in findings] == ["descriptor-encoding"]


def test_a_missing_data_file_is_reported_at_its_path_and_the_rest_is_kept(package: Path) -> None:
    csv_path(package, "contracts").unlink()
    text = package.read_text(encoding="utf-8")
    pkg, findings = load(package)
    f = only(findings, "missing-file")
    assert (f.line, f.value) == (line_of(text, '"path": "data/contracts.csv"'), "data/contracts.csv")
    assert "contracts" in f.message
    assert pkg is not None and pkg.resource("contracts") is None and pkg.resource("agreements") is not None


UNSAFE_PATHS = {
    "parent": "../outside.csv",
    "nested-parent": "data/../../outside.csv",
    "absolute": "/etc/passwd",
    "url": "https://example.org/agreements.csv",
    "file-url": "file:///etc/passwd",
    "home": "~/agreements.csv",
}


@pytest.mark.parametrize("path", list(UNSAFE_PATHS.values()), ids=list(UNSAFE_PATHS))
def test_unsafe_resource_paths_are_refused(package: Path, path: str) -> None:
    text = edit_descriptor(package, lambda data: resource(data, "agreements").update(path=path))
    pkg, findings = load(package)
    f = only(findings, "unsafe-path")
    assert (f.severity, Path(f.path), f.value) == (ERROR, package, path)
    assert f.line == line_of(text, json.dumps(path))
    assert "agreements" in f.message
    assert [x for x in findings if x.rule != "unsafe-path"] == []
    assert pkg is not None and pkg.resource("agreements") is None


@pytest.mark.parametrize("path", ["../outside.csv", "/etc/passwd", "https://example.org/agreements.csv"])
def test_validation_never_reads_a_refused_path(package: Path, path: str) -> None:
    (package.parent.parent / "outside.csv").write_text("agreement_id\nsecret\n", encoding="utf-8")
    edit_descriptor(package, lambda data: resource(data, "agreements").update(path=path))
    with opened() as files:
        result = validate(package)
    assert any(Path(p).name == "contracts.csv" for p in files), "the recorder sees the files that are read"
    assert not any(Path(p).name in ("outside.csv", "passwd", "agreements.csv") for p in files), files
    assert only(result.findings, "unsafe-path").value == path
    assert result.exit_code == 1


def test_a_symlink_that_leads_outside_is_refused_and_not_read(package: Path) -> None:
    outside = package.parent.parent / "outside.csv"
    outside.write_text("agreement_id\nsecret\n", encoding="utf-8")
    link = package.parent / "data" / "linked.csv"
    link.symlink_to(outside)
    text = edit_descriptor(package, lambda data: resource(data, "agreements").update(path="data/linked.csv"))
    with opened() as files:
        result = validate(package)
    f = only(result.findings, "unsafe-path")
    assert (f.line, f.value) == (line_of(text, '"data/linked.csv"'), "data/linked.csv")
    assert "link" in f.message
    assert not any(Path(p).name in ("outside.csv", "linked.csv") for p in files), files


def test_a_symlink_inside_the_package_is_followed(package: Path) -> None:
    link = package.parent / "data" / "linked.csv"
    link.symlink_to(csv_path(package, "agreements"))
    edit_descriptor(package, lambda data: resource(data, "agreements").update(path="data/linked.csv"))
    pkg, findings = load(package)
    assert findings == []
    assert pkg is not None and pkg.resource("agreements").file == link


@pytest.mark.parametrize(
    "schema",
    ["../../outside.json", "/etc/passwd", "https://example.org/schema.json"],
    ids=["parent", "absolute", "url"],
)
def test_unsafe_schema_paths_are_refused(package: Path, schema: str) -> None:
    (package.parent.parent.parent / "outside.json").write_text("{}", encoding="utf-8")
    text = edit_descriptor(package, lambda data: resource(data, "agreements").update(schema=schema))
    with opened() as files:
        pkg, findings = load(package)
    f = only(findings, "unsafe-path")
    assert (f.value, f.line) == (schema, line_of(text, json.dumps(schema)))
    assert pkg is not None and pkg.resource("agreements") is None
    assert not any(Path(p).name in ("outside.json", "passwd") for p in files), files


def test_a_schema_symlink_that_leads_outside_is_refused(package: Path) -> None:
    outside = package.parent.parent / "outside.json"
    outside.write_text('{"fields": []}', encoding="utf-8")
    (package.parent / "data" / "schema.json").symlink_to(outside)
    edit_descriptor(package, lambda data: resource(data, "agreements").update(schema="data/schema.json"))
    pkg, findings = load(package)
    assert only(findings, "unsafe-path").value == "data/schema.json"
    assert pkg is not None and pkg.resource("agreements") is None


def test_schemas_are_read_through_the_schemas_link(package: Path) -> None:
    assert (package.parent / "schemas").is_symlink()
    pkg, _ = load(package)
    assert pkg is not None
    assert pkg.resource("figures").schema["primaryKey"] == ["figure_id"]


def test_an_inline_schema_is_accepted(package: Path) -> None:
    schema = json.loads((package.parent / "schemas" / "agreements.json").read_text(encoding="utf-8"))
    edit_descriptor(package, lambda data: resource(data, "agreements").update(schema=schema))
    pkg, findings = load(package)
    assert findings == []
    assert pkg is not None and pkg.resource("agreements").schema["primaryKey"] == ["agreement_id"]


def test_a_missing_schema_file_is_reported(package: Path) -> None:
    edit_descriptor(package, lambda data: resource(data, "agreements").update(schema="schemas/nothing.json"))
    pkg, findings = load(package)
    f = only(findings, "missing-file")
    assert f.value == "schemas/nothing.json"
    assert pkg is not None and pkg.resource("agreements") is None


def test_a_schema_that_is_not_json_reports_its_own_file_and_line(package: Path) -> None:
    schema = package.parent.parent / "schemas" / "agreements.json"
    lines = schema.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + " oops"
    schema.write_text("\n".join(lines), encoding="utf-8")
    pkg, findings = load(package)
    f = only(findings, "schema-json")
    assert Path(f.path).name == "agreements.json"
    assert f.line == 3
    assert pkg is not None and pkg.resource("agreements") is None


def test_an_invalid_schema_is_reported_and_its_resource_left_out(package: Path) -> None:
    schema = package.parent.parent / "schemas" / "agreements.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["fields"][2]["type"] = "text-of-sorts"
    schema.write_text(json.dumps(data, indent=2), encoding="utf-8")
    pkg, findings = load(package)
    assert {f.rule for f in findings} == {"schema-invalid"}
    assert all(Path(f.path).name == "agreements.json" for f in findings)
    assert pkg is not None and pkg.resource("agreements") is None


def test_a_field_defined_twice_is_reported_at_the_second(package: Path) -> None:
    schema = package.parent.parent / "schemas" / "agreements.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["fields"].append(dict(data["fields"][1]))
    text = json.dumps(data, indent=2)
    schema.write_text(text, encoding="utf-8")
    _, findings = load(package)
    f = only(findings, "schema-invalid")
    assert "'title'" in f.message and "twice" in f.message
    assert f.line == line_of(text, '"name": "title"', nth=2)


def test_duplicate_resource_names_are_reported_at_the_second(package: Path) -> None:
    def duplicate(data: dict[str, Any]) -> None:
        copy = dict(resource(data, "agreements"))
        copy["path"] = "data/contracts.csv"
        copy["schema"] = "schemas/contracts.json"
        data["resources"].append(copy)

    text = edit_descriptor(package, duplicate)
    pkg, findings = load(package)
    f = only(findings, "descriptor-invalid")
    assert "'agreements'" in f.message and "unique" in f.message
    assert f.line == line_of(text, '"name": "agreements"', nth=2)
    assert pkg is not None
    assert [r.name for r in pkg.resources].count("agreements") == 1
    assert pkg.resource("agreements").path == "data/agreements.csv"


def test_a_resource_without_name_or_path_is_reported(package: Path) -> None:
    def broken(data: dict[str, Any]) -> None:
        del resource(data, "contracts")["path"]
        data["resources"].append({"path": "data/x.csv"})

    edit_descriptor(package, broken)
    pkg, findings = load(package)
    messages = [f.message for f in findings if f.rule == "descriptor-invalid"]
    assert any("'contracts'" in m and "path" in m for m in messages), findings
    assert pkg is not None and pkg.resource("contracts") is None


def test_a_package_without_usable_resources_still_validates_without_a_traceback(package: Path) -> None:
    edit_descriptor(package, lambda data: [r.update(path="/etc/passwd") for r in data["resources"]])
    result = validate(package)
    assert result.exit_code == 1
    assert {f.rule for f in result.findings} == {"unsafe-path"}


def edit_schema(descriptor: Path, table: str, change: Callable[[dict[str, Any]], None]) -> str:
    """Apply ``change`` to a table's Table Schema file, write it back indented; return the new text."""
    path = descriptor.parent.parent / "schemas" / f"{table}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def foreign_key(schema: dict[str, Any], field: str) -> dict[str, Any]:
    """The foreign key of ``schema`` on the one local ``field``."""
    return next(fk for fk in schema["foreignKeys"] if fk["fields"] == [field])


KEY_EDITS: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "primary-key": ("agreements", lambda s: s.update(primaryKey=["agreement_idd"]), "the primary key"),
    "unique-key": (
        "sessions",
        lambda s: s.update(uniqueKeys=[["body_id", "agreement_idd"]]),
        "a unique key (uniqueKeys)",
    ),
    "foreign-key-fields": (
        "agreements",
        lambda s: foreign_key(s, "event_id").update(fields=["agreement_idd"]),
        "a foreign key",
    ),
    "foreign-key-to-itself": (
        "projects",
        lambda s: foreign_key(s, "parent_project_id")["reference"].update(resource="", fields=["agreement_idd"]),
        "a foreign key's reference",
    ),
    "foreign-key-to-itself-by-name": (
        "projects",
        lambda s: foreign_key(s, "parent_project_id")["reference"].update(fields=["agreement_idd"]),
        "a foreign key's reference",
    ),
    "foreign-key-to-another-table": (
        "agreements",
        lambda s: foreign_key(s, "event_id")["reference"].update(fields=["agreement_idd"]),
        "a foreign key's reference",
    ),
}


@pytest.mark.parametrize("case", list(KEY_EDITS.values()), ids=list(KEY_EDITS))
def test_a_key_naming_an_unknown_field_is_reported_at_its_line(
    package: Path, case: tuple[str, Callable[[dict[str, Any]], None], str]
) -> None:
    """The schema is wrong, not every row: one finding on the schema's line, and the resource is left out."""
    table, change, what = case
    text = edit_schema(package, table, change)
    pkg, findings = load(package)
    f = only(findings, "schema-invalid")
    assert Path(f.path).name == f"{table}.json"
    assert f.line == line_of(text, '"agreement_idd"')
    assert f.message.startswith(f"{what} names 'agreement_idd', which is not a field of ")
    assert pkg is not None and pkg.resource(table) is None
    assert [r.name for r in pkg.resources] == [r.name for r in load(FIXTURE_PACKAGE)[0].resources if r.name != table]


def test_a_unique_key_naming_an_unknown_field_is_not_silently_unchecked(package: Path) -> None:
    edit_schema(package, "sessions", lambda s: s.update(uniqueKeys=[["nope"]]))
    result = validate(package)
    assert [(Path(f.path).name, f.rule) for f in result.findings if f.severity == ERROR] == [
        ("sessions.json", "schema-invalid")
    ]


def test_a_foreign_key_to_an_unknown_field_of_another_table_blames_the_schema_not_each_row(package: Path) -> None:
    edit_schema(
        package, "agreements", lambda s: foreign_key(s, "signed_country_code")["reference"].update(fields=["code"])
    )
    result = validate(package)
    assert not [f for f in result.findings if f.rule == "foreign-key"]
    assert [f.message for f in result.findings if f.rule == "schema-invalid"] == [
        "a foreign key's reference names 'code', which is not a field of 'countries'; correct the field name"
    ]


def test_a_foreign_key_to_an_undeclared_resource_is_reported_at_its_line(package: Path) -> None:
    text = edit_schema(
        package, "agreements", lambda s: foreign_key(s, "event_id")["reference"].update(resource="eventz")
    )
    pkg, findings = load(package)
    f = only(findings, "schema-invalid")
    assert (Path(f.path).name, f.line) == ("agreements.json", line_of(text, '"eventz"'))
    assert "'eventz'" in f.message and "does not declare" in f.message
    assert pkg is not None and pkg.resource("agreements") is not None  # its other keys and values are still checked


def field_of(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The field called ``name`` of ``schema``."""
    return next(f for f in schema["fields"] if f["name"] == name)


#: Constraint values that no engine can apply: (table, field, constraint, value, the JSON text of its line).
BAD_CONSTRAINTS = {
    "pattern-not-a-regex": ("figures", "country_code", "pattern", "([a-z", '"pattern": "([a-z"'),
    "minimum-not-a-number": ("figures", "value_low", "minimum", "abc", '"minimum": "abc"'),
    "maximum-not-a-date": ("currency_conversions", "applies_on", "maximum", "2020-13-01", '"maximum": "2020-13-01"'),
    "exclusive-bound-not-an-integer": (
        "currency_conversions",
        "to_amount_significant_digits",
        "exclusiveMaximum",
        "ten",
        '"exclusiveMaximum": "ten"',
    ),
    "enum-value-not-an-integer": ("currency_conversions", "to_amount_significant_digits", "enum", [1, "two"], '"two"'),
}


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
@pytest.mark.parametrize("case", list(BAD_CONSTRAINTS.values()), ids=list(BAD_CONSTRAINTS))
def test_an_unusable_constraint_value_is_a_schema_finding_not_a_traceback(
    package: Path, case: tuple[str, str, str, Any, str], engine: str
) -> None:
    table, name, constraint, value, needle = case
    text = edit_schema(
        package, table, lambda s: field_of(s, name).setdefault("constraints", {}).update({constraint: value})
    )
    result = validate(package, engine=engine)
    f = only(result.findings, "schema-invalid")
    assert (Path(f.path).name, f.line) == (f"{table}.json", line_of(text, needle))
    assert repr(name) in f.message and "correct" in f.message
    assert result.exit_code == 1
    assert result.package is not None and result.package.resource(table) is None


def test_usable_constraint_values_of_every_type_are_accepted(package: Path) -> None:
    edit_schema(
        package,
        "currency_conversions",
        lambda s: field_of(s, "applies_on").setdefault("constraints", {}).update(minimum="1991-12-16"),
    )
    edit_schema(package, "figures", lambda s: field_of(s, "value_low")["constraints"].update(maximum="1e15"))
    pkg, findings = load(package)
    assert findings == []
    assert pkg is not None and {"currency_conversions", "figures"} <= {r.name for r in pkg.resources}
