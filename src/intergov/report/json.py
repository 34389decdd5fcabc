"""The JSON format: a stable, documented shape (``findings.schema.json`` beside this module).

>>> import json
>>> sorted(json.loads(render(_example()))["findings"][0])
['column', 'field', 'line', 'message', 'path', 'rule', 'severity', 'value']
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

from intergov.findings import SEVERITIES, Finding

#: Bump when the shape changes incompatibly.
SHAPE_VERSION = 1


def document(result, *, max_findings: int | None = None) -> dict:
    """The report as plain data."""
    shown = result.findings if max_findings is None else result.findings[:max_findings]
    return {
        "version": SHAPE_VERSION,
        "path": result.path,
        "valid": result.valid,
        "strict": result.strict,
        "exit_code": result.exit_code,
        "counts": result.counts,
        "truncated": len(shown) < len(result.findings),
        "findings": [f.to_dict() for f in shown],
    }


def render(result, *, max_findings: int | None = None, colour: bool = False) -> str:
    """The report as indented JSON text."""
    return json.dumps(document(result, max_findings=max_findings), indent=2, ensure_ascii=False) + "\n"


def json_schema() -> dict:
    """The JSON Schema of :func:`document`, generated from the findings model."""
    types = {"str": "string", "int": "integer"}
    properties = {}
    for field in dataclasses.fields(Finding):
        kinds = [types[t.strip()] for t in str(field.type).split("|") if t.strip() in types]
        if "None" in str(field.type):
            kinds.append("null")
        properties[field.name] = {"type": kinds[0] if len(kinds) == 1 else kinds}
    properties["severity"] = {"enum": list(SEVERITIES)}
    finding = {
        "type": "object",
        "required": [f.name for f in dataclasses.fields(Finding)],
        "additionalProperties": False,
        "properties": properties,
    }
    counts = {"type": "object", "properties": {s: {"type": "integer", "minimum": 0} for s in SEVERITIES}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "intergov validation report",
        "type": "object",
        "required": ["version", "path", "valid", "strict", "exit_code", "counts", "truncated", "findings"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": SHAPE_VERSION},
            "path": {"type": "string"},
            "valid": {"type": "boolean"},
            "strict": {"type": "boolean"},
            "exit_code": {"enum": [0, 1]},
            "counts": counts,
            "truncated": {"type": "boolean"},
            "findings": {"type": "array", "items": finding},
        },
    }


def committed_schema() -> dict:
    """The JSON Schema shipped with the package (a test keeps it equal to :func:`json_schema`)."""
    return json.loads(resources.files("intergov").joinpath("findings.schema.json").read_text("utf-8"))


def _example():
    from intergov.validate import Result

    finding = Finding("data/a.csv", 2, 1, "id", "x", "type-error", "error", "expected a whole number")
    return Result("datapackage.json", [finding])
