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
from collections.abc import Mapping, Sequence
from typing import Any

from intergov.findings import ERROR, Finding

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
_CONTROL_NAMES = {
    "\t": "CHARACTER TABULATION (a tab)",
    "\n": "LINE FEED (a line break)",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN (a line break)",
}


#: Messages of the constraints that set a bound, given the bound.
_BOUNDS = {
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be greater than {}",
    "exclusiveMaximum": "must be less than {}",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
}


def constraint_rule(name: str) -> str:
    """The rule id of a Table Schema constraint (``frictionless-error`` for a constraint it does not know)."""
    return _CONSTRAINT_RULES.get(name, "frictionless-error")


def character(char: str) -> str:
    """A character by code point and name.

    >>> character("\\u200b"), character("\\x0c")
    ('U+200B ZERO WIDTH SPACE', 'U+000C FORM FEED')
    """
    return f"U+{ord(char):04X} {unicodedata.name(char, _CONTROL_NAMES.get(char, 'CONTROL CHARACTER'))}"


#: Categories of characters that do not show: format, control and private-use characters, line and paragraph
#: separators (spaces, ``Zs``, are told apart by :func:`is_invisible`).
_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Co", "Zl", "Zp"}

#: Unicode's default-ignorable code points outside those categories (combining grapheme joiner, Hangul
#: fillers, Khmer inherent vowels, variation selectors, the tag block...), and the blank Braille pattern.
_INVISIBLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2060, 0x206F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),
)


def is_invisible(char: str) -> bool:
    """Whether ``char`` does not show as itself: a control character other than LF, a format, private-use
    or default-ignorable character (zero-width, bidirectional, tags, variation selectors), or a space other
    than the plain one.

    >>> [is_invisible(c) for c in ("\\u200b", "\\u00a0", "\\U000e0041", "\\U000e0100", "\\u2800", "\\t")]
    [True, True, True, True, True, True]
    >>> [is_invisible(c) for c in (" ", "\\n", "a", "\\u0410", "\\u2013")]
    [False, False, False, False, False]
    """
    if char == "\n":
        return False
    category = unicodedata.category(char)
    if category in _INVISIBLE_CATEGORIES or (category == "Zs" and char != " "):
        return True
    code = ord(char)
    return any(first <= code <= last for first, last in _INVISIBLE_RANGES)


def odd_characters(value: str) -> str:
    """Describe the first invisible or non-ASCII character of ``value`` (a look-alike, another script), or ``""``.

    >>> odd_characters("\\u0410ZE")
    'it contains U+0410 CYRILLIC CAPITAL LETTER A, a Cyrillic letter that can look like a Latin one: retype the value'
    >>> odd_characters("\\u4e2d")
    'it contains U+4E2D CJK UNIFIED IDEOGRAPH-4E2D, a CJK character: retype the value'
    >>> odd_characters("AZE")
    ''
    """
    for char in value:
        if char.isascii() and (char.isprintable() or char in "\t"):
            continue
        code = character(char)
        if is_invisible(char):
            return f"it contains {code}, which you cannot see: retype the value"
        if char.isalpha():
            return f"it contains {code}, {_letter(char)}: retype the value"
        if unicodedata.category(char) == "Nd":
            return f"it contains {code}, a digit that is not one of 0-9: retype the value"
        return f"it contains {code}: retype the value"
    return ""


#: Scripts with letters drawn like Latin ones (as :mod:`intergov.rules.cells` treats them).
_LOOK_ALIKE_SCRIPTS = ("Cyrillic", "Greek")


def _letter(char: str) -> str:
    """What a letter outside ASCII is: a Latin letter with a mark or in another form, or a letter of its script.

    >>> _letter("\\u00e9"), _letter("\\uff21"), _letter("\\u0627")
    ("a form of the Latin letter 'e'", "a form of the Latin letter 'A'", 'an Arabic character')
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if plain.isascii() and plain.isalpha():
        return f"a form of the Latin letter {plain!r}"
    word = unicodedata.name(plain[:1] or char, "").split(" ")[0]
    script = word if word == "CJK" else word.capitalize()
    if not script:  # a letter Python's Unicode tables do not name
        return "a letter outside the Latin alphabet"
    if script in _LOOK_ALIKE_SCRIPTS:
        return f"a {script} letter that can look like a Latin one"
    return f"{'an' if script[:1] in 'AEIOU' else 'a'} {script} character"


def spaces_around(value: str) -> str:
    """Say that ``value`` starts or ends with a space or a tab (which a code or a key keeps), or ``""``.

    >>> spaces_around("AZE "), spaces_around(" AZE"), spaces_around("A B")
    ('it has a trailing space: remove it', 'it has a leading space: remove it', '')
    >>> spaces_around("\\tAZE ")
    'it has a leading tab and a trailing space: remove them'
    """
    if value and not value.strip(" \t"):
        return "it holds only spaces or tabs"
    names = {" ": "space", "\t": "tab"}
    ends = [f"a {where} {names[c]}" for where, c in (("leading", value[:1]), ("trailing", value[-1:])) if c in names]
    return f"it has {' and '.join(ends)}: remove {'them' if len(ends) > 1 else 'it'}" if ends else ""


def value_hint(value: str) -> str:
    """What a curator may not see in ``value``: spaces around it, odd characters in it (``""`` when nothing).

    >>> value_hint("\\u0410ZE ")[:70]
    'it has a trailing space: remove it; it contains U+0410 CYRILLIC CAPITA'
    """
    return "; ".join(hint for hint in (spaces_around(value), odd_characters(value)) if hint)


def expected_form(field: Mapping[str, Any]) -> str:
    """What a valid cell of ``field`` looks like, with its example when the schema has one."""
    kind = field.get("type", "string")
    form = _TYPE_FORMS.get(kind, kind)
    if field.get("format") == "uri":
        form = "a URL with its scheme (https://...)"
    return f"{form}{_example(field)}"


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
        return rule, _with_hint(
            f"does not match the pattern {constraints.get('pattern', bound)}{_example(field)}", cell
        )
    if name in _BOUNDS:
        return rule, _BOUNDS[name].format(bound)
    return rule, f"breaks the constraint {name} ({bound})"


def unique_key_finding(
    path: str, names: Sequence[str], key: Sequence[str], line: int, shown: str, first: int
) -> Finding:
    """A ``uniqueKeys`` entry whose values on ``line`` (``shown``) are those of line ``first`` too.

    ``names`` are the schema's fields, in order: the finding's column is the key's first field.
    """
    message = f"({', '.join(key)}) must be unique and ({shown}) is already used; the first is on line {first}"
    return Finding(path, line, names.index(key[0]) + 1, ", ".join(key), shown, "unique-error", ERROR, message)


def _example(field: Mapping[str, Any]) -> str:
    """`` (e.g. <the field's example>)``, or ``""`` when the schema gives none (a boolean as JSON writes it)."""
    example = field.get("example")
    if example is None:
        return ""
    return f" (e.g. {str(example).lower() if isinstance(example, bool) else example})"


def _with_hint(message: str, cell: str) -> str:
    hint = value_hint(cell)
    return f"{message}; {hint}" if hint else message


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, in the plural (``many``, or ``word`` + s) unless ``count`` is 1.

    >>> plural(1, "error"), plural(0, "warning"), plural(2, "more finding"), plural(3, "party", "parties")
    ('1 error', '0 warnings', '2 more findings', '3 parties')
    """
    return f"{count} {word if count == 1 else many or word + 's'}"
