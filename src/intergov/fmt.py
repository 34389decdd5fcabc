"""Canonical CSV form, and rewriting files into it without losing a byte of data.

A table is canonical when it is UTF-8 without BOM, with LF line endings and
minimal quoting, its rows sorted by primary key, and no stray whitespace around
a value where the field allows (see :func:`strip_cell`). Each table has exactly
one canonical form, so a diff between two versions shows changed rows only.

A file is never rewritten when it cannot be parsed with certainty (not UTF-8,
binary, an unclosed quote, a malformed quote, ragged rows, a header that is
not the schema's fields): :func:`format_table` says why and gives the line.
Before anything is written (:func:`apply`, :func:`canonical_text`), the new text
is parsed back and compared with the rows it was made from, and files are
replaced atomically (:func:`write_atomic`); a check that writes nothing parses
each file once. A file that is not canonical says which lines are not, and why
(:attr:`Formatted.details`). Two resources on one file are formatted once, and
only when both give it the same canonical form. A temporary file that an
interrupted run left beside a table is removed by the next (:func:`remove_stale`).

>>> render_csv([["id", "note"], ["a", "two\\nlines"], ["b", "plain"]])
'id,note\\na,"two\\nlines"\\nb,plain\\n'
>>> schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "name"}], "primaryKey": ["id"]}
>>> canonical_text("id,name\\r\\n10, Ten\\r\\n9,Nine\\r\\n", schema)
'id,name\\n9,Nine\\n10,Ten\\n'
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import dataclasses
import io
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intergov import schema as ts
from intergov.engine.text import BOM, decode
from intergov.findings import ERROR, Finding
from intergov.lines import BREAK, MalformedRecord, records
from intergov.package import Package, Resource
from intergov.patterns import PatternError, matcher

#: A number written plainly (``-5``, ``1.5e3``): sorted as a number, and never a spreadsheet formula.
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

#: The lines of a file that is not canonical kept in :attr:`Formatted.details` (the rest are counted).
LISTED_LINES = 20

#: The temporary file :func:`write_atomic` writes beside its target: ``.<target>.<process id>-<random>.tmp``.
TEMPORARY = re.compile(r"\.(?P<target>.+)\.(?:(?P<pid>[1-9][0-9]{0,9})-)?[0-9a-f]{12}\.tmp")
#: Seconds after which a temporary file is left over even when a process of its id runs (the id was reused).
STALE_AFTER = 3600

# What is not canonical on a line, in the order a line lists them, and the reason each gives the file.
BYTE_ORDER_MARK = "byte-order mark"
BLANK_LINE = "blank line"
OUT_OF_ORDER = "not in canonical order"
LINE_ENDINGS = "line endings"
WHITESPACE = "whitespace around values"
NO_FINAL_BREAK = "no line break at the end"
QUOTING = "quoting"
_FILE_REASONS = {
    BYTE_ORDER_MARK: "byte-order mark",
    LINE_ENDINGS: "CR or CRLF line endings",
    BLANK_LINE: "blank lines",
    WHITESPACE: "whitespace around values",
    OUT_OF_ORDER: "rows not sorted by primary key ({key})",
    NO_FINAL_BREAK: "no line break at the end",
    QUOTING: "quoting",
}


class Unparseable(Exception):
    """A file that cannot be parsed with certainty; ``finding`` says where and why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class ChangedMeanwhile(Exception):
    """The file changed on disk between reading and rewriting it; nothing was written."""


def render_csv(rows: Iterable[Sequence[str]]) -> str:
    """Render rows (header first) as canonical CSV text."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue()


def strip_cell(value: str, field: Mapping[str, Any], missing: Sequence[str] = ts.DEFAULT_MISSING_VALUES) -> str:
    """``value`` without surrounding whitespace (and with LF line breaks), where the field allows.

    The field does not allow it when the whitespace is part of a valid value:
    a missing value such as ``" "``, or a value that matches the field's
    ``pattern`` or ``enum`` only with it.

    >>> strip_cell(" Baku\\u00a0", {"name": "city"})
    'Baku'
    >>> strip_cell(" ", {"name": "x"}, missing=("", " "))
    ' '
    """
    value = _lf(value)
    stripped = value.strip()
    if stripped == value or value in missing:
        return value
    constraints = ts.constraints(field)
    pattern = constraints.get("pattern")
    if pattern and _matches(pattern, value) and not _matches(pattern, stripped):
        return value
    enum = constraints.get("enum")
    if enum and value in enum and stripped not in enum:
        return value
    return stripped


def _matches(pattern: str, value: str) -> bool:
    try:
        return matcher(pattern)(value)
    except PatternError:
        return False


def sort_key(schema: Mapping[str, Any], names: Sequence[str]):
    """A key function ordering records by primary key (numbers as numbers), then by whole record."""
    by_name = {f["name"]: f for f in ts.fields(schema)}
    positions = [(names.index(k), by_name[k].get("type", "string")) for k in ts.primary_key(schema) if k in names]

    def key(record: Sequence[str]) -> tuple:
        parts = []
        for position, kind in positions:
            value = record[position]
            if kind in ("integer", "number", "year") and PLAIN_NUMBER.fullmatch(value):
                parts.append((0, float(value), value))
            else:
                parts.append((1, 0.0, value))
        return (tuple(parts), tuple(record))

    return key


def canonical_rows(text: str, schema: Mapping[str, Any], path: str = "") -> list[list[str]]:
    """The records of ``text`` in canonical order and form (header first).

    Raises :class:`Unparseable` for a malformed quote, a header that is not the
    schema's fields, or a record with too many or too few cells.
    """
    return _parse(text, schema, path).rows


def canonical_text(text: str, schema: Mapping[str, Any], path: str = "") -> str:
    """``text`` in canonical form, checked to hold the same records (raises :class:`Unparseable`)."""
    rows = canonical_rows(text, schema, path)
    result = render_csv(rows)
    _verify(result, rows, path)
    return result


@dataclass(frozen=True)
class _Parsed:
    """A table read once: its canonical records (header first), and each record as read and as stripped.

    ``lines`` holds the line each record read starts on; ``stripped`` is ``None`` for a blank line.
    """

    rows: list[list[str]]
    read: list[list[str]]
    lines: list[int]
    stripped: list[list[str] | None]


def _parse(text: str, schema: Mapping[str, Any], path: str) -> _Parsed:
    """Read ``text`` strictly, strip and sort its records (header first)."""
    names = ts.field_names(schema)
    read, lines = _records(text, path)
    if not read:
        raise Unparseable(Finding(path, 1, None, None, None, "empty-file", ERROR, "the file has no header row"))
    header = [cell.strip() for cell in read[0]]
    if header != names:
        raise Unparseable(_header_problem(header, names, path))
    by_name = {f["name"]: f for f in ts.fields(schema)}
    fields = [by_name[name] for name in names]
    missing = {f["name"]: ts.missing_values(schema, f) for f in fields}
    stripped: list[list[str] | None] = [header]
    for record, line in zip(read[1:], lines[1:], strict=True):
        if not record:
            stripped.append(None)  # a blank line holds no data
            continue
        if len(record) != len(names):
            rule = "extra-cell" if len(record) > len(names) else "missing-cell"
            message = f"{len(record)} cells where the header has {len(names)}; fix the row, then format"
            raise Unparseable(Finding(path, line, None, None, None, rule, ERROR, message))
        stripped.append([strip_cell(c, field, missing[field["name"]]) for c, field in zip(record, fields, strict=True)])
    ordered = sorted((row for row in stripped[1:] if row is not None), key=sort_key(schema, names))
    return _Parsed([header, *ordered], read, lines, stripped)


def _verify(result: str, rows: list[list[str]], path: str) -> None:
    """Raise :class:`Unparseable` unless the canonical ``result`` reads back as ``rows``."""
    again, _ = _records(result, path)
    if again != rows:  # never expected: the csv module reads back what it writes
        message = "the canonical form would not read back as the same records; the file is left alone"
        raise Unparseable(Finding(path, None, None, None, None, "format-failed", ERROR, message))


def _records(text: str, path: str) -> tuple[list[list[str]], list[int]]:
    """Records of ``text`` with the physical line each starts on, read strictly."""
    try:
        found = list(records(text, strict=True))
    except MalformedRecord as e:
        message = f"a quote is misplaced ({e}); quote the whole cell and double quotes inside it"
        raise Unparseable(Finding(path, e.line, None, None, None, "malformed-quote", ERROR, message)) from e
    return [record for _, record in found], [line for line, _ in found]


def _lf(text: str) -> str:
    """``text`` with LF line breaks."""
    return BREAK.sub("\n", text) if "\r" in text else text


def _header_problem(header: list[str], names: list[str], path: str) -> Finding:
    for column, (found, expected) in enumerate(zip(header, names, strict=False), start=1):
        if found != expected:
            message = f"the header says {found!r} where the schema expects {expected!r}; fix the header, then format"
            return Finding(path, 1, column, expected, found, "incorrect-label", ERROR, message)
    rule = "extra-label" if len(header) > len(names) else "missing-label"
    message = f"the header has {len(header)} columns and the schema {len(names)} fields; fix the header, then format"
    return Finding(path, 1, None, None, None, rule, ERROR, message)


@dataclass(frozen=True)
class Formatted:
    """A table's file and its canonical form (``None`` when it cannot be parsed: see ``problem``)."""

    path: str
    file: Path
    original: bytes = field(repr=False)
    canonical: bytes | None = field(repr=False)
    reasons: tuple[str, ...] = ()
    problem: Finding | None = None
    #: The first :data:`LISTED_LINES` lines that are not canonical: (line, what is wrong), e.g. ``(7, "quoting")``.
    details: tuple[tuple[int, str], ...] = ()
    #: How many lines are not canonical (``details`` lists the first).
    lines: int = 0
    #: The records the canonical form was made from, which :func:`apply` checks it reads back as.
    rows: list[list[str]] | None = field(default=None, repr=False, compare=False)

    @property
    def changes(self) -> bool:
        """Whether formatting would rewrite the file."""
        return self.canonical is not None and self.canonical != self.original


def format_table(resource: Resource) -> Formatted:
    """Read ``resource``'s file and work out its canonical form; never writes.

    The file is parsed once; whether the canonical form reads back as the same
    records is checked by :func:`apply`, before anything is written.
    """
    path = resource.display
    data = resource.file.read_bytes()
    dialect = resource.descriptor.get("dialect")
    if dialect:
        message = "the resource declares a CSV dialect; intergov fmt only writes plain comma-separated CSV"
        problem = Finding(path, None, None, None, None, "format-dialect", ERROR, message)
        return Formatted(path, resource.file, data, None, problem=problem)
    text, found = decode(data, path)
    if text is None:
        problem = next(f for f in found if f.severity == ERROR)
        return Formatted(path, resource.file, data, None, problem=problem)
    try:
        parsed = _parse(text, resource.schema, path)
    except Unparseable as e:
        return Formatted(path, resource.file, data, None, problem=e.finding)
    encoded = render_csv(parsed.rows).encode("utf-8")
    if encoded == data:
        return Formatted(path, resource.file, data, encoded, rows=parsed.rows)
    found = _lines_not_canonical(data, text, parsed, resource.schema)
    kinds = {what for _, problems in found for what in problems}
    key = ", ".join(ts.primary_key(resource.schema))
    reasons = tuple(reason.format(key=key) for kind, reason in _FILE_REASONS.items() if kind in kinds)
    details = tuple((line, ", ".join(problems)) for line, problems in found[:LISTED_LINES])
    return Formatted(path, resource.file, data, encoded, reasons, rows=parsed.rows, details=details, lines=len(found))


def _lines_not_canonical(
    data: bytes, text: str, parsed: _Parsed, schema: Mapping[str, Any]
) -> list[tuple[int, list[str]]]:
    """Each record that is not canonical: the line it starts on and what is wrong with it (the file is not read again).

    A row is out of order when it is not among the most rows already in order
    (a longest ascending run): moving those rows, and only those, sorts the file.
    """
    body = [i for i, row in enumerate(parsed.stripped) if i and row is not None]
    key = sort_key(schema, parsed.rows[0])
    unsorted = {body[k] for k in _off_longest_run([key(parsed.stripped[i]) for i in body])}
    starts = [0, *(match.end() for match in BREAK.finditer(text))]  # the offset each line starts at
    found = []
    for index, (record, line) in enumerate(zip(parsed.read, parsed.lines, strict=True)):
        end = starts[parsed.lines[index + 1] - 1] if index + 1 < len(parsed.lines) else len(text)
        raw = text[starts[line - 1] : end]
        problems = [BYTE_ORDER_MARK] if index == 0 and data.startswith(BOM.encode("utf-8")) else []
        cells = [_lf(cell) for cell in record]
        if parsed.stripped[index] is None:
            problems.append(BLANK_LINE)
        else:
            problems += [OUT_OF_ORDER] if index in unsorted else []
            problems += [LINE_ENDINGS] if "\r" in raw else []
            problems += [WHITESPACE] if parsed.stripped[index] != cells else []
            ends = raw.endswith(("\n", "\r"))
            problems += [] if ends else [NO_FINAL_BREAK]
            problems += [QUOTING] if render_csv([cells]) != _lf(raw) + ("" if ends else "\n") else []
        if problems:
            found.append((line, problems))
    return found


def _off_longest_run(keys: list) -> set[int]:
    """The positions of ``keys`` off one longest non-decreasing subsequence (patience sorting).

    >>> sorted(_off_longest_run([9, 1, 2, 3]))
    [0]
    """
    tails: list = []
    ends: list[int] = []
    before = [-1] * len(keys)
    for position, key in enumerate(keys):
        length = bisect.bisect_right(tails, key)
        before[position] = ends[length - 1] if length else -1
        if length == len(tails):
            tails.append(key)
            ends.append(position)
        else:
            tails[length], ends[length] = key, position
    kept, position = set(), ends[-1] if ends else -1
    while position >= 0:
        kept.add(position)
        position = before[position]
    return set(range(len(keys))) - kept


def format_package(package: Package) -> list[Formatted]:
    """The canonical form of every table of ``package``, in descriptor order; never writes.

    Resources that share a file get one outcome: the canonical form they agree
    on, or, when one cannot parse it or their forms differ (their primary keys
    sort it differently), a problem for each, so that nothing rewrites it.
    """
    results = [format_table(resource) for resource in package.resources]
    shared: dict[Path, list[int]] = {}
    for index, result in enumerate(results):
        shared.setdefault(result.file.resolve(), []).append(index)
    for indices in shared.values():
        group = [results[i] for i in indices]
        problem = next((r.problem for r in group if r.problem is not None), None)
        if problem is None and len({r.canonical for r in group}) > 1:
            names = ", ".join(repr(package.resources[i].name) for i in indices)
            message = f"the resources {names} share this file but sort it differently; give each its own file"
            problem = Finding(group[0].path, None, None, None, None, "format-failed", ERROR, message)
        if problem is not None and len(group) > 1:
            for i in indices:
                results[i] = dataclasses.replace(results[i], canonical=None, problem=problem, rows=None)
    return results


def distinct(results: Iterable[Formatted]) -> list[Formatted]:
    """One of each file's results (resources sharing a file have one outcome: :func:`format_package`)."""
    return list({result.file.resolve(): result for result in results}.values())


def write_atomic(path: Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace the file at ``path`` with ``data`` in one step: a reader sees the old file or the new.

    The data goes to a temporary file beside the target, is flushed to disk and
    renamed over it, keeping the target's permissions; a missing target is
    created with the permissions any new file gets (``0o666`` less the umask).
    With ``expected``, the file must still hold those bytes just before the
    rename (a missing file holds ``b""``), or :class:`ChangedMeanwhile` is
    raised and nothing is written.
    """
    target = Path(path).resolve()
    handle, temporary = _new_file_beside(target)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
        if expected is not None and (target.read_bytes() if target.exists() else b"") != expected:
            raise ChangedMeanwhile(f"{path} changed while it was being formatted; run intergov fmt again")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _new_file_beside(target: Path) -> tuple[int, str]:
    """A new, hidden temporary file in ``target``'s folder, opened for writing, and its path.

    It is made as ``open()`` makes a file (mode ``0o666``, which the umask narrows),
    not ``0o600`` as :func:`tempfile.mkstemp` makes it, so that it can become a new target as it is.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = str(target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot make a temporary file beside {target}")


def apply(formatted: Formatted) -> bool:
    """Rewrite the file into its canonical form when it changes; return whether it was rewritten.

    The canonical form must first read back as the records it was made from,
    or :class:`Unparseable` (``format-failed``) is raised and nothing is written.
    """
    if not formatted.changes or formatted.canonical is None:
        return False
    if formatted.rows is not None:
        _verify(formatted.canonical.decode("utf-8"), formatted.rows, formatted.path)
    write_atomic(formatted.file, formatted.canonical, expected=formatted.original)
    return True


def stale(package: Package) -> list[Path]:
    """The temporary files that an interrupted ``intergov fmt`` left beside the package's tables.

    A temporary file (:data:`TEMPORARY`) is left over when the process that made
    it no longer runs, or when it is older than :data:`STALE_AFTER` seconds.
    """
    folders = sorted({resource.file.parent for resource in package.resources})
    found = []
    for folder in folders:
        for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
            match = TEMPORARY.fullmatch(entry.name)
            if match and stat.S_ISREG(entry.lstat().st_mode) and _left_over(entry, match.group("pid")):
                found.append(entry)
    return found


def _left_over(file: Path, pid: str | None) -> bool:
    if time.time() - file.lstat().st_mtime > STALE_AFTER or pid is None:
        return True
    if os.name != "posix":
        return False  # no way to ask whether the process runs without touching it: wait for STALE_AFTER
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # another user's process, or no process id at all
        return False
    return False


def remove_stale(package: Package) -> list[Path]:
    """Remove the temporary files :func:`stale` finds; return them."""
    removed = []
    for file in stale(package):
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
            removed.append(file)
    return removed
