"""Read CSV records with the physical lines a curator sees in an editor.

A quoted cell may span lines, so record *n* is not line *n*. Records and their
lines come from the same CSV grammar (Python's ``csv`` module, which
frictionless-py uses too), counting a blank line as a record as
frictionless-py does. A line ends at CRLF, LF or a lone CR, and nowhere else
(:data:`BREAK`; ``str.splitlines`` also breaks at a form feed and at other
characters that are no line break to the reader or the editor).

>>> text = 'id,note\\n1,"two\\nlines"\\n2,x\\n'
>>> list(records(text))
[(1, ['id', 'note']), (2, ['1', 'two\\nlines']), (4, ['2', 'x'])]
>>> record_lines(text)
[1, 2, 4]
>>> unclosed_quote_line('id,note\\n1,"open\\n2,x\\n')
2
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from intergov.schema import DEFAULT_MISSING_VALUES

#: A line break as the CSV reader splits lines (``newline=""``): CRLF, LF or a lone CR.
BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Dialect:
    """A resource's Table Dialect (CSV) and encoding: the defaults, or what its descriptor declares.

    Defaults are the Table Dialect's, but for two: line endings are LF (what
    ``intergov fmt`` writes; the spec's default is CRLF) and a header is
    matched case-sensitively, as frictionless-py matches it unless told otherwise.

    >>> Dialect.of({"dialect": {"delimiter": ";", "header": False}}).plain
    False
    >>> Dialect.of({"encoding": "UTF8"}).plain
    True
    """

    delimiter: str = ","
    line_terminator: str | None = None  # None: not declared (LF expected)
    quote_char: str = '"'
    double_quote: bool = True
    escape_char: str | None = None
    null_sequence: str | None = None
    skip_initial_space: bool = False
    header: bool = True
    header_rows: tuple[int, ...] | None = None  # None: not declared (the first row that is not a comment)
    header_join: str = " "
    comment_char: str | None = None
    case_sensitive_header: bool = True
    encoding: str = "utf-8"

    @classmethod
    def of(cls, descriptor: Mapping[str, Any]) -> Dialect:
        """The dialect a resource descriptor declares (v2 names, and v1's; a value of the wrong type is ignored)."""
        declared = descriptor.get("dialect")
        declared = declared if isinstance(declared, Mapping) else {}
        values: dict[str, Any] = {}
        for key, name, kind in _PROPERTIES:
            value = declared.get(key)
            if isinstance(value, kind) and (key not in _CHARACTERS or len(value) in _CHARACTERS[key]):
                values[name] = value
        rows = declared.get("headerRows")
        if isinstance(rows, list) and rows and all(isinstance(r, int) and r >= 1 for r in rows):
            values["header_rows"] = tuple(sorted(set(rows)))
        encoding = descriptor.get("encoding")
        if isinstance(encoding, str) and encoding.strip():
            try:
                values["encoding"] = codecs.lookup(encoding.strip()).name
            except LookupError:
                values["encoding"] = encoding.strip()
        return cls(**values)

    @property
    def plain(self) -> bool:
        """Whether the file is read as the defaults read it (the fast path of both engines)."""
        return self.reading == Dialect().reading and self.encoding == "utf-8"

    @property
    def reading(self) -> tuple:
        """What changes how records and header are read (the line terminator and header case do not)."""
        return (
            self.delimiter,
            self.quote_char,
            self.double_quote or not self.escape_char,
            self.escape_char,
            self.null_sequence,
            self.skip_initial_space,
            self.header,
            self.header_rows or (1,),
            self.header_join if len(self.header_rows or ()) > 1 else " ",
            self.comment_char,
        )

    def csv_options(self) -> dict[str, Any]:
        """Options for Python's ``csv`` reader, as frictionless-py sets them (``doubleQuote`` needs an escape).

        Without an escape character, a quote in a quoted cell can only be
        doubled: frictionless-py reads ``doubleQuote: false`` so then, and so does this.
        """
        return {
            "delimiter": self.delimiter,
            "quotechar": self.quote_char or None,
            "quoting": csv.QUOTE_MINIMAL if self.quote_char else csv.QUOTE_NONE,
            "doublequote": self.double_quote or not self.escape_char,
            "escapechar": self.escape_char,
            "skipinitialspace": self.skip_initial_space,
        }

    def schema(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """``schema`` with ``nullSequence`` among its missing values (its own and each field's).

        >>> Dialect(null_sequence="NULL").schema({"fields": [{"name": "a", "missingValues": ["-"]}]})
        {'fields': [{'name': 'a', 'missingValues': ['-', 'NULL']}], 'missingValues': ['', 'NULL']}
        """
        null = self.null_sequence
        if null is None:
            return schema
        fields = [
            {**f, "missingValues": [*f["missingValues"], null]} if isinstance(f.get("missingValues"), list) else f
            for f in schema.get("fields", [])
        ]
        missing = [*schema.get("missingValues", DEFAULT_MISSING_VALUES), null]
        return {**schema, "fields": fields, "missingValues": missing}

    def comment(self, record: Sequence[str]) -> bool:
        """Whether ``record`` is a comment row (its first cell starts with ``commentChar``)."""
        return bool(self.comment_char and record and record[0].startswith(self.comment_char))


#: Table Dialect properties: the descriptor key, the :class:`Dialect` attribute, the JSON type.
_PROPERTIES = (
    ("delimiter", "delimiter", str),
    ("lineTerminator", "line_terminator", str),
    ("quoteChar", "quote_char", str),
    ("doubleQuote", "double_quote", bool),
    ("escapeChar", "escape_char", str),
    ("nullSequence", "null_sequence", str),
    ("skipInitialSpace", "skip_initial_space", bool),
    ("header", "header", bool),
    ("headerJoin", "header_join", str),
    ("commentChar", "comment_char", str),
    ("caseSensitiveHeader", "case_sensitive_header", bool),
)
#: The lengths allowed of the properties that are characters (an empty ``quoteChar``: no quoting).
_CHARACTERS = {"delimiter": (1,), "quoteChar": (0, 1), "escapeChar": (1,), "commentChar": (1,)}

#: The default dialect: comma, double quote, a header on line 1, UTF-8.
DEFAULT = Dialect()


class Table(NamedTuple):
    """A file's records split as its dialect says: the header's labels and line, and the data records.

    Each data record is ``(number, line, cells)``: its 1-based number among all
    the file's records (comment and header rows count, as frictionless-py counts
    rows), the physical line it starts on, its cells.
    """

    header_line: int
    labels: list[str] | None
    data: list[tuple[int, int, list[str]]]
    header_rows: list[int]


def split(read: Sequence[tuple[int, list[str]]], dialect: Dialect = DEFAULT) -> Table:
    """The header and data records of ``read`` (:func:`records`), as frictionless-py splits them.

    Comment rows are skipped (their lines still count); header rows are joined
    cell by cell with ``headerJoin`` (a cell equal to the one above it, as a
    merged cell repeats, is not repeated); rows before the last header row that
    are not header rows are skipped; ``labels`` is ``None`` without a header.
    Rows are numbered among all records, comments too; without ``headerRows``,
    the header is the first row that is not a comment. ``header_rows`` are
    the header's row numbers so counted.

    >>> split([(1, ["# note"]), (2, ["a", "b"]), (3, ["x", "y"]), (4, ["1", "2"])],
    ...       Dialect(comment_char="#", header_rows=(2, 3)))
    Table(header_line=2, labels=['a x', 'b y'], data=[(4, 4, ['1', '2'])], header_rows=[2, 3])
    >>> split([(1, ["# note"]), (2, ["a"]), (3, ["1"])], Dialect(comment_char="#")).labels
    ['a']
    """
    rows = dialect.header_rows
    if rows is None:
        rows = (next((n for n, (_, r) in enumerate(read, start=1) if not dialect.comment(r)), 1),)
    first = rows[-1] + 1 if dialect.header else 1
    lists: list[list[str]] = []
    header_line = 1
    data = []
    for number, (line, record) in enumerate(read, start=1):
        if dialect.comment(record):
            continue
        if number >= first:
            data.append((number, line, record))
        elif dialect.header and number in rows:
            header_line = line if not lists else header_line
            lists.append(record)
    if not dialect.header:
        return Table(header_line, None, data, [])
    labels: list[str] = []
    above: dict[int, str] = {}
    for cells in lists:
        for index, cell in enumerate(cells):
            if above.get(index) == cell:
                continue
            above[index] = cell
            if len(labels) <= index:
                labels.append(cell)
            else:
                labels[index] = dialect.header_join.join([labels[index], cell])
    return Table(header_line, labels, data, list(rows))


class MalformedRecord(ValueError):
    """A record that the strict reader refuses (text after a closing quote, a quote that never closes).

    ``start`` is the line on which the record starts, ``line`` the line on which the reader gave up.
    """

    def __init__(self, message: str, start: int, line: int) -> None:
        super().__init__(message)
        self.start = start
        self.line = line


def records(text: str, *, strict: bool = False, dialect: Dialect = DEFAULT) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, record)`` for each CSV record of ``text``: the 1-based line it starts on, its cells.

    A blank line is an empty record. With ``strict``, a misplaced quote raises
    :class:`MalformedRecord`; otherwise the reader is lenient, as
    frictionless-py's is. A cell may be as long as the whole text. Records are
    read with ``dialect``'s delimiter, quote and escape (comment and header rows are records too).

    >>> list(records('a\\r\\n"b\\r\\nc"\\r\\n\\r\\nd'))
    [(1, ['a']), (2, ['b\\r\\nc']), (4, []), (5, ['d'])]
    >>> list(records("a;'b;c'", dialect=Dialect(delimiter=";", quote_char="'")))
    [(1, ['a', 'b;c'])]
    """
    with _cells_up_to(len(text)):
        reader = csv.reader(io.StringIO(text, newline=""), strict=strict, **dialect.csv_options())
        start = 1
        try:
            for record in reader:
                yield start, record
                start = reader.line_num + 1
        except csv.Error as e:
            raise MalformedRecord(str(e), start, reader.line_num or start) from e


@contextmanager
def _cells_up_to(size: int) -> Iterator[None]:
    """Let the csv module read a cell of ``size`` characters while the block runs.

    The csv module's field limit is process-wide (131,072 characters unless
    set; frictionless-py sets it high on import). It is raised only when it is
    below ``size``, and put back afterwards unless something else changed it
    meanwhile.
    """
    before = csv.field_size_limit()
    if before > size:
        yield
        return
    csv.field_size_limit(size + 1)
    try:
        yield
    finally:
        if csv.field_size_limit() == size + 1:
            csv.field_size_limit(before)


def line_breaks(cells: Sequence[str]) -> int:
    """How many line breaks the cells hold: a record spans that many lines more than one.

    >>> line_breaks(["a\\r\\nb", "c\\nd\\re"])
    3
    """
    return sum(len(BREAK.findall(cell)) for cell in cells)


def record_lines(text: str, dialect: Dialect = DEFAULT) -> list[int]:
    """The 1-based physical line on which each record starts (index 0: the header)."""
    if (not dialect.quote_char or dialect.quote_char not in text) and not dialect.escape_char and "\r" not in text:
        count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        return list(range(1, count + 1))
    return [start for start, _ in records(text, dialect=dialect)]


def line_of_record(starts: Sequence[int], record: int) -> int:
    """The physical line of a 1-based record number (1 is the header).

    Records past the end (which a parser may report for a file without a
    final newline) map to the line after the last record.
    """
    if 1 <= record <= len(starts):
        return starts[record - 1]
    return (starts[-1] + 1) if len(starts) else 1


def line_of_offset(text: str, offset: int) -> int:
    """The 1-based physical line of character ``offset``.

    >>> line_of_offset("a\\r\\nb\\x0cc\\rd", 7)
    3
    """
    return len(BREAK.findall(text, 0, offset)) + 1


def offset_of_line(text: str, line: int) -> int:
    """The character offset at which the 1-based ``line`` starts (the length of ``text`` past its end).

    >>> offset_of_line("a\\r\\nb\\x0cc\\rd", 3)
    7
    """
    if line <= 1:
        return 0
    for number, match in enumerate(BREAK.finditer(text), start=2):
        if number == line:
            return match.end()
    return len(text)


def unclosed_quote_line(text: str, dialect: Dialect = DEFAULT) -> int | None:
    """The line where a quote opens that is never closed, or ``None``.

    An unbalanced quote makes the parser swallow every following line into one
    cell; this finds where that cell began, so the finding points there.
    """
    quote, delimiter, escape = dialect.quote_char, dialect.delimiter, dialect.escape_char
    if not quote or quote not in text:
        return None
    starts = record_lines(text, dialect)
    if not starts:
        return None
    # Only the last record can hold a quote that never closes: the reader swallows the rest into it.
    line = starts[-1]
    state = "start"
    opened = None
    previous = ""
    escaped = False
    ends = delimiter + "\r\n"
    for char in text[offset_of_line(text, line) :]:
        if char == "\r" or (char == "\n" and previous != "\r"):
            line += 1
        previous = char
        if escaped:
            escaped = False
            state = "quoted" if state == "quoted" else "unquoted"
        elif char == escape and state != "quote":
            escaped = True
        elif state == "quoted":
            state = "quote" if char == quote else "quoted"
        elif state == "quote":
            state = "quoted" if char == quote else ("start" if char in ends else "unquoted")
        elif char == quote and state == "start":
            state, opened = "quoted", line
        elif dialect.skip_initial_space and state == "start" and char == " ":
            continue
        else:
            state = "start" if char in ends else "unquoted"
    return opened if state == "quoted" else None
