"""Read a CSV file into columns of text, with the physical line of each record.

The bytes are laid out into records by :func:`intergov.engine.text.layout`
(where each record starts, on which physical line, whether a quoted cell
spans lines), once for the text check and this reader; pyarrow's CSV reader reads
the well-formed ones with every cell as text; Python's ``csv`` module (the
reader frictionless-py uses) reads the others: blank lines and records with
too many or too few cells, so that their cells are checked too. A file that
Python's ``csv`` module would read differently from a plain RFC 4180 reader
(a carriage return, a quote inside an unquoted cell) is read by it entirely:
slower, and the same.

>>> from intergov.engine.text import layout
>>> data = b'id,note\\n1,"two\\nlines"\\n2\\n'
>>> records = read(data, 2, layout(data))
>>> list(records.lines), records.counts.tolist(), records.columns[1].to_pylist()
([1, 2, 4], [2, 1], ['two\\nlines', None])
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv  # here, not on the threads that read (while another imports pandas)

from intergov.engine.text import Layout, positions
from intergov.lines import DEFAULT, Dialect, records, split

_QUOTE, _COMMA = 34, 44


@dataclass
class Records:
    """A file's records as columns of text, one per expected field (every record but the header).

    ``numbers`` are record numbers (the header is 1), ``counts`` the cells of
    each record, ``extras`` the first cell beyond the expected ones of each
    record that has more (only the first: a record of a million cells costs
    one string), and ``lines`` the physical line of each record (index 0: the header).
    """

    labels: list[str]
    width: int
    columns: list[pa.ChunkedArray]
    numbers: np.ndarray
    counts: np.ndarray
    extras: dict[int, str]
    lines: Lines


class Lines(Sequence[int]):
    """The physical line of each record (index 0: the header), as Python ints, held in numpy.

    What the findings translation reads (``len`` and indexing), without a
    Python int object per record.

    >>> Lines(np.array([1, 2, 4]))[2], len(Lines(np.array([1, 2, 4])))
    (4, 3)
    """

    def __init__(self, lines: np.ndarray) -> None:
        self.array = np.asarray(lines, np.int64)

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index):  # an int for an index, a list for a slice
        return self.array[index].tolist()


def read(data: bytes, headless_width: int, laid_out: Layout | None) -> Records:
    """The records of a CSV file (``data``: UTF-8, checked by :func:`intergov.engine.text.check`).

    ``laid_out`` is the file's :func:`~intergov.engine.text.layout` (``None``:
    not plain, read by Python's ``csv`` module); ``headless_width`` the number
    of columns when the header row is blank (the schema's fields, as
    frictionless-py expects them then).

    >>> from intergov.engine.text import layout
    >>> data = b"id,n\\n1,2\\n\\n3\\n"
    >>> r = read(data, 2, layout(data))
    >>> r.labels, r.numbers.tolist(), r.counts.tolist(), list(r.lines)
    (['id', 'n'], [2, 3, 4], [2, 0, 1], [1, 2, 3, 4])
    """
    if laid_out is None:
        return _read_slow(data, headless_width)
    starts, ends, lines, spanning = laid_out
    header = _parse(data[starts[0] : ends[0]])
    if not header:
        return _read_slow(data, headless_width)
    labels = [cell.strip() for cell in header]
    width = len(labels)
    table = _read_table(data, int(ends[0]) + 1, width, spanning) if len(starts) > 1 else None
    empty = starts[1:] == ends[1:]
    good = ~empty
    if table is None or table.num_rows != good.sum():
        good = ~empty & (_cell_counts(data, starts, ends)[1:] == width)
        if table is not None and table.num_rows != good.sum():
            return _read_slow(data, headless_width)
    numbers = np.arange(2, len(starts) + 1)
    rows = [_parse(data[starts[i + 1] : ends[i + 1]]) for i in np.flatnonzero(~good)]
    if table is None:
        table = pa.table({f"f{i}": pa.array([], pa.large_string()) for i in range(width)})
    columns = [table.column(i) for i in range(width)]
    return _assemble(labels, width, columns, numbers[good], numbers[~good], rows, Lines(lines))


def _cell_counts(data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Cells per record: its delimiting commas (outside quotes) plus one; none for an empty line."""
    buf = np.frombuffer(data, np.uint8)
    commas = positions(buf, _COMMA)
    counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    quotes = positions(buf, _QUOTE)
    if len(quotes):
        inside = np.searchsorted(commas, quotes[1::2]) - np.searchsorted(commas, quotes[0::2])
        record = np.searchsorted(starts, quotes[0::2], side="right") - 1
        counts = counts - np.bincount(record, weights=inside, minlength=len(starts)).astype(np.int64)
    return np.where(starts == ends, 0, counts + 1)


def _read_table(data: bytes, offset: int, width: int, spanning: bool) -> pa.Table | None:
    """Records after the header with ``width`` cells, all as text (pyarrow skips the others)."""
    if offset >= len(data):
        return None
    names = [f"f{i}" for i in range(width)]
    return pacsv.read_csv(
        pa.py_buffer(data).slice(offset),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(newlines_in_values=spanning, invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.large_string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _parse(record: bytes) -> list[str]:
    """The cells of one record, as Python's ``csv`` module reads them (``[]`` for a blank line)."""
    return next(csv.reader(io.StringIO(record.decode("utf-8"), newline=""), strict=False), [])


def _read_slow(data: bytes, headless_width: int) -> Records:
    """Every record read by Python's ``csv`` module, as frictionless-py reads them."""
    return read_text(data.decode("utf-8-sig"), headless_width, DEFAULT)


def read_text(text: str, headless_width: int, dialect: Dialect) -> Records:
    """The records of ``text`` read by Python's ``csv`` module with ``dialect``, as frictionless-py reads them.

    Comment rows are left out (their lines count), the header rows joined into
    one header (at the line of the first); without a header, ``labels`` is
    empty and the schema's ``headless_width`` fields are expected. Records are
    numbered from 2 in the order they are kept; ``lines`` maps them to physical lines.

    >>> from intergov.lines import Dialect
    >>> r = read_text("# c\\nid;n\\n1;'a;b'\\n", 2, Dialect(delimiter=";", quote_char="'", comment_char="#"))
    >>> r.labels, r.columns[1].to_pylist(), list(r.lines)
    (['id', 'n'], ['a;b'], [2, 3])
    """
    table = split(list(records(text, dialect=dialect)), dialect)
    labels = [cell.strip() for cell in table.labels or []]
    rows = [record for _, _, record in table.data]
    lines = Lines(np.array([table.header_line, *(line for _, line, _ in table.data)]))
    numbers = np.arange(2, len(rows) + 2)
    return _assemble(labels, len(labels) or headless_width, None, numbers[:0], numbers, rows, lines)


def _assemble(
    labels: list[str],
    width: int,
    columns: list[pa.ChunkedArray] | None,
    good: np.ndarray,
    other: np.ndarray,
    rows: list[list[str]],
    lines: Lines,
) -> Records:
    """Records of well-formed rows (``columns``) followed by the ``rows`` read one by one."""
    if columns is None:
        columns = [pa.chunked_array([], pa.large_string()) for _ in range(width)]
    extras = {len(good) + i: row[width] for i, row in enumerate(rows) if len(row) > width}
    if rows:
        columns = [
            pa.chunked_array(
                [*col.chunks, pa.array([row[i] if i < len(row) else None for row in rows], pa.large_string())],
                pa.large_string(),
            )
            for i, col in enumerate(columns)
        ]
    counts = np.concatenate([np.full(len(good), width), np.array([len(r) for r in rows], np.int64)])
    return Records(labels, width, columns, np.concatenate([good, other]), counts, extras, lines)
