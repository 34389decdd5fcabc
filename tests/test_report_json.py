"""The JSON report: its shape, checked against the committed JSON Schema, which must not be stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_package, set_cell
from intergov.findings import ERROR, WARNING, Finding, ordered
from intergov.report.json import SHAPE_VERSION, committed_schema, json_schema, render
from intergov.validate import Result, validate

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[kind])


def schema_errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Problems of ``value`` against ``schema``: the JSON Schema keywords our report schema uses."""
    known = {
        "$schema", "title", "description", "type", "required", "additionalProperties", "properties",
        "items", "enum", "const", "minimum",
    }  # fmt: skip
    assert set(schema) <= known, f"the checker does not know {set(schema) - known} (at {where})"
    errors = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, kind) for kind in kinds):
            return [f"{where}: {value!r} is not of type {kinds}"]
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and not any(value == v and type(value) is type(v) for v in schema["enum"]):
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and isinstance(value, int | float) and value < schema["minimum"]:
        errors.append(f"{where}: {value!r} is below {schema['minimum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{where}: {key!r} is missing" for key in schema.get("required", []) if key not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{where}: {key!r} is not allowed" for key in value if key not in properties]
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{where}[{index}]")
    return errors


FINDINGS = ordered(
    [
        Finding("data/a.csv", None, None, None, None, "empty-file", ERROR, "the file is empty"),
        Finding("data/a.csv", 7, 4, "signed_on", "2023-02-30", "date-real", ERROR, "not a date"),
        Finding("data/b.csv", 2, None, None, None, "blank-row", ERROR, "a blank line"),
        Finding("data/b.csv", 3, 2, "name", "Алиев\u200b", "invisible-character", WARNING, "holds U+200B"),
        Finding("datapackage.json", 12, None, None, "../x.csv", "unsafe-path", ERROR, "refused"),
    ]
)


def document(result: Result, **options: Any) -> dict[str, Any]:
    """The JSON report of ``result``, parsed."""
    return json.loads(render(result, **options))


def test_the_committed_schema_is_not_stale() -> None:
    assert committed_schema() == json_schema()


def test_the_committed_file_is_the_generated_schema_as_written() -> None:
    path = Path(__file__).resolve().parent.parent / "src" / "intergov" / "findings.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == json_schema()


def test_the_checker_rejects_what_the_schema_forbids() -> None:
    good = document(Result("datapackage.json", list(FINDINGS)))
    assert schema_errors(good, json_schema()) == []
    broken = [
        {**good, "extra": 1},
        {k: v for k, v in good.items() if k != "counts"},
        {**good, "valid": "yes"},
        {**good, "exit_code": 2},
        {**good, "version": SHAPE_VERSION + 1},
        {**good, "findings": [{**good["findings"][0], "line": "7"}]},
        {**good, "findings": [{**good["findings"][0], "severity": "fatal"}]},
        {**good, "findings": [{**good["findings"][0], "colour": "red"}]},
        {**good, "counts": {"error": -1, "warning": 0}},
        {**good, "findings": [{**good["findings"][0], "column": True}]},
    ]
    for doc in broken:
        assert schema_errors(doc, json_schema()), doc


@pytest.mark.parametrize("strict", [False, True])
def test_the_report_shape(strict: bool) -> None:
    doc = document(Result("datapackage/datapackage.json", list(FINDINGS), strict=strict))
    assert list(doc) == ["version", "path", "valid", "strict", "exit_code", "counts", "truncated", "findings"]
    assert doc["version"] == SHAPE_VERSION
    assert (doc["path"], doc["valid"], doc["strict"], doc["exit_code"]) == (
        "datapackage/datapackage.json",
        False,
        strict,
        1,
    )
    assert doc["counts"] == {"error": 4, "warning": 1}
    assert doc["truncated"] is False
    assert [f["rule"] for f in doc["findings"]] == [f.rule for f in FINDINGS]
    assert doc["findings"][1] == {
        "path": "data/a.csv",
        "line": 7,
        "column": 4,
        "field": "signed_on",
        "value": "2023-02-30",
        "rule": "date-real",
        "severity": "error",
        "message": "not a date",
    }
    assert doc["findings"][0]["line"] is None
    assert schema_errors(doc, committed_schema()) == []


def test_warnings_only_are_valid_unless_strict() -> None:
    warning = [f for f in FINDINGS if f.severity == WARNING]
    assert document(Result("p", warning))["exit_code"] == 0
    assert document(Result("p", warning))["valid"] is True
    assert document(Result("p", warning, strict=True))["exit_code"] == 1


def test_no_findings() -> None:
    doc = document(Result("p", []))
    assert (doc["valid"], doc["exit_code"], doc["findings"], doc["counts"]) == (
        True,
        0,
        [],
        {"error": 0, "warning": 0},
    )
    assert schema_errors(doc, committed_schema()) == []


@pytest.mark.parametrize(("limit", "shown"), [(0, 0), (2, 2), (5, 5), (9, 5)])
def test_max_findings_truncates_the_list_but_not_the_counts(limit: int, shown: int) -> None:
    doc = document(Result("p", list(FINDINGS)), max_findings=limit)
    assert len(doc["findings"]) == shown
    assert doc["truncated"] is (shown < len(FINDINGS))
    assert doc["counts"] == {"error": 4, "warning": 1}
    assert schema_errors(doc, committed_schema()) == []


def test_text_is_kept_as_written_and_the_output_ends_with_a_newline() -> None:
    text = render(Result("p", list(FINDINGS)))
    assert text.endswith("}\n")
    assert "Алиев" in text
    assert json.loads(text)["findings"][3]["value"] == "Алиев\u200b"


def test_a_real_validation_report_matches_the_schema(tmp_path: Path) -> None:
    descriptor = copy_package(tmp_path)
    set_cell(descriptor, "agreements", "joint-statement-2023-04-10", "signed_on", "2023-02-30")
    set_cell(descriptor, "agreements", "treaty-strategic-partnership-allied-relations-2005", "kind", "x" * 500)
    doc = document(validate(descriptor))
    assert schema_errors(doc, committed_schema()) == []
    rules = {f["rule"] for f in doc["findings"]}
    assert {"date-real", "constraint-enum", "conversion-no-rate"} <= rules
    assert doc["exit_code"] == 1
    long = next(f for f in doc["findings"] if f["rule"] == "constraint-enum")
    assert long["value"].endswith("(500 characters)")
