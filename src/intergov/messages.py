"""Plain messages for the Table Schema layer's findings, shared by every engine.

Each message says what is wrong in a curator's words and, where there is one,
the fix: the expected form with an example taken from the field's own schema.

>>> cell_message("constraint-error", 'constraint "required" is "True"', "", {"name": "city"})
('constraint-required', 'this cell is required; fill it in')
>>> odd_characters("AZE\\u200b")
'it contains U+200B ZERO WIDTH SPACE, which you cannot see: retype the value'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_TYPE_FORMS = {
    "integer": "a whole number",
    "number": "a number, with '.' for decimals and no thousands separators",
    "boolean": "true or false",
    "date": "a date as YYYY-MM-DD",
    "datetime": "a date and time as YYYY-MM-DDThh:mm:ssZ",
    "time": "a time as hh:mm:ss",
    "year": "a year as YYYY",
    "yearmonth": "a month as YYYY-MM",
    "string": "text",
}

_CONSTRAINT_RULES = {
    "required": "constraint-required",
    "pattern": "constraint-pattern",
    "enum": "constraint-enum",
    "minimum": "constraint-minimum",
    "maximum": "constraint-maximum",
    "exclusiveMinimum": "constraint-minimum",
    "exclusiveMaximum": "constraint-maximum",
    "minLength": "constraint-length",
    "maxLength": "constraint-length",
    "unique": "unique-error",
}


#: Names of the control characters a cell may hold (``unicodedata`` has none for them).
_CONTROL_NAMES = {"\n": "LINE FEED (a line break)", "\r": "CARRIAGE RETURN (a line break)", "\x0b": "LINE TABULATION"}


def constraint_rule(name: str) -> str:
    """The rule id of a Table Schema constraint."""
    return _CONSTRAINT_RULES.get(name, f"constraint-{name.lower()}")


def odd_characters(value: str) -> str:
    """Describe invisible or non-ASCII letters in ``value`` (look-alikes), or ``""``.

    >>> odd_characters("\\u0410ZE")
    'it contains U+0410 CYRILLIC CAPITAL LETTER A, which looks like a Latin letter: retype the value'
    >>> odd_characters("AZE")
    ''
    """
    for char in value:
        if char.isascii() and (char.isprintable() or char in "\t"):
            continue
        name = unicodedata.name(char, _CONTROL_NAMES.get(char, "CONTROL CHARACTER"))
        code = f"U+{ord(char):04X} {name}"
        if unicodedata.category(char) in ("Cf", "Zs", "Cc", "Zl", "Zp") or char == "\u00ad":
            return f"it contains {code}, which you cannot see: retype the value"
        if char.isalpha():
            return f"it contains {code}, which looks like a Latin letter: retype the value"
        return f"it contains {code}: retype the value"
    return ""


def expected_form(field: Mapping[str, Any]) -> str:
    """What a valid cell of ``field`` looks like, with its example when the schema has one."""
    kind = field.get("type", "string")
    form = _TYPE_FORMS.get(kind, kind)
    if field.get("format") == "uri":
        form = "a URL with its scheme (https://...)"
    example = field.get("example")
    if example is not None and not isinstance(example, bool):
        form = f"{form}, e.g. {example}"
    elif isinstance(example, bool):
        form = f"{form}, e.g. {str(example).lower()}"
    return form


def cell_message(kind: str, note: str, cell: str, field: Mapping[str, Any]) -> tuple[str, str]:
    """The rule id and message of a cell-level error of the Table Schema layer.

    ``kind`` is the frictionless error type (``type-error``, ``constraint-error``,
    ``unique-error``) and ``note`` its note, e.g. ``constraint "enum" is "[...]"``.
    """
    if kind == "type-error":
        return "type-error", _with_hint(f"expected {expected_form(field)}", cell)
    if kind == "unique-error":
        return "unique-error", f"{field.get('name')} must be unique and this value is already used"
    match = re.match(r'constraint "([^"]+)" is "(.*)"$', note or "", re.S)
    name, bound = (match.group(1), match.group(2)) if match else ("", note)
    rule = constraint_rule(name)
    constraints = field.get("constraints", {})
    if name == "required":
        return rule, "this cell is required; fill it in"
    if name == "enum":
        allowed = ", ".join(str(v) for v in constraints.get("enum", []))
        return rule, _with_hint(f"must be one of: {allowed}", cell)
    if name == "pattern" and field.get("x-partialDate"):
        return rule, _with_hint(
            f"expected a date as precise as the source: YYYY, YYYY-MM or YYYY-MM-DD{_example(field)}", cell
        )
    if name == "pattern":
        example = field.get("example")
        tail = f" (e.g. {example})" if example is not None else ""
        return rule, _with_hint(f"does not match the pattern {constraints.get('pattern', bound)}{tail}", cell)
    if name == "minimum":
        return rule, f"must be at least {bound}"
    if name == "maximum":
        return rule, f"must be at most {bound}"
    if name == "exclusiveMinimum":
        return rule, f"must be greater than {bound}"
    if name == "exclusiveMaximum":
        return rule, f"must be less than {bound}"
    if name == "minLength":
        return rule, f"must be at least {bound} characters long"
    if name == "maxLength":
        return rule, f"must be at most {bound} characters long"
    return rule, f"breaks the constraint {name} ({bound})"


def _example(field: Mapping[str, Any]) -> str:
    example = field.get("example")
    return f" (e.g. {example})" if example is not None else ""


def _with_hint(message: str, cell: str) -> str:
    hint = odd_characters(cell)
    return f"{message}; {hint}" if hint else message
