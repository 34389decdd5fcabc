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

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from intergov import cache
from intergov.findings import ERROR, Finding
from intergov.paths import UnsafePath, contained, display_path, name_problem, path_problem, reference_problems
from intergov.schema_checks import (
    MAX_NESTING,
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

#: The descriptor names looked for in a package folder, in order: JSON, then YAML.
DESCRIPTOR_NAMES = (DESCRIPTOR_NAME, "datapackage.yaml", "datapackage.yml")

#: The suffixes of a descriptor or schema file read as YAML (any other is read as JSON).
YAML_SUFFIXES = (".yaml", ".yml")

#: The ``hash`` algorithms a resource may name (``"<algorithm>:<hex>"``; a bare hex digest is MD5).
HASH_ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")

#: Formats and compressions intergov does not read, by ``format``/``compression`` or file suffix: what each is.
JSON_TABLES = frozenset({"json", "jsonl", "ndjson"})
SPREADSHEETS = frozenset({"xlsx", "xls", "ods"})
COMPRESSIONS = frozenset({"gz", "zip", "bz2", "xz", "zst"})

#: How many values a YAML file may hold once its aliases are expanded (a few "billion laughs" aliases must
#: not build an endless document); no descriptor comes near.
MAX_YAML_VALUES = 1_000_000

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
        candidate = next(
            (candidate / n for n in DESCRIPTOR_NAMES if (candidate / n).is_file()), candidate / DESCRIPTOR_NAME
        )
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
    descriptor, lines, found = _read_document(descriptor_path, shown, "descriptor-json")
    if found:
        return None, found
    if not isinstance(descriptor, dict):
        return None, [_finding(shown, 1, "descriptor-invalid", "the descriptor must be a JSON object")]
    descriptor = _with_v1_keys(descriptor)
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


def _read_document(path: Path, shown: str, rule: str) -> tuple[Any, dict[tuple, int], list[Finding]]:
    """The JSON (or YAML, by the file's suffix) document in the file at ``path`` and the line of each of its
    values (:func:`~intergov.schema_checks.json_lines`), or findings (``rule`` when it cannot be parsed).

    An object that repeats a key is refused too, with a finding at the line of
    each repeated key: readers disagree on which of the values counts.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, {}, [_finding(shown, None, "descriptor-unreadable", f"cannot read the file: {e.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, {}, [_finding(shown, line, "descriptor-encoding", "the file is not UTF-8 text; save it as UTF-8")]
    if path.suffix.lower() in YAML_SUFFIXES:
        return _read_yaml(text, shown, rule)
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
        return None, {}, [Finding(shown, e.lineno, e.colno, None, None, rule, ERROR, message)]
    except RecursionError:
        return None, {}, [_finding(shown, 1, rule, "not valid JSON: nested too deeply")]
    lines = json_lines(text)
    if repeated:
        return None, lines, _repeated_keys(document, repeated, lines, shown, rule)
    return document, lines, []


def _repeated_keys(
    document: Any, repeated: list[tuple[dict, str]], lines: dict[tuple, int], shown: str, rule: str
) -> list[Finding]:
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
    return [
        _repeated_key(shown, lines.get((*where[id(made)], key)), rule, key, "JSON")
        for made, key in repeated
        if id(made) in where
    ]


def _repeated_key(shown: str, line: int | None, rule: str, key: str, language: str) -> Finding:
    message = (
        f"the key {key!r} is written twice in one object; {language} readers disagree on which value counts: keep one"
    )
    return _finding(shown, line, rule, message, key)


def _read_yaml(text: str, shown: str, rule: str) -> tuple[Any, dict[tuple, int], list[Finding]]:
    """The YAML document in ``text``, as the JSON values it stands for, and the line of each value.

    A member is located at its key, an item at its first character, as in
    JSON. A mapping that repeats a key, a key that is not text, a value with
    no JSON counterpart (binary, a set), nesting deeper than
    :data:`~intergov.schema_checks.MAX_NESTING` (a recursive alias too) and
    more than :data:`MAX_YAML_VALUES` values are refused. Dates are kept as
    written (ISO text), as a JSON descriptor writes them.
    """
    import yaml

    def refused(line: int, message: str) -> tuple[None, dict, list[Finding]]:
        return None, {}, [_finding(shown, line, rule, f"not valid YAML for a descriptor: {message}")]

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        return None, {}, [_finding(shown, line, rule, f"not valid YAML: {e.problem or e.context} (line {line})")]
    except (yaml.YAMLError, RecursionError) as e:
        return refused(1, "nested too deeply" if isinstance(e, RecursionError) else str(e))
    if root is None:
        return None, {}, []
    scalars = yaml.SafeLoader("")
    lines: dict[tuple, int] = {}
    found: list[Finding] = []
    budget = [MAX_YAML_VALUES]

    class Refused(Exception):
        pass

    def build(node: yaml.Node, path: tuple, line: int) -> Any:
        lines.setdefault(path, line)
        budget[0] -= 1
        if len(path) > MAX_NESTING or budget[0] < 0:
            raise Refused(line, "nested too deeply, or too many values (aliases repeat them); flatten it")
        if isinstance(node, yaml.MappingNode) and node.tag == "tag:yaml.org,2002:map":
            made: dict = {}
            for key_node, value_node in node.value:
                at = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise Refused(at, "a key that is not text; write it as text")
                key = key_node.value
                if key in made:
                    found.append(_repeated_key(shown, at, rule, key, "YAML"))
                made[key] = build(value_node, (*path, key), at)
            return made
        if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
            return [build(item, (*path, i), item.start_mark.line + 1) for i, item in enumerate(node.value)]
        value = scalars.construct_object(node) if isinstance(node, yaml.ScalarNode) else ()
        if hasattr(value, "isoformat"):
            return node.value
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise Refused(node.start_mark.line + 1, f"a value tagged {node.tag} has no JSON counterpart")

    try:
        document = build(root, (), root.start_mark.line + 1)
    except Refused as e:
        return refused(*e.args)
    except yaml.YAMLError as e:
        return refused(root.start_mark.line + 1, str(e))
    return (None if found else document), lines, found


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
    unread = _unread_values(descriptor)
    said = _inline_schema_notes(descriptor)
    for error in errors:
        unsafe = re.match(r'path "(.*)" is not safe', error.note or "")
        if (unsafe and unsafe.group(1) in refused) or error.note in SAID_BETTER:
            continue
        if error.note in said or any((error.note or "").startswith(value) for value in unread):
            continue
        line = note_line(error.note, descriptor, lines)
        found.append(_finding(shown, line, "descriptor-invalid", f"not a valid Data Package: {error.note}"))
    return found


def with_v1_keys_as_lists(schema: Any) -> Any:
    """``schema`` with the Table Schema v1 keys written as one name made lists, as v2 writes them.

    A v1 ``primaryKey``, foreign key ``fields`` or ``reference.fields`` may be
    a string (Data Package v2 asks readers to accept v1). Every schema is read
    through this, once, as it is loaded, so nothing after it sees a string key;
    anything that is not a schema object is returned as it is.

    >>> with_v1_keys_as_lists({"primaryKey": "id", "foreignKeys": [{"fields": "a", "reference": {"fields": "b"}}]})
    {'primaryKey': ['id'], 'foreignKeys': [{'fields': ['a'], 'reference': {'fields': ['b']}}]}
    """
    if not isinstance(schema, dict):
        return schema
    schema = _v1_list(schema, "primaryKey")
    keys = schema.get("foreignKeys")
    if isinstance(keys, list):
        schema["foreignKeys"] = [_v1_foreign_key(key) for key in keys]
    return schema


def _v1_foreign_key(key: Any) -> Any:
    if not isinstance(key, dict):
        return key
    key = _v1_list(key, "fields")
    if isinstance(key.get("reference"), dict):
        key["reference"] = _v1_list(key["reference"], "fields")
    return key


def _v1_list(entry: dict, name: str) -> dict:
    """A copy of ``entry`` whose ``name``, when one string, is a list of it."""
    value = entry.get(name)
    return {**entry, name: [value]} if isinstance(value, str) else dict(entry)


def _with_v1_keys(descriptor: dict) -> dict:
    """``descriptor`` with each inline schema's v1 string keys made lists (:func:`with_v1_keys_as_lists`)."""
    entries = descriptor.get("resources")
    if not isinstance(entries, list):
        return descriptor
    resources = [
        {**e, "schema": with_v1_keys_as_lists(e["schema"])} if isinstance(e, dict) and "schema" in e else e
        for e in entries
    ]
    return {**descriptor, "resources": resources}


def _inline_schema_notes(descriptor: dict) -> set[str]:
    """The profile notes of the descriptor's inline schemas: :func:`_schema` reports them once, at their lines."""
    from frictionless import FrictionlessException, Schema

    entries = descriptor.get("resources")
    notes = set()
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            try:
                notes.update(e.note for e in Schema.metadata_validate(entry["schema"]))
            except FrictionlessException as e:
                notes.add(e.error.note)
    return notes


def _unread_values(descriptor: dict) -> set[str]:
    """The values (as profile notes quote them) of the properties that :func:`_unread` reports."""
    entries = descriptor.get("resources")
    values = set()
    for entry in entries if isinstance(entries, list) else []:
        unread = _unread(entry) if isinstance(entry, dict) else None
        if unread:
            values.add(repr(entry.get(unread[0])))
    return values


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
    unread = _unread(entry)
    if unread:
        key, what, todo = unread
        message = f"resource {name!r} is {what}, which intergov does not read; {todo}"
        return None, [_finding(shown, lines.get((*here, key), line), "resource-unsupported", message)], None
    path = entry.get("path")
    path_line = lines.get((*here, "path"), line)
    if not isinstance(path, str):
        message = f"resource {name!r} needs one path to a CSV file"
        return None, [_finding(shown, path_line, "descriptor-invalid", message)], None
    try:
        file = contained(root, path, [root])
    except UnsafePath as e:
        message = f"resource {name!r}: refused {e}; a resource path must stay inside the package folder"
        if re.match(r"(?i)https?://", path):
            message = (
                f"resource {name!r}: refused a remote path (a URL): intergov never fetches data; "
                "download the file into the package folder and give its relative path"
            )
        return None, [_finding(shown, path_line, "unsafe-path", message, path)], None
    if not file.is_file():
        return None, [_finding(shown, path_line, "missing-file", f"resource {name!r}: no file at {path}", path)], None
    found = _integrity(entry, file, shown, lines, here)
    schema, schema_found, place = _schema(entry.get("schema"), name, root, shown, lines, (*here, "schema"))
    found += schema_found
    if schema is None:
        return None, found, None
    return Resource(name, path, file, schema, entry), found, place


def _unread(entry: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """What a resource holds that intergov does not read (the property that says so, what it is, what to do),
    or ``None`` for a CSV file: a table written inline, in parts, as JSON, in a spreadsheet or compressed.

    Neither engine reads these (frictionless-py would, so the two would differ): each is one finding. Other
    formats are left to the reader that knows them (a release's ``parquet`` forms: :mod:`intergov.reader`).
    """
    write = "write the table as one UTF-8 CSV file in the package folder and give its path"
    if "data" in entry:
        return "data", "inline data (the data property)", write
    path = entry.get("path")
    if isinstance(path, list):
        return "path", "in several files (a multipart path)", "join the parts into one CSV file and give its path"
    suffixes = [s.lstrip(".").lower() for s in PurePosixPath(path).suffixes] if isinstance(path, str) else []
    compression = entry.get("compression") or next((s for s in reversed(suffixes) if s in COMPRESSIONS), None)
    if compression:
        key = "compression" if "compression" in entry else "path"
        return (
            key,
            f"compressed ({compression})",
            "decompress it into a CSV file in the package folder and give its path",
        )
    declared = entry.get("format")
    kind = declared.lower() if isinstance(declared, str) else suffixes[-1] if suffixes else "csv"
    key = "format" if isinstance(declared, str) else "path"
    if kind in JSON_TABLES:
        return key, f"a JSON table (format {kind})", write
    if kind in SPREADSHEETS:
        return key, f"a spreadsheet (format {kind})", "export the sheet as a UTF-8 CSV file and give its path"
    return None


def _integrity(entry: Mapping[str, Any], file: Path, shown: str, lines: dict[tuple, int], here: tuple) -> list[Finding]:
    """``byte-count`` and ``hash-count`` when the file's size or digest is not the declared ``bytes``/``hash``.

    A ``hash`` is ``"<algorithm>:<hex digest>"`` (:data:`HASH_ALGORITHMS`), or a bare MD5 hex digest (the
    Data Package default). A malformed one is ``descriptor-invalid``.
    """
    found = []
    declared = entry.get("bytes")
    if isinstance(declared, int) and not isinstance(declared, bool) and file.stat().st_size != declared:
        message = (
            f"the file has {file.stat().st_size} bytes but the descriptor declares {declared}: "
            "correct bytes, or restore the file it describes"
        )
        found.append(_finding(shown, lines.get((*here, "bytes")), "byte-count", message, str(declared)))
    value = entry.get("hash")
    if not isinstance(value, str):
        return found
    algorithm, _, digest = value.rpartition(":")
    algorithm = algorithm.lower() or "md5"
    line = lines.get((*here, "hash"))
    if algorithm not in HASH_ALGORITHMS or not re.fullmatch(r"[0-9a-fA-F]+", digest):
        message = (
            f"hash {value!r} is not '<algorithm>:<hex digest>' with an algorithm of {', '.join(HASH_ALGORITHMS)} "
            "(or a bare MD5 hex digest); correct it"
        )
        return [*found, _finding(shown, line, "descriptor-invalid", message, value)]
    with file.open("rb") as stream:
        actual = hashlib.file_digest(stream, algorithm).hexdigest()
    if actual != digest.lower():
        message = (
            f"the file's {algorithm} digest is {actual} but the descriptor declares {digest}: "
            "correct hash, or restore the file it describes"
        )
        found.append(_finding(shown, line, "hash-count", message, value))
    return found


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
        schema, schema_lines, found = _read_document(file, schema_shown, "schema-json")
        if found:
            return None, found, None
        schema = with_v1_keys_as_lists(schema)
        refused = _references(schema, "schema", root, schema_shown, schema_lines)
        if refused:  # frictionless-py would read or fetch them while checking the profile
            return None, refused, None
    else:
        message = (
            f"resource {name!r} has no Table Schema, which intergov needs to check a table; write one "
            "(frictionless describe drafts it from the file) and give it as the resource's schema"
        )
        return None, [_finding(shown, line, "resource-unsupported", message)], None
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
