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

import csv
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

#: A line break as the CSV reader splits lines (``newline=""``): CRLF, LF or a lone CR.
BREAK = re.compile(r"\r\n|\r|\n")


class MalformedRecord(ValueError):
    """A record that the strict reader refuses (text after a closing quote, a quote that never closes).

    ``start`` is the line on which the record starts, ``line`` the line on which the reader gave up.
    """

    def __init__(self, message: str, start: int, line: int) -> None:
        super().__init__(message)
        self.start = start
        self.line = line


def records(text: str, *, strict: bool = False) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, record)`` for each CSV record of ``text``: the 1-based line it starts on, its cells.

    A blank line is an empty record. With ``strict``, a misplaced quote raises
    :class:`MalformedRecord`; otherwise the reader is lenient, as
    frictionless-py's is. A cell may be as long as the whole text.

    >>> list(records('a\\r\\n"b\\r\\nc"\\r\\n\\r\\nd'))
    [(1, ['a']), (2, ['b\\r\\nc']), (4, []), (5, ['d'])]
    """
    with _cells_up_to(len(text)):
        reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
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


def record_lines(text: str) -> list[int]:
    """The 1-based physical line on which each record starts (index 0: the header)."""
    if '"' not in text and "\r" not in text:
        count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        return list(range(1, count + 1))
    return [start for start, _ in records(text)]


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


def unclosed_quote_line(text: str) -> int | None:
    """The line where a quote opens that is never closed, or ``None``.

    An unbalanced quote makes the parser swallow every following line into one
    cell; this finds where that cell began, so the finding points there.
    """
    if '"' not in text:
        return None
    starts = record_lines(text)
    if not starts:
        return None
    # Only the last record can hold a quote that never closes: the reader swallows the rest into it.
    line = starts[-1]
    state = "start"
    opened = None
    previous = ""
    for char in text[offset_of_line(text, line) :]:
        if char == "\r" or (char == "\n" and previous != "\r"):
            line += 1
        previous = char
        if state == "quoted":
            state = "quote" if char == '"' else "quoted"
        elif state == "quote":
            state = "quoted" if char == '"' else ("start" if char in ",\r\n" else "unquoted")
        elif char == '"' and state == "start":
            state, opened = "quoted", line
        else:
            state = "start" if char in ",\r\n" else "unquoted"
    return opened if state == "quoted" else None
