"""Load a Data Package descriptor, resolve its schemas, refuse unsafe paths.

This is the descriptor layer: it reads ``datapackage.json`` and each Table
Schema it points to, and reports what is wrong with them as findings (with the
line in the JSON file), before any data file is opened.

A resource path must stay inside the package folder: no URL, no absolute path,
no ``..``, no symlink that leads outside. A schema path must stay inside the
package folder too, or inside the project's ``schemas/`` folder beside it (the
source package reaches ``schemas/`` through the ``datapackage/schemas`` link,
so each field is defined once and plain ``frictionless validate`` still works).

>>> pkg, found = load("datapackage/datapackage.json")  # doctest: +SKIP
>>> [r.name for r in pkg.resources][:2]  # doctest: +SKIP
['countries', 'currencies']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intergov.findings import ERROR, Finding

DESCRIPTOR_NAME = "datapackage.json"


class PackageError(Exception):
    """The package cannot be read at all (a usage problem: exit code 2)."""


@dataclass(frozen=True)
class Resource:
    """One tabular resource: its name, its CSV file and its Table Schema."""

    name: str
    path: str
    file: Path
    schema: Mapping[str, Any]
    descriptor: Mapping[str, Any] = field(repr=False)

    @property
    def display(self) -> str:
        """The file's path as a curator would type it (relative to the working directory)."""
        return display_path(self.file)


@dataclass(frozen=True)
class Package:
    """A loaded descriptor and the resources that could be resolved safely."""

    root: Path
    descriptor_path: Path
    descriptor: Mapping[str, Any] = field(repr=False)
    resources: tuple[Resource, ...]

    @property
    def version(self) -> str:
        """The package version, or ``""`` when the descriptor has none."""
        return str(self.descriptor.get("version", ""))

    def resource(self, name: str) -> Resource | None:
        """The resource called ``name``, if present."""
        return next((r for r in self.resources if r.name == name), None)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(Path(path).absolute())


def locate(path: str | os.PathLike[str]) -> Path:
    """The descriptor file for ``path`` (a descriptor or a folder holding one).

    Raises :class:`PackageError` when there is none.
    """
    candidate = Path(path)
    if candidate.is_dir():
        candidate = candidate / DESCRIPTOR_NAME
    if not candidate.is_file():
        raise PackageError(f"no data package descriptor at {display_path(candidate)}")
    return candidate


def load(path: str | os.PathLike[str]) -> tuple[Package | None, list[Finding]]:
    """Load the package at ``path``; return it (``None`` when unusable) and the findings.

    Resources whose paths or schemas are unusable are left out of the package,
    with a finding each; the others are kept, so that one bad resource does not
    hide the problems of the rest.
    """
    descriptor_path = locate(path)
    shown = display_path(descriptor_path)
    text, finding = _read_text(descriptor_path, shown)
    if finding:
        return None, [finding]
    descriptor, finding = _parse_json(text, shown, "descriptor-json")
    if finding:
        return None, [finding]
    if not isinstance(descriptor, dict):
        return None, [_finding(shown, 1, "descriptor-invalid", "the descriptor must be a JSON object")]
    findings = _profile_findings(descriptor, text, shown)
    root = descriptor_path.parent
    resources = []
    entries = descriptor.get("resources")
    if not isinstance(entries, list) or not entries:
        findings.append(
            _finding(shown, _line_of(text, '"resources"'), "descriptor-invalid", "the package has no resources")
        )
        entries = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        resource, found = _resource(entry, index, root, text, shown)
        findings.extend(found)
        if resource is None:
            continue
        if resource.name in names:
            findings.append(
                _finding(
                    shown,
                    _line_of(text, f'"{resource.name}"'),
                    "descriptor-invalid",
                    f"two resources are called {resource.name!r}; resource names must be unique",
                )
            )
            continue
        names.add(resource.name)
        resources.append(resource)
    package = Package(root, descriptor_path, descriptor, tuple(resources))
    return package, findings


def _finding(path: str, line: int | None, rule: str, message: str, value: str | None = None) -> Finding:
    return Finding(path, line, None, None, value, rule, ERROR, message)


def _read_text(path: Path, shown: str) -> tuple[str, Finding | None]:
    try:
        data = path.read_bytes()
    except OSError as e:
        return "", _finding(shown, None, "descriptor-unreadable", f"cannot read the file: {e.strerror}")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return "", _finding(shown, line, "descriptor-encoding", "the file is not UTF-8 text; save it as UTF-8")


def _parse_json(text: str, shown: str, rule: str) -> tuple[Any, Finding | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as e:
        return None, Finding(
            shown, e.lineno, e.colno, None, None, rule, ERROR, f"not valid JSON: {e.msg} (line {e.lineno})"
        )
    except RecursionError:
        return None, _finding(shown, 1, rule, "not valid JSON: nested too deeply")


def _line_of(text: str, needle: str, start: int = 0) -> int | None:
    """The 1-based line of the first ``needle`` in ``text`` at or after ``start``."""
    at = text.find(needle, start)
    return None if at < 0 else text.count("\n", 0, at) + 1


def _profile_findings(descriptor: dict, text: str, shown: str) -> list[Finding]:
    """Check the descriptor against the Data Package profile (frictionless-py's)."""
    from frictionless import FrictionlessException
    from frictionless import Package as FrictionlessPackage

    found = []
    try:
        errors = list(FrictionlessPackage.metadata_validate(descriptor))
    except FrictionlessException as e:
        errors = [e.error]
    except Exception as e:  # frictionless raises bare errors on some malformed descriptors
        return [_finding(shown, 1, "descriptor-invalid", f"not a valid Data Package: {e}")]
    for error in errors:
        key = _property_in(error.note)
        line = _line_of(text, f'"{key}"') if key else None
        found.append(_finding(shown, line, "descriptor-invalid", f"not a valid Data Package: {error.note}"))
    return found


def _property_in(note: str) -> str | None:
    match = re.search(r"at property '([^']+)'", note or "")
    return match.group(1).split("/")[-1] if match else None


def _unsafe(path: str) -> str | None:
    """Why ``path`` is not a safe relative path, or ``None`` when it is."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) or path.startswith("file:"):
        return "a URL"
    if os.path.isabs(path) or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return "an absolute path"
    if ".." in re.split(r"[\\/]", path):
        return "a path that leaves the package folder"
    if path.startswith("~") or "$" in path or "%" in path:
        return "a path with a home folder or variable"
    return None


def _inside(path: Path, folders: list[Path]) -> bool:
    real = path.resolve()
    return any(real == f or f in real.parents for f in folders)


def _resource(entry: Any, index: int, root: Path, text: str, shown: str) -> tuple[Resource | None, list[Finding]]:
    if not isinstance(entry, dict):
        return None, [_finding(shown, None, "descriptor-invalid", f"resource {index + 1} is not an object")]
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        return None, [_finding(shown, None, "descriptor-invalid", f"resource {index + 1} has no name")]
    at = text.find(f'"{name}"')
    line = _line_of(text, f'"{name}"')
    path = entry.get("path")
    if not isinstance(path, str):
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {name!r} needs one path to a CSV file")]
    path_line = _line_of(text, json.dumps(path), max(at, 0)) or line
    why = _unsafe(path)
    if why:
        message = f"resource {name!r}: refused {why}; a resource path must stay inside the package folder"
        return None, [_finding(shown, path_line, "unsafe-path", message, path)]
    file = root / path
    if not _inside(file, [root.resolve()]):
        message = f"resource {name!r}: refused a path that leads outside the package folder through a link"
        return None, [_finding(shown, path_line, "unsafe-path", message, path)]
    if not file.is_file():
        return None, [_finding(shown, path_line, "missing-file", f"resource {name!r}: no file at {path}", path)]
    schema, found = _schema(entry.get("schema"), name, root, text, shown, at)
    if schema is None:
        return None, found
    return Resource(name, path, file, schema, entry), found


def _schema(
    ref: Any, name: str, root: Path, text: str, shown: str, at: int
) -> tuple[Mapping[str, Any] | None, list[Finding]]:
    """Resolve and check a resource's Table Schema (a path or an inline object)."""
    line = _line_of(text, '"schema"', max(at, 0))
    if isinstance(ref, dict):
        schema, schema_shown, schema_text = ref, shown, text
    elif isinstance(ref, str):
        why = _unsafe(ref)
        if why:
            message = f"resource {name!r}: refused a schema at {why}; keep schemas inside the package"
            return None, [_finding(shown, line, "unsafe-path", message, ref)]
        file = root / ref
        if not _inside(file, [root.resolve(), (root.parent / "schemas").resolve()]):
            message = f"resource {name!r}: refused a schema path that leads outside the package"
            return None, [_finding(shown, line, "unsafe-path", message, ref)]
        schema_shown = display_path(file)
        if not file.is_file():
            return None, [_finding(shown, line, "missing-file", f"resource {name!r}: no schema at {ref}", ref)]
        schema_text, finding = _read_text(file, schema_shown)
        if finding:
            return None, [finding]
        schema, finding = _parse_json(schema_text, schema_shown, "schema-json")
        if finding:
            return None, [finding]
    else:
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {name!r} has no Table Schema")]
    found = schema_findings(schema, schema_text, schema_shown)
    return (None if found else schema), found


def schema_findings(schema: Any, text: str, shown: str) -> list[Finding]:
    """Check a Table Schema against the profile, and that its keys name its own fields."""
    from frictionless import FrictionlessException, Schema

    if not isinstance(schema, dict):
        return [_finding(shown, 1, "schema-invalid", "a Table Schema must be a JSON object")]
    try:
        errors = [e.note for e in Schema.metadata_validate(schema)]
    except FrictionlessException as e:
        errors = [e.error.note]
    except Exception as e:  # frictionless raises bare errors on some malformed schemas
        errors = [str(e)]
    found = [
        _finding(
            shown,
            _line_of(text, f'"{_property_in(note)}"') if _property_in(note) else None,
            "schema-invalid",
            f"not a valid Table Schema: {note}",
        )
        for note in errors
    ]
    if found:
        return found
    names = [f.get("name") for f in schema.get("fields", [])]
    for name in {n for n in names if names.count(n) > 1}:
        found.append(_finding(shown, _line_of(text, f'"{name}"'), "schema-invalid", f"field {name!r} is defined twice"))
    return found


def schemas_by_resource(package: Package) -> dict[str, Mapping[str, Any]]:
    """Map each resource name to its Table Schema."""
    return {r.name: r.schema for r in package.resources}
