"""Load a Data Package descriptor, resolve its schemas, refuse unsafe paths.

This is the descriptor layer: it reads ``datapackage.json`` and each Table
Schema it points to, and reports what is wrong with them as findings (with the
line in the JSON file), before any data file is opened.

Paths and names are judged by :mod:`intergov.paths`: a resource path must stay
inside the package folder (no URL, no absolute path, no ``..``, no NUL, no
symlink that leads outside); a schema path must stay inside the package folder
too, or inside the project's ``schemas/`` folder beside it (the source package
reaches ``schemas/`` through the ``datapackage/schemas`` link, so each field is
defined once and plain ``frictionless validate`` still works); a resource name
names the release's files, so it must be a plain name; ``$schema`` and
``profile`` never lead to a file outside or a URL. A JSON object that repeats a
key is refused (readers disagree on which value counts). Each Table Schema is
checked by :mod:`intergov.schema_checks`.

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

from intergov import cache
from intergov.findings import ERROR, Finding
from intergov.paths import UnsafePath, contained, display_path, name_problem, path_problem, reference_problems
from intergov.schema_checks import (
    SAID_BETTER,
    Place,
    foreign_keys,
    json_lines,
    note_line,
    schema_findings,
    unknown_fields,
)
from intergov.schema_checks import (
    finding as _finding,
)

DESCRIPTOR_NAME = "datapackage.json"

#: The package every command works on by default.
DEFAULT_PACKAGE = "datapackage/datapackage.json"


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
    descriptor, text, found = _read_json(descriptor_path, shown, "descriptor-json")
    if found:
        return None, found
    if not isinstance(descriptor, dict):
        return None, [_finding(shown, 1, "descriptor-invalid", "the descriptor must be a JSON object")]
    lines = json_lines(text)
    root = descriptor_path.parent
    refused = _references(descriptor, "package", root, shown, lines)
    if refused:  # frictionless-py would read or fetch them while checking the profile
        return None, refused
    findings = cache.findings(
        "descriptor", shown, descriptor, lines, lambda: _profile_findings(descriptor, shown, lines)
    )
    resources = []
    entries = descriptor.get("resources")
    if not isinstance(entries, list) or not entries:
        findings.append(
            _finding(shown, lines.get(("resources",), 1), "descriptor-invalid", "the package has no resources")
        )
        entries = []
    names: set[str] = set()
    schema_places: dict[str, Place] = {}
    for index, entry in enumerate(entries):
        resource, found, place = _resource(entry, index, root, shown, lines)
        findings.extend(found)
        if resource is None:
            continue
        if resource.name in names:
            findings.append(
                _finding(
                    shown,
                    lines.get(("resources", index, "name")),
                    "descriptor-invalid",
                    f"two resources are called {resource.name!r}; resource names must be unique",
                )
            )
            continue
        names.add(resource.name)
        resources.append(resource)
        schema_places[resource.name] = place
    declared = {entry["name"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("name"), str)}
    usable, found = _foreign_keys(resources, declared, schema_places)
    return Package(root, descriptor_path, descriptor, tuple(usable)), findings + found


def _read_json(path: Path, shown: str, rule: str) -> tuple[Any, str, list[Finding]]:
    """The JSON document in the file at ``path`` and its text, or findings (``rule`` when it is not JSON).

    An object that repeats a key is refused too, with a finding at the line of
    each repeated key: JSON readers disagree on which of the values counts.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, "", [_finding(shown, None, "descriptor-unreadable", f"cannot read the file: {e.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, "", [_finding(shown, line, "descriptor-encoding", "the file is not UTF-8 text; save it as UTF-8")]
    repeated: list[tuple[dict, str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        made: dict = {}
        for key, value in items:
            if key in made:
                repeated.append((made, key))
            made[key] = value
        return made

    try:
        document = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        message = f"not valid JSON: {e.msg} (line {e.lineno})"
        return None, text, [Finding(shown, e.lineno, e.colno, None, None, rule, ERROR, message)]
    except RecursionError:
        return None, text, [_finding(shown, 1, rule, "not valid JSON: nested too deeply")]
    if repeated:
        return None, text, _repeated_keys(document, repeated, text, shown, rule)
    return document, text, []


def _repeated_keys(document: Any, repeated: list[tuple[dict, str]], text: str, shown: str, rule: str) -> list[Finding]:
    """A finding at the line of each key repeated in an object of ``document`` (inside an object that is kept)."""
    where: dict[int, tuple] = {}
    stack: list[tuple[tuple, Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            where[id(value)] = path
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
    lines = json_lines(text)
    found = []
    for made, key in repeated:
        if id(made) in where:
            message = (
                f"the key {key!r} is written twice in one object; JSON readers disagree on which value counts: keep one"
            )
            found.append(_finding(shown, lines.get((*where[id(made)], key)), rule, message, key))
    return found


def _references(document: Any, kind: str, root: Path, shown: str, lines: dict[tuple, int]) -> list[Finding]:
    """An ``unsafe-path`` finding for each ``$schema`` or ``profile`` that leads outside (:mod:`intergov.paths`)."""
    return [
        _finding(shown, lines.get(path), "unsafe-path", message, value)
        for path, value, message in reference_problems(document, kind, root)
    ]


def _profile_findings(descriptor: dict, shown: str, lines: dict[tuple, int]) -> list[Finding]:
    """Check the descriptor against the Data Package profile (frictionless-py's).

    Unsafe resource paths are left to :func:`_resource`, which says which
    resource and why.
    """
    from frictionless import FrictionlessException
    from frictionless import Package as FrictionlessPackage

    found = []
    try:
        errors = list(FrictionlessPackage.metadata_validate(descriptor))
    except FrictionlessException as e:
        errors = [e.error]
    except Exception as e:  # frictionless raises bare errors on some malformed descriptors
        return [_finding(shown, 1, "descriptor-invalid", f"not a valid Data Package: {e}")]
    refused = _refused_paths(descriptor)
    for error in errors:
        unsafe = re.match(r'path "(.*)" is not safe', error.note or "")
        if (unsafe and unsafe.group(1) in refused) or error.note in SAID_BETTER:
            continue
        line = note_line(error.note, descriptor, lines)
        found.append(_finding(shown, line, "descriptor-invalid", f"not a valid Data Package: {error.note}"))
    return found


def _refused_paths(descriptor: dict) -> set[str]:
    """The resource and schema paths that :func:`_resource` refuses as unsafe."""
    entries = descriptor.get("resources")
    paths = set()
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            paths.update(p for p in (entry.get("path"), entry.get("schema")) if isinstance(p, str) and path_problem(p))
    return paths


def _resource(
    entry: Any, index: int, root: Path, shown: str, lines: dict[tuple, int]
) -> tuple[Resource | None, list[Finding], Place | None]:
    here = ("resources", index)
    line = lines.get(here)
    if not isinstance(entry, dict):
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {index + 1} is not an object")], None
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {index + 1} has no name")], None
    problem = name_problem(name)
    if problem:
        message = f"resource name {problem}; it names the release's files data/<name>.csv and data/<name>.parquet"
        return None, [_finding(shown, lines.get((*here, "name"), line), "unsafe-path", message, name)], None
    path = entry.get("path")
    path_line = lines.get((*here, "path"), line)
    if not isinstance(path, str):
        message = f"resource {name!r} needs one path to a CSV file"
        return None, [_finding(shown, path_line, "descriptor-invalid", message)], None
    try:
        file = contained(root, path, [root])
    except UnsafePath as e:
        message = f"resource {name!r}: refused {e}; a resource path must stay inside the package folder"
        return None, [_finding(shown, path_line, "unsafe-path", message, path)], None
    if not file.is_file():
        return None, [_finding(shown, path_line, "missing-file", f"resource {name!r}: no file at {path}", path)], None
    schema, found, place = _schema(entry.get("schema"), name, root, shown, lines, (*here, "schema"))
    if schema is None:
        return None, found, None
    return Resource(name, path, file, schema, entry), found, place


def _schema(
    ref: Any, name: str, root: Path, shown: str, lines: dict[tuple, int], here: tuple
) -> tuple[Mapping[str, Any] | None, list[Finding], Place | None]:
    """Resolve and check a resource's Table Schema (a path or an inline object), and say where it is written."""
    line = lines.get(here, lines.get(here[:-1]))
    if isinstance(ref, dict):
        schema, schema_shown = ref, shown
        schema_lines = {path[len(here) :]: n for path, n in lines.items() if path[: len(here)] == here}
    elif isinstance(ref, str):
        try:
            file = contained(root, ref, [root, root.parent / "schemas"])
        except UnsafePath as e:
            message = f"resource {name!r}: refused a schema at {e}; keep schemas inside the package"
            return None, [_finding(shown, line, "unsafe-path", message, ref)], None
        schema_shown = display_path(file)
        if not file.is_file():
            return None, [_finding(shown, line, "missing-file", f"resource {name!r}: no schema at {ref}", ref)], None
        schema, schema_text, found = _read_json(file, schema_shown, "schema-json")
        if found:
            return None, found, None
        schema_lines = json_lines(schema_text)
        refused = _references(schema, "schema", root, schema_shown, schema_lines)
        if refused:  # frictionless-py would read or fetch them while checking the profile
            return None, refused, None
    else:
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {name!r} has no Table Schema")], None
    place = schema_shown if isinstance(ref, str) else f"{shown}#/{'/'.join(map(str, here))}"
    found = cache.findings(
        "schema", place, schema, schema_lines, lambda: schema_findings(schema, "", schema_shown, lines=schema_lines)
    )
    return (None if found else schema), found, Place(schema_shown, schema_lines)


def _foreign_keys(
    resources: list[Resource], declared: set[str], places: Mapping[str, Place]
) -> tuple[list[Resource], list[Finding]]:
    """Check the foreign keys to other resources, now that all are known; return the usable resources and findings.

    A key to a resource the package does not declare is reported, and the
    Table Schema layer leaves its values unchecked. A key to fields that its
    resource lacks would blame every row for the schema's mistake, so its
    resource is left out until the schema is fixed. A key to a declared
    resource that could not be read is skipped: that resource has its own finding.
    """
    fields = {r.name: {f["name"] for f in r.schema["fields"]} for r in resources}
    usable, found = [], []
    for resource in resources:
        place = places[resource.name]
        broken = False
        for index, local, target, remote in foreign_keys(resource.schema):
            here = ("foreignKeys", index, "reference")
            if target == "":
                continue  # a key to its own table: checked with the schema
            if target not in declared:
                message = (
                    f"the foreign key ({', '.join(local)}) refers to resource {target!r}, which the package does "
                    "not declare; correct the resource name"
                )
                found.append(_finding(place.shown, place.line((*here, "resource")), "schema-invalid", message))
            elif target in fields:
                unknown = unknown_fields(
                    place, (*here, "fields"), remote, fields[target], "a foreign key's reference", repr(target)
                )
                found += unknown
                broken = broken or bool(unknown)
        if not broken:
            usable.append(resource)
    return usable, found
