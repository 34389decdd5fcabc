"""Shared fixture builders: copies of the fixture package in ``tmp_path``.

Tests never read the real data (``datapackage/data``): a curator's valid edit there must never turn a test
red. Cases are built on ``tests/fixtures/package``, a small package with the real schemas (``schemas/``)
and rows written for the tests; the real package is tested only as a whole (``tests/test_data.py``).

>>> pkg = copy_package(tmp_path)                                   # doctest: +SKIP
>>> set_cell(pkg, "agreements", "comprehensive-programme-2022-2026", "kind", "treatise")  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_PACKAGE = ROOT / "datapackage" / "datapackage.json"
FIXTURE = ROOT / "tests" / "fixtures" / "package"


def copy_package(tmp_path: Path) -> Path:
    """Copy the fixture package and schemas/ into ``tmp_path``; return the descriptor's path.

    The copy is laid out like the repository: ``datapackage/`` with its ``schemas -> ../schemas`` link.
    """
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    shutil.copytree(FIXTURE, tmp_path / "datapackage", symlinks=True, ignore=shutil.ignore_patterns("schemas"))
    (tmp_path / "datapackage" / "schemas").symlink_to(Path("..") / "schemas")
    return tmp_path / "datapackage" / "datapackage.json"


def csv_path(descriptor: Path, table: str) -> Path:
    """The CSV file of ``table`` in the package at ``descriptor``."""
    return descriptor.parent / "data" / f"{table}.csv"


def read_rows(descriptor: Path, table: str) -> list[list[str]]:
    """All records of a table (header first)."""
    text = csv_path(descriptor, table).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def write_rows(descriptor: Path, table: str, rows: list[list[str]]) -> None:
    """Write records (header first) as canonical CSV."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    csv_path(descriptor, table).write_text(buffer.getvalue(), encoding="utf-8", newline="")


def set_cell(descriptor: Path, table: str, key: str, field: str, value: str) -> int:
    """Set ``field`` of the row whose first cell is ``key``; return that row's physical line.

    (In the real package every CSV is one record per line, so record n is line n.)
    """
    rows = read_rows(descriptor, table)
    column = rows[0].index(field)
    for number, row in enumerate(rows):
        if number and row and row[0] == key:
            row[column] = value
            write_rows(descriptor, table, rows)
            return number + 1
    raise KeyError(f"no row {key!r} in {table}")


def append_row(descriptor: Path, table: str, values: dict[str, str]) -> int:
    """Append a row (missing fields empty); return its physical line."""
    rows = read_rows(descriptor, table)
    rows.append([values.get(name, "") for name in rows[0]])
    write_rows(descriptor, table, rows)
    return len(rows)


def _shared_copy() -> Path:
    """A copy of the fixture package laid out as in the repository, for tests that only read it."""
    folder = Path(tempfile.mkdtemp(prefix="intergov-fixture-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return copy_package(folder)


#: The fixture package's descriptor, in a read-only copy laid out as in the repository (its schemas are the
#: real ones): tests that edit the package take their own copy (:func:`copy_package`).
FIXTURE_PACKAGE = _shared_copy()


#: Files opened while recording (an audit hook sees every open() of the process).
_OPENED: list[str] = []
_RECORDING: list[bool] = [False]


def _audit(event: str, args: tuple) -> None:
    if _RECORDING[0] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@contextmanager
def opened_files(into: list[str] | None) -> Iterator[None]:
    """While the block runs, append the path of every file the process opens to ``into`` (``None``: nothing)."""
    _OPENED.clear()
    _RECORDING[0] = into is not None
    try:
        yield
    finally:
        _RECORDING[0] = False
        if into is not None:
            into.extend(_OPENED)


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file's bytes (and every link's target) under ``root``."""
    found: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_file():
                found[key] = path.read_bytes()
    return found


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A fresh copy of the real package; the test may edit it."""
    return copy_package(tmp_path)


@pytest.fixture
def umask_027() -> Iterator[int]:
    """Run the test under umask 027; yield the mode a new file gets (0o640)."""
    before = os.umask(0o027)
    try:
        yield 0o666 & ~0o027
    finally:
        os.umask(before)


# The descriptor checks' cache (intergov.cache) is off in tests, so that each test runs every check;
# tests/test_cache.py turns it on, in a folder of its own.
os.environ["INTERGOV_CACHE_DIR"] = ""
