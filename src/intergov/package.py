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
    for index, entry in enumerate(entries):
        resource, found = _resource(entry, index, root, shown, lines)
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


def _resource(
    entry: Any, index: int, root: Path, shown: str, lines: dict[tuple, int]
) -> tuple[Resource | None, list[Finding]]:
    here = ("resources", index)
    line = lines.get(here)
    if not isinstance(entry, dict):
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {index + 1} is not an object")]
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {index + 1} has no name")]
    path = entry.get("path")
    path_line = lines.get((*here, "path"), line)
    if not isinstance(path, str):
        message = f"resource {name!r} needs one path to a CSV file"
        return None, [_finding(shown, path_line, "descriptor-invalid", message)]
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
    schema, found = _schema(entry.get("schema"), name, root, shown, lines, (*here, "schema"))
    if schema is None:
        return None, found
    return Resource(name, path, file, schema, entry), found


def _schema(
    ref: Any, name: str, root: Path, shown: str, lines: dict[tuple, int], here: tuple
) -> tuple[Mapping[str, Any] | None, list[Finding]]:
    """Resolve and check a resource's Table Schema (a path or an inline object)."""
    line = lines.get(here, lines.get(here[:-1]))
    if isinstance(ref, dict):
        schema, schema_shown = ref, shown
        schema_lines = {path[len(here) :]: n for path, n in lines.items() if path[: len(here)] == here}
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
        schema_lines = json_lines(schema_text)
    else:
        return None, [_finding(shown, line, "descriptor-invalid", f"resource {name!r} has no Table Schema")]
    found = schema_findings(schema, "", schema_shown, lines=schema_lines)
    return (None if found else schema), found


def schema_findings(schema: Any, text: str, shown: str, *, lines: dict[tuple, int] | None = None) -> list[Finding]:
    """Check a Table Schema against the profile, and that its keys name its own fields.

    ``text`` is the schema's JSON text, to give each finding its line (or pass
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
        if note not in _SAID_BETTER
    ]
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


def schemas_by_resource(package: Package) -> dict[str, Mapping[str, Any]]:
    """Map each resource name to its Table Schema."""
    return {r.name: r.schema for r in package.resources}
