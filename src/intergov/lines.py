"""Map CSV records to the physical lines a curator sees in an editor.

A quoted cell may span lines, so record *n* is not line *n*. The map is made
with the same CSV grammar that reads the records (Python's ``csv`` module,
which frictionless-py uses too), counting a blank line as a record as
frictionless-py does.

>>> text = 'id,note\\n1,"two\\nlines"\\n2,x\\n'
>>> record_lines(text)
[1, 2, 4]
>>> unclosed_quote_line('id,note\\n1,"open\\n2,x\\n')
2
"""

from __future__ import annotations

import csv
import io
import re

#: A line break as the CSV reader splits lines (``newline=""``): CRLF, LF or a lone CR.
_BREAK = re.compile(r"\r\n|\r|\n")


def _reader(text: str):
    if csv.field_size_limit() <= len(text):
        csv.field_size_limit(len(text) + 1)  # one cell may be the whole file; never refuse to count it
    return csv.reader(io.StringIO(text, newline=""), strict=False)


def record_lines(text: str) -> list[int]:
    """The 1-based physical line on which each record starts (index 0: the header)."""
    if '"' not in text and "\r" not in text:
        count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        return list(range(1, count + 1))
    starts = []
    reader = _reader(text)
    previous = 0
    for _record in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    return starts


def line_of_record(starts: list[int], record: int) -> int:
    """The physical line of a 1-based record number (1 is the header).

    Records past the end (which a parser may report for a file without a
    final newline) map to the line after the last record.
    """
    if 1 <= record <= len(starts):
        return starts[record - 1]
    return (starts[-1] + 1) if starts else 1


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
    for char in text[_offset_of_line(text, line) :]:
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


def _offset_of_line(text: str, line: int) -> int:
    """Character offset where the 1-based ``line`` starts (line breaks as the reader counts them)."""
    if line <= 1:
        return 0
    for number, match in enumerate(_BREAK.finditer(text), start=2):
        if number == line:
            return match.end()
    return len(text)
