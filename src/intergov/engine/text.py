"""Read a CSV file's bytes into text, reporting what would make parsing lie.

Checked before any parser sees the file: UTF-16 text, bytes that are not UTF-8
(each line that has them) or not in the resource's declared encoding, a NUL
byte (a binary file), a UTF-8 byte-order mark, a header without rows, line
endings other than LF (or the declared ``lineTerminator``), a quote that opens
and never closes (which would swallow every later line into one cell), a
record spanning lines whose width shows a quote was probably left open (a
warning at that record: a quoted cell may span lines), a cell that goes on
after its closing quote, and a cell too long for any spreadsheet. Lines are
the physical lines an editor shows. A file in another dialect than the default
(:class:`intergov.lines.Dialect`) is read with its delimiter, quote and escape.

Most files have none of these: numpy lays the bytes out into records
(:func:`layout`, which the fast engine's reader reuses) and proves that in one
pass; only a file it cannot prove plain is read with Python's ``csv`` module
to say exactly what is wrong, and where.

>>> text, found = decode(b"id\\n1\\n", "a.csv")
>>> text, found
('id\\n1\\n', [])
>>> [f.rule for f in decode(b"id\\r\\n1\\n", "a.csv")[1]]
['line-endings']
"""

from __future__ import annotations

import codecs
import re
from itertools import chain
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from intergov.findings import ERROR, WARNING, Finding
from intergov.lines import (
    BREAK,
    DEFAULT,
    Dialect,
    MalformedRecord,
    line_breaks,
    line_of_offset,
    offset_of_line,
    records,
    unclosed_quote_line,
)
from intergov.messages import plural

BOM = "\ufeff"

#: Longest cell accepted, in characters: the most a spreadsheet cell holds (Excel: 32,767).
MAX_CELL_CHARS = 32_767

_NOT_LF = re.compile(r"\r\n?")
_NOT_CRLF = re.compile(r"(?<!\r)\n|\r(?!\n)")
_NOT_CR = re.compile(r"\r\n|(?<!\r)\n")
_ENDING_NAMES = {"\n": "LF", "\r\n": "CRLF (Windows)", "\r": "CR (old Mac)"}
_VISIBLE = re.compile(r"\S")  # what ``str.strip()`` keeps: \\s is ``str.isspace()``
_UTF8_BOM = BOM.encode("utf-8")
_NEWLINE, _QUOTE, _COMMA = 10, 34, 44
_BLOCK = 1 << 23  # bytes scanned at a time: no file-sized temporary


class Layout(NamedTuple):
    """Where each record of a plain RFC 4180 file starts and ends (byte offsets), and on which physical line.

    Index 0 is the header, which starts after a byte-order mark if there is
    one; ``spanning`` says whether a quoted cell spans lines.
    """

    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    spanning: bool


def layout(data: bytes) -> Layout | None:
    """The records of ``data``; ``None`` when it is empty or not plain RFC 4180 (a CR, a misplaced quote).

    A newline ends a record when an even number of quotes precede it. That
    holds for Python's ``csv`` module as long as every quote opens a cell, closes
    it, or is doubled inside it, which is checked here.

    >>> layout(b'id,note\\n1,"two\\nlines"\\n2,x\\n').lines.tolist()
    [1, 2, 4]
    >>> layout(b'id,note\\n1,a"b\\n') is None
    True
    """
    skip = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    if len(data) == skip or b"\r" in data:
        return None
    buf = np.frombuffer(data, np.uint8)[skip:]
    newlines = positions(buf, _NEWLINE)
    quotes = positions(buf, _QUOTE) if b'"' in data else np.zeros(0, np.int64)
    spanning = False
    boundaries = newlines
    if len(quotes):
        if len(quotes) % 2:
            return None
        before = np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], _NEWLINE)
        after = np.where(quotes < len(buf) - 1, buf[np.minimum(quotes + 1, len(buf) - 1)], _NEWLINE)
        allowed = (_COMMA, _NEWLINE, _QUOTE)
        if not (np.isin(before[0::2], allowed).all() and np.isin(after[1::2], allowed).all()):
            return None
        inside = np.searchsorted(quotes, newlines) % 2 == 1
        spanning = bool(inside.any())
        boundaries = newlines[~inside]
    starts = np.concatenate([[0], boundaries + 1])
    ends = np.concatenate([boundaries, [len(buf)]])
    if starts[-1] == len(buf):
        starts, ends = starts[:-1], ends[:-1]
    # Without a quoted cell spanning lines, record n is line n.
    lines = np.searchsorted(newlines, starts) + 1 if spanning else np.arange(1, len(starts) + 1)
    return Layout(starts + skip, ends + skip, lines, spanning)


def positions(buf: np.ndarray, byte: int) -> np.ndarray:
    """Offsets of ``byte`` in ``buf``, found block by block (no file-sized temporary)."""
    found = [np.flatnonzero(buf[start : start + _BLOCK] == byte) + start for start in range(0, len(buf), _BLOCK)]
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def decode(data: bytes, path: str, dialect: Dialect = DEFAULT) -> tuple[str | None, list[Finding]]:
    """Decode ``data`` (UTF-8, or the declared encoding); return the text (``None`` when unusable) and findings.

    A byte-order mark, a header without rows, line endings other than LF (or
    than the declared ``lineTerminator``) and a record whose quote probably
    swallows rows are warnings: the text is still returned. Every other finding
    here makes the file unusable: no parser should read it until it is fixed.
    """
    if dialect.plain and _plain(data, layout(data)):
        return data.decode("utf-8"), []
    return _decode(data, path, dialect)


def check(data: bytes, path: str, laid_out: Layout | None, dialect: Dialect = DEFAULT) -> tuple[bool, list[Finding]]:
    """What :func:`decode` finds, without making the text: whether the file is usable, and the findings.

    ``laid_out`` is the file's :func:`layout`.

    >>> check(b"id\\n1\\n", "a.csv", layout(b"id\\n1\\n"))
    (True, [])
    """
    if dialect.plain and _plain(data, laid_out):
        return True, []
    text, findings = _decode(data, path, dialect)
    return text is not None, findings


def _plain(data: bytes, laid_out: Layout | None) -> bool:
    """Whether :func:`decode` certainly finds nothing in ``data``, proved without a CSV parser.

    Plain: UTF-8 without NUL bytes or a byte-order mark, LF line endings and
    well-formed quotes (``laid_out`` is not ``None``), no quoted cell spanning
    lines (those are compared with the rows they might swallow), no record
    longer than a cell may be, and a header and a first row that start with a
    visible ASCII character (so the file is neither empty nor rowless).
    """
    if laid_out is None or laid_out.spanning or len(laid_out.starts) < 2 or b"\x00" in data:
        return False
    if data.startswith(_UTF8_BOM) or int((laid_out.ends - laid_out.starts).max()) > MAX_CELL_CHARS:
        return False
    if not (_visible_ascii(data[0]) and _visible_ascii(data[int(laid_out.starts[1])])):
        return False
    return _utf8(data)


def _visible_ascii(byte: int) -> bool:
    return byte < 0x80 and not chr(byte).isspace()


def _utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8, checked block by block (no file-sized text made)."""
    if data.isascii():
        return True
    view, at = memoryview(data), 0
    try:
        while at < len(data):
            _, used = codecs.utf_8_decode(view[at : at + _BLOCK], "strict", at + _BLOCK >= len(data))
            at += used
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes, path: str, dialect: Dialect) -> tuple[str | None, list[Finding]]:
    """:func:`decode` for a file that is not plain: every check, with Python's ``csv`` module where needed."""
    if dialect.encoding == "utf-8":
        text, problems = _utf8_text(data, path)
    else:
        text, problems = _declared_text(data, path, dialect.encoding)
    if text is None:
        return None, problems
    findings = []
    if text.startswith(BOM):
        text = text[len(BOM) :]
        message = "the file starts with a byte-order mark; save it as UTF-8 without BOM (intergov fmt does)"
        findings.append(Finding(path, 1, None, None, None, "byte-order-mark", WARNING, message))
    first = _VISIBLE.search(text)
    if first is None:
        message = "the file is empty; it needs at least the header row"
        return None, [*findings, Finding(path, 1, None, None, None, "empty-file", ERROR, message)]
    brk = BREAK.search(text, first.start())
    if dialect.header and (brk is None or _VISIBLE.search(text, brk.end()) is None):  # none in text.strip()
        message = "the file has a header but no rows; if rows were lost, restore them"
        findings.append(Finding(path, 1, None, None, None, "no-rows", WARNING, message))
    endings = line_endings(text, path, dialect.line_terminator)
    if endings:
        findings.append(endings)
    opened = unclosed_quote_line(text, dialect)
    if opened is not None:
        message = (
            "a quote opens here and never closes, so every later line would be read as one cell; "
            'close the quote or double it ("")'
        )
        findings.append(Finding(path, opened, None, None, None, "unclosed-quote", ERROR, message))
        return None, findings
    problem = oversized_cell(text, path, dialect)
    if problem:
        return None, [*findings, problem]
    found = swallowing_quote(text, path, dialect)
    findings.extend(found)
    if any(f.severity == ERROR for f in found):
        return None, findings
    return text, findings


def _utf8_text(data: bytes, path: str) -> tuple[str | None, list[Finding]]:
    """``data`` decoded as UTF-8, or why it cannot be: UTF-16, NUL bytes, bytes that are not UTF-8."""
    utf16 = utf16_form(data)
    if utf16:
        message = f"the file is saved as {utf16}, not UTF-8; save it as UTF-8 (in Excel: Save As, CSV UTF-8)"
        return None, [Finding(path, 1, None, None, None, "encoding-error", ERROR, message)]
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, [_binary(path, line)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return None, not_utf8(data, path)


def _declared_text(data: bytes, path: str, encoding: str) -> tuple[str | None, list[Finding]]:
    """``data`` decoded with the resource's declared ``encoding``, or why it cannot be.

    >>> _declared_text("id\\nÉ\\n".encode("latin-1"), "a.csv", "latin-1")
    ('id\\nÉ\\n', [])
    >>> [(f.line, f.rule) for f in _declared_text(b"id\\n\\x98\\n", "a.csv", "cp1251")[1]]
    [(2, 'encoding-error')]
    """
    try:
        text = data.decode(encoding)
    except LookupError:
        message = f"the resource declares the encoding {encoding!r}, which is not known; declare one such as utf-8"
        return None, [Finding(path, 1, None, None, None, "encoding-error", ERROR, message)]
    except UnicodeDecodeError as e:
        before = data[: e.start].decode(encoding, "replace")
        line = line_of_offset(before, len(before))
        message = f"bytes that are not {encoding} ({e.object[e.start : e.start + 8]!r}): re-save the file as {encoding}"
        return None, [Finding(path, line, None, None, None, "encoding-error", ERROR, message)]
    if "\x00" in text:
        return None, [_binary(path, line_of_offset(text, text.index("\x00")))]
    return text, []


def _binary(path: str, line: int) -> Finding:
    message = "the file holds NUL bytes: it is binary, not a CSV text file"
    return Finding(path, line, None, None, None, "binary-file", ERROR, message)


def utf16_form(data: bytes) -> str | None:
    """How ``data`` is UTF-16 text (``"UTF-16 (little-endian, with a byte-order mark)"``), or ``None``.

    With a byte-order mark, the rest must decode; without one, the text must
    decode with the byte order its NUL bytes point to (ASCII characters have a
    NUL byte on one side), and hold no NUL and nothing unprintable but line
    breaks and tabs: a binary file does not pass.

    >>> utf16_form("id\\n1\\n".encode("utf-16")), utf16_form("id\\n1\\n".encode("utf-16-be"))
    ('UTF-16 (little-endian, with a byte-order mark)', 'UTF-16 (big-endian, without a byte-order mark)')
    >>> utf16_form(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR") is None
    True
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        little, body, bom = data.startswith(codecs.BOM_UTF16_LE), data[2:], "with"
    elif len(data) % 2 == 0 and b"\x00" in data:
        little, body, bom = data[1::2].count(0) > data[0::2].count(0), data, "without"
    else:
        return None
    try:
        text = body.decode("utf_16_le" if little else "utf_16_be")
    except UnicodeDecodeError:
        return None
    if not text.translate(_LINE_BREAKS_AND_TABS).isprintable():  # a NUL, a control character: binary
        return None
    return f"UTF-16 ({'little' if little else 'big'}-endian, {bom} a byte-order mark)"


_LINE_BREAKS_AND_TABS = dict.fromkeys(map(ord, "\t\r\n"))

#: Lines with bytes that are not UTF-8 named one by one; the last one named counts the others.
MAX_BAD_LINES = 20

_UNDECODED = re.compile("[\udc80-\udcff]+")  # bytes that are not UTF-8, as ``surrogateescape`` decodes them


def not_utf8(data: bytes, path: str) -> list[Finding]:
    """An ``encoding-error`` at each physical line holding bytes that are not UTF-8 (the first :data:`MAX_BAD_LINES`).

    >>> [f.line for f in not_utf8(b"id\\n\\xe9\\nok\\n\\xc0x\\n", "a.csv")]
    [2, 4]
    """
    text = data.decode("utf-8", "surrogateescape")
    bad = [(number, match) for number, line in enumerate(BREAK.split(text), 1) if (match := _UNDECODED.search(line))]
    findings = []
    for number, match in bad[:MAX_BAD_LINES]:
        shown = match.string[match.start() : match.start() + 8].encode("utf-8", "surrogateescape")
        message = (
            f"bytes that are not UTF-8 ({shown!r}); the file was probably saved as Windows-1251 or "
            "Latin-1: re-save it as UTF-8"
        )
        findings.append(Finding(path, number, None, None, None, "encoding-error", ERROR, message))
    if len(bad) > MAX_BAD_LINES:
        last = findings[-1]
        more = f"; {plural(len(bad) - MAX_BAD_LINES, 'more line')} below with such bytes"
        findings[-1] = Finding(path, last.line, None, None, None, "encoding-error", ERROR, last.message + more)
    return findings


def line_endings(text: str, path: str, declared: str | None = None) -> Finding | None:
    """A warning when lines do not end with LF alone (CRLF, CR, or a mix), or with the ``declared`` ``lineTerminator``.

    >>> line_endings("a\\nb\\r\\nc\\n", "a.csv").line
    2
    >>> line_endings("a\\r\\nb\\r\\n", "a.csv", "\\r\\n") is None
    True
    """
    first = BREAK.search(text)
    if declared in _ENDING_NAMES:
        if first is None:
            return None
        other = {"\r\n": _NOT_CRLF, "\n": _NOT_LF, "\r": _NOT_CR}[declared].search(text)
        if other is None:
            return None
        found = _ENDING_NAMES[BREAK.match(text, other.start()).group()]
        message = (
            f"this line ends with {found} but the dialect declares {_ENDING_NAMES[declared]} line endings; "
            "save the file with the declared line endings"
        )
        return Finding(path, line_of_offset(text, other.start()), None, None, None, "line-endings", WARNING, message)
    if first is None or "\r" not in text:
        return None
    kind = first.group()
    other = {"\r\n": _NOT_CRLF, "\n": _NOT_LF, "\r": _NOT_CR}[kind].search(text)
    fix = "save the file with LF line endings (intergov fmt does)"
    if other is None:
        message = f"the file has {_ENDING_NAMES[kind]} line endings; {fix}"
        return Finding(path, 1, None, None, None, "line-endings", WARNING, message)
    line = line_of_offset(text, other.start())
    found = _ENDING_NAMES[BREAK.match(text, other.start()).group()]
    message = (
        f"this line ends with {found} but line {line_of_offset(text, first.start())} with "
        f"{_ENDING_NAMES[kind]}: mixed line endings; {fix}"
    )
    return Finding(path, line, None, None, None, "line-endings", WARNING, message)


def oversized_cell(text: str, path: str, dialect: Dialect = DEFAULT) -> Finding | None:
    """An error for the first cell longer than :data:`MAX_CELL_CHARS`, at its line and column.

    Fast when no cell can be that long: a file shorter than the limit, or one
    without quotes whose lines are all shorter.
    """
    if len(text) <= MAX_CELL_CHARS:
        return None
    quoted = dialect.escape_char or (dialect.quote_char and dialect.quote_char in text)
    if not quoted and max(map(len, text.split("\n"))) <= MAX_CELL_CHARS:
        return None
    read = records(text, dialect=dialect)
    if max(map(len, chain.from_iterable(map(itemgetter(1), read))), default=0) <= MAX_CELL_CHARS:
        return None
    for start, record in records(text, dialect=dialect):
        for number, cell in enumerate(record, start=1):
            if len(cell) > MAX_CELL_CHARS:
                return _too_large(path, start + line_breaks(record[: number - 1]), number, len(cell))
    return None


def _too_large(path: str, line: int, column: int, size: int) -> Finding:
    message = (
        f"a cell of {size:,} characters; a cell holds at most {MAX_CELL_CHARS:,} (the most a spreadsheet cell holds): "
        "is a quote or a line break missing, or was a file pasted into the cell? "
        "The rest of this file is checked once it is fixed"
    )
    return Finding(path, line, column, None, None, "cell-too-large", ERROR, message)


def swallowing_quote(text: str, path: str, dialect: Dialect = DEFAULT) -> list[Finding]:
    """A warning at each record whose quoted cell spans lines and whose width differs from the header's.

    A quote that opens by mistake and closes only at a later quote swallows the
    rows between into one cell: such a record has, most likely, another number
    of cells than the header (the first record that is not a comment). A record
    of the header's width is valid CSV and never reported. The warning points at
    the line where the record starts; the engines report its width, and check the rest.

    A cell that goes on after its closing quote (``"a"b``) is read by lenient
    parsers as ``ab``, silently: that is an error (``malformed-quote``), and so
    is a quote that opened lines earlier and closes before such text (``unclosed-quote``).

    >>> [(f.line, f.severity) for f in swallowing_quote('id,a,b\\n1,"x,y\\n2,p,q\\n3,r,s"\\n', "a.csv")]
    [(2, 'warning')]
    >>> swallowing_quote('id,note\\n1,"two\\nlines, and more"\\n', "a.csv")
    []
    """
    if not dialect.quote_char or dialect.quote_char not in text:
        return []
    rows = records(text, strict=True, dialect=dialect)
    found = []
    try:
        width = next((len(record) for _, record in rows if record and not dialect.comment(record)), 0)
        for start, record in rows:
            if len(record) in (0, width) or dialect.comment(record) or not line_breaks(record):
                continue  # a record of the header's width, or on one line, swallows nothing
            end = start + line_breaks(record)
            message = (
                f"lines {start}-{end} are read as one record of {len(record)} cells (the header has {width}): "
                f"a quote that opens on this line probably closes only on line {end}; close it on this line, "
                'or double a quote meant as text ("")'
            )
            found.append(Finding(path, start, None, None, None, "quote-spans-rows", WARNING, message))
    except MalformedRecord as e:
        start, line = e.start, e.line
        if line > start:  # the quote opened lines earlier: it swallowed the lines between
            swallowed = text[offset_of_line(text, start) : offset_of_line(text, line)]
            opened = start + (unclosed_quote_line(swallowed, dialect) or 1) - 1
            message = (
                f"the quote that opens on this line closes only on line {line}, so lines {opened}-{line} are "
                'read as one cell; close the quote on this line, or double a quote meant as text ("")'
            )
            return [*found, Finding(path, opened, None, None, None, "unclosed-quote", ERROR, message)]
        message = (
            "a quoted cell goes on after its closing quote, so it cannot be read with certainty; "
            'quote the whole cell and double each quote inside it ("")'
        )
        return [*found, Finding(path, line, None, None, None, "malformed-quote", ERROR, message)]
    return found
