"""Cell hygiene in every text field: no spreadsheet formulas, no hidden or look-alike characters.

- ``formula-injection`` (error): a text cell that starts with ``=``, ``+``,
  ``-`` or ``@`` (or their full-width forms, or a tab or carriage return) is
  run as a formula by a spreadsheet that opens the CSV. A cell that is just a
  number (``-5``) is not a formula; numeric fields are never text.
- ``invisible-character`` (warning): a free-text cell holding a character you
  cannot see (zero-width space, soft hyphen, a bidirectional control, a control
  character, a tag or a variation selector: :func:`intergov.messages.is_invisible`,
  which names the same characters in codes), a space other than the plain one
  (non-breaking space), or a word that mixes Latin letters with Cyrillic or
  Greek look-alikes.

Codes and keys (fields with a ``pattern`` or an ``enum``) are left to the Table
Schema layer, which already rejects any such character there and names it.
Cells that layer reported are null in the typed frame, so nothing is said twice.

>>> formula_problem("=HYPERLINK(\\"http://x\\")")
"starts with '=', which a spreadsheet runs as a formula when it opens the file"
>>> formula_problem("-5") is None
True
>>> hidden_problem("Joint state\\u00adment")
'holds U+00AD SOFT HYPHEN at character 12, which you cannot see; delete it or retype the text'
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from intergov import schema as ts
from intergov.findings import ERROR, WARNING
from intergov.fmt import PLAIN_NUMBER
from intergov.messages import character, is_invisible
from intergov.rules import Rule, Table, Tables, violations

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list, with full-width forms).
FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"

_FORMULA = re.compile(f"^\\s*[{re.escape(FORMULA_STARTS)}]")

_LATIN = "A-Za-z\u00c0-\u024f"
_LOOKALIKE = "\u0370-\u03ff\u0400-\u04ff"
_WORD = re.compile(f"[{_LATIN}{_LOOKALIKE}]+")
_IS_LATIN = re.compile(f"[{_LATIN}]")


def formula_problem(value: str) -> str | None:
    """Why ``value`` would run as a spreadsheet formula, or ``None``."""
    formula = _FORMULA.match(value)
    if not formula or PLAIN_NUMBER.fullmatch(value.strip()):
        return None
    first = value[formula.end() - 1]  # the character that starts the formula, after any spaces
    shown = {"\t": "a tab", "\r": "a carriage return"}.get(first, repr(first))
    return f"starts with {shown}, which a spreadsheet runs as a formula when it opens the file"


def hidden_problem(value: str) -> str | None:
    """The first invisible character or look-alike letter in ``value``, described, or ``None``."""
    for at, char in enumerate(value):
        if (char.isascii() and char.isprintable()) or char in "\r\n" or not is_invisible(char):
            continue  # a CR is a line break too: intergov fmt writes it as LF
        code, where = character(char), f"at character {at + 1}"
        if unicodedata.category(char) == "Zs":
            return f"holds {code} {where}, a space that is not a plain one; type a plain space"
        return f"holds {code} {where}, which you cannot see; delete it or retype the text"
    for match in _WORD.finditer(value):
        word = match.group()
        latin = [c for c in word if _IS_LATIN.match(c)]
        if not latin or len(latin) == len(word):
            continue
        other = [c for c in word if not _IS_LATIN.match(c)]
        odd = other[0] if len(other) <= len(latin) else latin[0]
        rest = "Latin" if odd in other else _script(other[0])
        return (
            f"the word {word!r} mixes {rest} letters with {_script(odd)} {odd!r} "
            f"(U+{ord(odd):04X} {unicodedata.name(odd, '')}), which looks alike; retype the word in one script"
        )
    return None


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ")[0].capitalize()


def _text_fields(table: Table, *, free_text_only: bool) -> list[str]:
    names = []
    for field in ts.fields(table.resource.schema):
        if field.get("type", "string") not in ("string", "any") or field["name"] not in table.typed:
            continue
        constraints = ts.constraints(field)
        if free_text_only and ("pattern" in constraints or "enum" in constraints):
            continue
        names.append(field["name"])
    return names


def _check(table: Table, fields: list[str], suspect, describe) -> pd.DataFrame:
    """Describe each cell of ``fields`` that ``suspect`` (a vectorized pre-filter) lets through."""
    found = []
    for name in fields:
        values = table.typed[name].dropna()
        values = values[suspect(values).to_numpy(dtype=bool)]
        for line, value in values.items():
            problem = describe(str(value))
            if problem:
                found.append((line, name, problem))
    return violations(found)


def _may_be_formula(values: pd.Series) -> pd.Series:
    """Cells whose first character is a formula start or a space (the rest is for :func:`formula_problem`)."""
    first = values.str.slice(0, 1)
    return first.isin(list(FORMULA_STARTS)) | first.str.isspace()


def check_formula(table: Table, tables: Tables) -> pd.DataFrame:
    """No text cell starts like a spreadsheet formula."""
    fields = _text_fields(table, free_text_only=False)
    return _check(
        table,
        fields,
        _may_be_formula,
        lambda value: (p := formula_problem(value)) and f"{p}; reword it so it starts with a letter or digit",
    )


#: Cells that may hold an invisible character or a look-alike letter: any but printable ASCII and line breaks.
_SUSPECT = re.compile(r"[^\x20-\x7e\n]")


def check_hidden(table: Table, tables: Tables) -> pd.DataFrame:
    """Free text holds no invisible characters, odd spaces or look-alike letters."""
    return _check(
        table,
        _text_fields(table, free_text_only=True),
        lambda values: values.astype(str).str.contains(_SUSPECT, regex=True),
        hidden_problem,
    )


RULES = [
    Rule(
        "formula-injection",
        ERROR,
        None,
        "No text cell starts with =, +, - or @, which a spreadsheet would run as a formula.",
        check_formula,
    ),
    Rule(
        "invisible-character",
        WARNING,
        None,
        "Free text holds no invisible characters, non-breaking spaces or look-alike letters.",
        check_hidden,
    ),
]
