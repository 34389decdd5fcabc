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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from intergov import schema as ts
from intergov.engine.fast_types import mask_of
from intergov.findings import ERROR, WARNING
from intergov.fmt import PLAIN_NUMBER
from intergov.messages import character, is_invisible
from intergov.rules import Rule, Table, Tables, stacked, violations

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


def _formula_message(value: str) -> str | None:
    problem = formula_problem(value)
    return problem and f"{problem}; reword it so it starts with a letter or digit"


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


def _text_fields(table: Table) -> tuple[list[str], np.ndarray]:
    """The text fields of the typed frame, and which of them are free text (no ``pattern``, no ``enum``)."""
    names, free = [], []
    for field in ts.fields(table.resource.schema):
        if field.get("type", "string") not in ("string", "any") or field["name"] not in table.typed:
            continue
        constraints = ts.constraints(field)
        names.append(field["name"])
        free.append("pattern" not in constraints and "enum" not in constraints)
    return names, np.array(free, bool)


#: First bytes (UTF-8) of a cell that may start like a formula: a formula start, a space, or any non-ASCII
#: character (a Unicode space, or a full-width start); :func:`formula_problem` tells.
_MAY_START_FORMULA = np.array([b >= 0x80 or chr(b).isspace() or chr(b) in FORMULA_STARTS for b in range(256)])

#: Cells that may hold an invisible character or a look-alike letter: any but printable ASCII and line breaks.
_SUSPECT = r"[^\x20-\x7e\n]"


def check_cells(table: Table, tables: Tables) -> pd.DataFrame:
    """No text cell starts like a spreadsheet formula; free text holds no invisible or look-alike characters.

    The text columns are tested at once, stacked (:func:`intergov.rules.stacked`): formulas by
    each cell's first byte, hidden characters with RE2; each suspect value is then described once.
    """
    names, free = _text_fields(table)
    lines = table.typed.index.to_numpy()
    cells = stacked(table.typed, names)
    formulas = _MAY_START_FORMULA[_first_bytes(cells)] & mask_of(pc.is_valid(cells))
    free_names = [name for name, is_free in zip(names, free, strict=True) if is_free]
    free_cells = stacked(table.typed, free_names)
    hidden = mask_of(pc.match_substring_regex(free_cells, _SUSPECT))
    return pd.concat(
        [
            _described(cells, formulas, names, lines, _formula_message, "formula-injection"),
            _described(free_cells, hidden, free_names, lines, hidden_problem, "invisible-character"),
        ]
    )


def _first_bytes(cells: pa.ChunkedArray) -> np.ndarray:
    """The first byte of each cell's text (0 for an empty cell), read from the arrays' buffers.

    >>> _first_bytes(pa.chunked_array([pa.array(["=1", "", "é"], pa.large_string())])).tolist()
    [61, 0, 195]
    """
    firsts = [np.zeros(0, np.uint8)]
    for chunk in cells.chunks:
        if not len(chunk):
            continue
        _, offsets, data = chunk.buffers()
        ends = np.frombuffer(offsets, np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        starts = ends[:-1]
        filled = ends[1:] > starts
        first = np.zeros(len(chunk), np.uint8)
        if data is not None:
            first[filled] = np.frombuffer(data, np.uint8)[starts[filled]]
        firsts.append(first)
    return np.concatenate(firsts)


def _values_at(cells: pa.ChunkedArray, positions: np.ndarray) -> list[str | None]:
    """The cells at ascending ``positions``, taken chunk by chunk (a chunked array's own take would join them all).

    >>> _values_at(pa.chunked_array([["a", "b"], ["c"]]), np.array([1, 2])), _values_at(pa.chunked_array([["a"]]), [])
    (['b', 'c'], [])
    """
    starts = np.cumsum([0] + [len(chunk) for chunk in cells.chunks])
    which = np.searchsorted(starts, positions, side="right") - 1
    values: list[str | None] = []
    for chunk in np.unique(which):
        at = np.asarray(positions)[which == chunk] - starts[chunk]
        values += cells.chunk(int(chunk)).take(pa.array(at, pa.int64())).to_pylist()
    return values


def _described(
    cells: pa.ChunkedArray, suspect: np.ndarray, names: list[str], lines: np.ndarray, describe, rule: str
) -> pd.DataFrame:
    """The ``rule`` violations among the ``suspect`` stacked ``cells``: each distinct value described once."""
    hits = np.flatnonzero(suspect)
    values = _values_at(cells, hits)
    problems = {value: describe(value) for value in set(values)}
    rows = len(lines)
    found = ((lines[hit % rows], names[hit // rows], problems[value]) for hit, value in zip(hits, values, strict=True))
    return violations(((line, name, problem) for line, name, problem in found if problem), rule=rule)


RULES = [
    Rule(
        "formula-injection",
        ERROR,
        None,
        "No text cell starts with =, +, - or @, which a spreadsheet would run as a formula.",
        check_cells,
    ),
    Rule(
        "invisible-character",
        WARNING,
        None,
        "Free text holds no invisible characters, non-breaking spaces or look-alike letters.",
        check_cells,
    ),
]
