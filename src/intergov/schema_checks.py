"""Check a Table Schema, and say on which line of its JSON file each problem is.

A schema must pass the Table Schema profile (frictionless-py's); its primary,
unique and foreign keys must name its own fields; no field may be defined
twice; and each constraint must be usable by both engines: a ``pattern`` must
be a regular expression that RE2 can match in linear time
(:mod:`intergov.patterns`), and each bound and ``enum`` value must read as the
field's type (a ``"minimum": "abc"`` on a number field is a schema mistake,
not a cell's).
Findings carry the line of the JSON value they are about (:func:`json_lines`).

>>> schema = {"fields": [{"name": "code", "constraints": {"pattern": "([a-z"}}]}
>>> [f.message for f in schema_findings(schema, json.dumps(schema), "s.json")]
["the pattern of field 'code' is not a regular expression (unterminated character set at position 1); correct it"]
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intergov.findings import ERROR, Finding


def finding(path: str, line: int | None, rule: str, message: str, value: str | None = None) -> Finding:
    """An error about a descriptor or schema file, at a line of it (no column or field)."""
    return Finding(path, line, None, None, value, rule, ERROR, message)


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
SAID_BETTER = {"names of the resources are not unique", "names of the fields are not unique"}


def note_line(note: str, document: Any, lines: dict[tuple, int]) -> int | None:
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


def _property_in(note: str) -> str | None:
    match = re.search(r"at property '([^']+)'", note or "")
    return match.group(1).split("/")[-1] if match else None


@dataclass(frozen=True)
class Place:
    """Where a Table Schema is written: the file as shown, and the line of each JSON path in it."""

    shown: str
    lines: dict[tuple, int]

    def line(self, path: tuple) -> int | None:
        """The line of ``path``, or of the nearest enclosing value the file has."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)


def schema_findings(schema: Any, text: str, shown: str, *, lines: dict[tuple, int] | None = None) -> list[Finding]:
    """Check a Table Schema against the profile, its keys, its field names and its constraints.

    The primary key, each unique key and each foreign key's own fields must be
    fields of the schema, and so must the fields a foreign key to its own table
    refers to (a key to another table is checked by :func:`intergov.package.load`,
    which knows them all). Each field's constraints must be usable
    (:func:`_constraint_findings`). ``text`` is the schema's JSON text, to give each finding its line (or pass
    ``lines``, as made by :func:`json_lines`).
    """
    from frictionless import FrictionlessException, Schema

    lines = json_lines(text) if lines is None else lines
    if not isinstance(schema, dict):
        return [finding(shown, lines.get((), 1), "schema-invalid", "a Table Schema must be a JSON object")]
    if nesting(schema) > MAX_NESTING:
        message = (
            f"not valid JSON for a Table Schema: nested too deeply (arrays and objects more than {MAX_NESTING} "
            "levels deep); flatten it"
        )
        return [finding(shown, lines.get((), 1), "schema-json", message)]
    try:
        errors = [e.note for e in Schema.metadata_validate(schema)]
    except FrictionlessException as e:
        errors = [e.error.note]
    except Exception as e:  # frictionless raises bare errors on some malformed schemas
        errors = [str(e)]
    found = [
        finding(shown, note_line(note, schema, lines), "schema-invalid", f"not a valid Table Schema: {note}")
        for note in errors
        if note not in SAID_BETTER and not _KEY_NOT_FIELDS.match(note or "")
    ]
    found += _key_findings(schema, Place(shown, lines))
    if found:
        return found
    names = [f.get("name") for f in schema.get("fields", [])]
    seen = set()
    for index, name in enumerate(names):
        if name in seen:
            line = lines.get(("fields", index, "name"), lines.get(("fields", index)))
            found.append(finding(shown, line, "schema-invalid", f"field {name!r} is defined twice"))
        seen.add(name)
    return found + _constraint_findings(schema, Place(shown, lines))


#: How deeply arrays and objects may nest in a Table Schema: frictionless-py reads it recursively (and fails
#: near 500 levels), and no schema needs more than a few.
MAX_NESTING = 100


def nesting(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar: 0), found without recursion.

    >>> nesting({"fields": [{"name": "a"}]}), nesting("a"), nesting([[[[]]]])
    (3, 0, 4)
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


#: frictionless notes on a key naming fields the schema lacks: :func:`_key_findings` names the field and its line.
_KEY_NOT_FIELDS = re.compile(r'(?:primary|foreign) key ".*" does not match the fields "', re.S)


def key_names(value: Any) -> list[str]:
    """The field names a key lists (one name, or a list of them); ``[]`` for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return []


def foreign_keys(schema: Mapping[str, Any]) -> list[tuple[int, list[str], Any, list[str]]]:
    """``(index, fields, resource, reference fields)`` of each well-formed foreign key; resource ``""``: itself."""
    keys = schema.get("foreignKeys")
    found = []
    for index, key in enumerate(keys if isinstance(keys, list) else []):
        reference = key.get("reference") if isinstance(key, dict) else None
        if isinstance(reference, dict):
            found.append(
                (index, key_names(key.get("fields")), reference.get("resource", ""), key_names(reference.get("fields")))
            )
    return found


def unknown_fields(
    place: Place, path: tuple, names: list[str], known: set, what: str, where: str = "this schema"
) -> list[Finding]:
    """A ``schema-invalid`` finding, at its line, for each of ``names`` that is not in ``known``."""
    return [
        finding(
            place.shown,
            place.line((*path, number)),
            "schema-invalid",
            f"{what} names {name!r}, which is not a field of {where}; correct the field name",
        )
        for number, name in enumerate(names)
        if name not in known
    ]


def _key_findings(schema: Mapping[str, Any], place: Place) -> list[Finding]:
    """Keys (primary, unique, foreign) whose fields are not the schema's own, and references to itself likewise."""
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return []
    known = {f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)}
    found = unknown_fields(place, ("primaryKey",), key_names(schema.get("primaryKey")), known, "the primary key")
    unique = schema.get("uniqueKeys")
    for index, key in enumerate(unique if isinstance(unique, list) else []):
        found += unknown_fields(place, ("uniqueKeys", index), key_names(key), known, "a unique key (uniqueKeys)")
    keys = [(("uniqueKeys", i), key) for i, key in enumerate(unique if isinstance(unique, list) else [])]
    keys += [(("foreignKeys", i, "fields"), local) for i, local, _, _ in foreign_keys(schema)]
    none = "a key that names no field (an empty list); list its fields"
    found += [finding(place.shown, place.line(here), "schema-invalid", none) for here, key in keys if key == []]
    for index, local, resource, remote in foreign_keys(schema):
        here = ("foreignKeys", index)
        found += unknown_fields(place, (*here, "fields"), local, known, "a foreign key")
        if resource == "":
            found += unknown_fields(place, (*here, "reference", "fields"), remote, known, "a foreign key's reference")
    return found


#: Constraints whose value frictionless-py reads as the field's type before it compares a cell with it.
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _constraint_findings(schema: Mapping[str, Any], place: Place) -> list[Finding]:
    """Constraints that no engine could apply: a ``pattern`` that does not compile, a bound or ``enum``
    value that does not read as the field's type (frictionless-py would compare cells with ``None``).

    ``minLength`` and ``maxLength`` are integers by the profile, which is checked first.
    """
    from frictionless import Field

    from intergov.messages import expected_form
    from intergov.patterns import problem

    found = []
    for index, field in enumerate(schema.get("fields", [])):
        constraints = field.get("constraints") or {}
        name, here = field.get("name"), ("fields", index, "constraints")
        pattern = constraints.get("pattern")
        unusable = problem(pattern) if isinstance(pattern, str) else None
        if unusable:
            message = f"the pattern of field {name!r} {unusable}; correct it"
            found.append(finding(place.shown, place.line((*here, "pattern")), "schema-invalid", message, pattern))
        try:
            typed = Field.from_descriptor(dict(field))
        except Exception:  # the profile has passed; a field frictionless cannot build has nothing to read with
            continue
        supported = typed.supported_constraints
        values = [(c, constraints[c], (*here, c)) for c in _BOUNDS if c in supported and constraints.get(c) is not None]
        enum = constraints.get("enum") if "enum" in supported else None
        values += [("enum value", v, (*here, "enum", i)) for i, v in enumerate(enum if isinstance(enum, list) else [])]
        read = typed.create_value_reader()
        for what, value, path in values:
            if _unreadable(read, value):
                message = f"{what} {value!r} of field {name!r} is not {expected_form(field)}; correct the constraint"
                found.append(finding(place.shown, place.line(path), "schema-invalid", message, str(value)))
    return found


def _unreadable(read, value: Any) -> bool:
    try:
        return read(value) is None
    except Exception:  # a reader that raises on a value cannot read it either
        return True
