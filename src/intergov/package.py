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
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intergov.findings import ERROR, Finding

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
    descriptor, text, finding = _read_json(descriptor_path, shown, "descriptor-json")
    if finding:
        return None, [finding]
    if not isinstance(descriptor, dict):
        return None, [_finding(shown, 1, "descriptor-invalid", "the descriptor must be a JSON object")]
    lines = json_lines(text)
    findings = _profile_findings(descriptor, text, shown, lines)
    root = descriptor_path.parent
    resources = []
    entries = descriptor.get("resources")
    if not isinstance(entries, list) or not entries:
        findings.append(
            _finding(shown, lines.get(("resources",), 1), "descriptor-invalid", "the package has no resources")
        )
        entries = []
    names: set[str] = set()
    schema_places: dict[str, _Place] = {}
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
    usable, found = _references(resources, declared, schema_places)
    return Package(root, descriptor_path, descriptor, tuple(usable)), findings + found


def _finding(path: str, line: int | None, rule: str, message: str, value: str | None = None) -> Finding:
    return Finding(path, line, None, None, value, rule, ERROR, message)


def _read_json(path: Path, shown: str, rule: str) -> tuple[Any, str, Finding | None]:
    """The JSON document in the file at ``path`` and its text, or a finding (``rule`` when it is not JSON)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, "", _finding(shown, None, "descriptor-unreadable", f"cannot read the file: {e.strerror}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, "", _finding(shown, line, "descriptor-encoding", "the file is not UTF-8 text; save it as UTF-8")
    try:
        return json.loads(text), text, None
    except json.JSONDecodeError as e:
        message = f"not valid JSON: {e.msg} (line {e.lineno})"
        return None, text, Finding(shown, e.lineno, e.colno, None, None, rule, ERROR, message)
    except RecursionError:
        return None, text, _finding(shown, 1, rule, "not valid JSON: nested too deeply")


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")


def json_lines(text: str) -> dict[tuple, int]:
    """Map each JSON path (a tuple of keys and indexes) in ``text`` to its 1-based line.

    A member is located at its key, an array item at its first character. The
    text must be valid JSON; an empty map is returned for anything else.

    >>> json_lines('{\\n  "a": [\\n    1,\\n    {"b": 2}\\n  ]\\n}')[("a", 1, "b")]
    4
    """
    offsets: dict[tuple, int] = {}

    def skip(at: int) -> int:
        return _WHITESPACE.match(text, at).end()

    def value(at: int, path: tuple) -> int:
        at = skip(at)
        offsets.setdefault(path, at)
        char = text[at]
        if char in "{[":
            close = "}" if char == "{" else "]"
            at = skip(at + 1)
            index = 0
            while text[at] != close:
                if char == "{":
                    key, end = json.decoder.scanstring(text, at + 1)
                    offsets[(*path, key)] = at
                    at = value(skip(end) + 1, (*path, key))
                else:
                    at = value(at, (*path, index))
                index += 1
                at = skip(at)
                if text[at] == ",":
                    at = skip(at + 1)
            return at + 1
        if char == '"':
            return json.decoder.scanstring(text, at + 1)[1]
        return _SCALAR.match(text, at).end()

    try:
        value(0, ())
    except (IndexError, AttributeError, ValueError, RecursionError):
        return {}
    starts = [m.end() for m in re.finditer("\n", text)]
    return {path: bisect_right(starts, at) + 1 for path, at in offsets.items()}


#: frictionless notes that intergov reports itself, naming the duplicate and its line.
_SAID_BETTER = {"names of the resources are not unique", "names of the fields are not unique"}


def _profile_findings(descriptor: dict, text: str, shown: str, lines: dict[tuple, int]) -> list[Finding]:
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
        if (unsafe and unsafe.group(1) in refused) or error.note in _SAID_BETTER:
            continue
        line = _note_line(error.note, descriptor, lines)
        found.append(_finding(shown, line, "descriptor-invalid", f"not a valid Data Package: {error.note}"))
    return found


def _refused_paths(descriptor: dict) -> set[str]:
    """The resource and schema paths that :func:`_resource` refuses as unsafe."""
    entries = descriptor.get("resources")
    paths = set()
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            paths.update(p for p in (entry.get("path"), entry.get("schema")) if isinstance(p, str) and _unsafe(p))
    return paths


def _note_line(note: str, document: Any, lines: dict[tuple, int]) -> int | None:
    """The line a frictionless profile note is about: the property it names, holding the value it quotes."""
    key = _property_in(note)
    if key is None:
        return None
    candidates = [path for path in lines if path and path[-1] == key]
    for path in candidates:
        if (note or "").startswith(repr(_at(document, path))):
            return lines[path]
    return lines[candidates[0]] if candidates else None


def _at(document: Any, path: tuple) -> Any:
    for part in path:
        document = document[part]
    return document


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


def _property_in(note: str) -> str | None:
    match = re.search(r"at property '([^']+)'", note or "")
    return match.group(1).split("/")[-1] if match else None


@dataclass(frozen=True)
class _Place:
    """Where a Table Schema is written: the file as shown, and the line of each JSON path in it."""

    shown: str
    lines: dict[tuple, int]

    def line(self, path: tuple) -> int | None:
        """The line of ``path``, or of the nearest enclosing value the file has."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)


def _resource(
    entry: Any, index: int, root: Path, shown: str, lines: dict[tuple, int]
) -> tuple[Resource | None, list[Finding], _Place | None]:
    here = ("resources", index)
    line = lines.get(here)
    if not isinstance(entry, dict):
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {index + 1} is not an object")], None
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {index + 1} has no name")], None
    path = entry.get("path")
    path_line = lines.get((*here, "path"), line)
    if not isinstance(path, str):
        message = f"resource {name!r} needs one path to a CSV file"
        return None, [_finding(shown, path_line, "descriptor-invalid", message)], None
    why = _unsafe(path)
    if why:
        message = f"resource {name!r}: refused {why}; a resource path must stay inside the package folder"
        return None, [_finding(shown, path_line, "unsafe-path", message, path)], None
    file = root / path
    if not _inside(file, [root.resolve()]):
        message = f"resource {name!r}: refused a path that leads outside the package folder through a link"
        return None, [_finding(shown, path_line, "unsafe-path", message, path)], None
    if not file.is_file():
        return None, [_finding(shown, path_line, "missing-file", f"resource {name!r}: no file at {path}", path)], None
    schema, found, place = _schema(entry.get("schema"), name, root, shown, lines, (*here, "schema"))
    if schema is None:
        return None, found, None
    return Resource(name, path, file, schema, entry), found, place


def _schema(
    ref: Any, name: str, root: Path, shown: str, lines: dict[tuple, int], here: tuple
) -> tuple[Mapping[str, Any] | None, list[Finding], _Place | None]:
    """Resolve and check a resource's Table Schema (a path or an inline object), and say where it is written."""
    line = lines.get(here, lines.get(here[:-1]))
    if isinstance(ref, dict):
        schema, schema_shown = ref, shown
        schema_lines = {path[len(here) :]: n for path, n in lines.items() if path[: len(here)] == here}
    elif isinstance(ref, str):
        why = _unsafe(ref)
        if why:
            message = f"resource {name!r}: refused a schema at {why}; keep schemas inside the package"
            return None, [_finding(shown, line, "unsafe-path", message, ref)], None
        file = root / ref
        if not _inside(file, [root.resolve(), (root.parent / "schemas").resolve()]):
            message = f"resource {name!r}: refused a schema path that leads outside the package"
            return None, [_finding(shown, line, "unsafe-path", message, ref)], None
        schema_shown = display_path(file)
        if not file.is_file():
            return None, [_finding(shown, line, "missing-file", f"resource {name!r}: no schema at {ref}", ref)], None
        schema, schema_text, finding = _read_json(file, schema_shown, "schema-json")
        if finding:
            return None, [finding], None
        schema_lines = json_lines(schema_text)
    else:
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {name!r} has no Table Schema")], None
    found = schema_findings(schema, "", schema_shown, lines=schema_lines)
    return (None if found else schema), found, _Place(schema_shown, schema_lines)


def schema_findings(schema: Any, text: str, shown: str, *, lines: dict[tuple, int] | None = None) -> list[Finding]:
    """Check a Table Schema against the profile, and that its keys name its own fields.

    The primary key, each unique key and each foreign key's own fields must be
    fields of the schema, and so must the fields a foreign key to its own table
    refers to (a key to another table is checked by :func:`load`, which knows
    them all). ``text`` is the schema's JSON text, to give each finding its line (or pass
    ``lines``, as made by :func:`json_lines`).
    """
    from frictionless import FrictionlessException, Schema

    lines = json_lines(text) if lines is None else lines
    if not isinstance(schema, dict):
        return [_finding(shown, lines.get((), 1), "schema-invalid", "a Table Schema must be a JSON object")]
    try:
        errors = [e.note for e in Schema.metadata_validate(schema)]
    except FrictionlessException as e:
        errors = [e.error.note]
    except Exception as e:  # frictionless raises bare errors on some malformed schemas
        errors = [str(e)]
    found = [
        _finding(shown, _note_line(note, schema, lines), "schema-invalid", f"not a valid Table Schema: {note}")
        for note in errors
        if note not in _SAID_BETTER and not _KEY_NOT_FIELDS.match(note or "")
    ]
    found += _key_findings(schema, _Place(shown, lines))
    if found:
        return found
    names = [f.get("name") for f in schema.get("fields", [])]
    seen = set()
    for index, name in enumerate(names):
        if name in seen:
            line = lines.get(("fields", index, "name"), lines.get(("fields", index)))
            found.append(_finding(shown, line, "schema-invalid", f"field {name!r} is defined twice"))
        seen.add(name)
    return found


#: frictionless notes on a key naming fields the schema lacks: :func:`_key_findings` names the field and its line.
_KEY_NOT_FIELDS = re.compile(r'(?:primary|foreign) key ".*" does not match the fields "', re.S)


def _names(value: Any) -> list[str]:
    """The field names a key lists (one name, or a list of them); ``[]`` for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return []


def _foreign_keys(schema: Mapping[str, Any]) -> list[tuple[int, list[str], Any, list[str]]]:
    """``(index, fields, resource, reference fields)`` of each well-formed foreign key; resource ``""``: itself."""
    keys = schema.get("foreignKeys")
    found = []
    for index, key in enumerate(keys if isinstance(keys, list) else []):
        reference = key.get("reference") if isinstance(key, dict) else None
        if isinstance(reference, dict):
            found.append(
                (index, _names(key.get("fields")), reference.get("resource", ""), _names(reference.get("fields")))
            )
    return found


def _unknown_fields(
    place: _Place, path: tuple, names: list[str], known: set, what: str, where: str = "this schema"
) -> list[Finding]:
    """A ``schema-invalid`` finding, at its line, for each of ``names`` that is not in ``known``."""
    return [
        _finding(
            place.shown,
            place.line((*path, number)),
            "schema-invalid",
            f"{what} names {name!r}, which is not a field of {where}; correct the field name",
        )
        for number, name in enumerate(names)
        if name not in known
    ]


def _key_findings(schema: Mapping[str, Any], place: _Place) -> list[Finding]:
    """Keys (primary, unique, foreign) whose fields are not the schema's own, and references to itself likewise."""
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return []
    known = {f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)}
    found = _unknown_fields(place, ("primaryKey",), _names(schema.get("primaryKey")), known, "the primary key")
    unique = schema.get("uniqueKeys")
    for index, key in enumerate(unique if isinstance(unique, list) else []):
        found += _unknown_fields(place, ("uniqueKeys", index), _names(key), known, "a unique key (uniqueKeys)")
    for index, local, resource, remote in _foreign_keys(schema):
        here = ("foreignKeys", index)
        found += _unknown_fields(place, (*here, "fields"), local, known, "a foreign key")
        if resource == "":
            found += _unknown_fields(place, (*here, "reference", "fields"), remote, known, "a foreign key's reference")
    return found


def _references(
    resources: list[Resource], declared: set[str], places: Mapping[str, _Place]
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
        for index, local, target, remote in _foreign_keys(resource.schema):
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
                unknown = _unknown_fields(
                    place, (*here, "fields"), remote, fields[target], "a foreign key's reference", repr(target)
                )
                found += unknown
                broken = broken or bool(unknown)
        if not broken:
            usable.append(resource)
    return usable, found
