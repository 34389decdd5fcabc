"""Read a published release: verify every file against its hash, return typed pandas frames.

A release is the folder ``intergov-<version>/`` that ``intergov build`` writes,
or its zip. Its ``datapackage.json`` describes each table twice, by a
convention that plain frictionless accepts:

- ``<table>``: the canonical CSV, ``data/<table>.csv``, a ``table`` resource;
- ``<table>-parquet``: the same rows, typed, ``data/<table>.parquet``, a
  ``file`` resource (format ``parquet``) with the same inline Table Schema.
  (frictionless-py reads Parquet without byte statistics, so as a ``table``
  it could not check ``bytes``; as a ``file`` it checks ``bytes`` and ``hash``.)

Every resource has ``bytes`` and a ``sha256:`` ``hash``; :func:`load` checks
them all before it reads anything, and refuses a file that does not match.
It also checks the release against the ``SHA256SUMS`` beside it, when there is
one (:func:`verify_sums`: a descriptor re-hashed after an edit does not pass),
that each Parquet file has its table's columns and types, and that each
table's CSV and Parquet files hold the same typed rows (:func:`same_rows`).
:func:`open_package` is the one load-refuse-verify step, for a release
(:func:`load`) and for any package being compared (:mod:`intergov.release`).

A zip is never unpacked blindly (:func:`unpack`): only its descriptor and the
files the descriptor names are extracted, within :data:`MAX_EXTRACTED_BYTES`
counted from the decompressed data itself, and a zip with more than
:data:`MAX_ZIP_ENTRIES` entries, an entry that is a symbolic link, an absolute
path or a ``..``, or a compression method a release does not use is refused
(:class:`UnsafeArchiveError`).

``from intergov import load`` gives :func:`load` (a lazy export of the package),
and ``from intergov import LoadError`` the base of every error it raises.

>>> from intergov import load
>>> tables = load("dist/intergov-0.1.0.zip")  # doctest: +SKIP
>>> tables["sources"].dtypes["published_on"]  # doctest: +SKIP
dtype('<M8[s]')
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from intergov import schema as ts
from intergov.lines import MalformedRecord, records
from intergov.package import DESCRIPTOR_NAME, Package, Resource, display_path, locate
from intergov.package import load as load_package

#: Format and name suffix of the Parquet form of a table in a release.
PARQUET = "parquet"
PARQUET_SUFFIX = "-parquet"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"

#: Resource properties that describe a file rather than its table: a release and its source differ in them.
FILE_PROPERTIES = frozenset(
    {"name", "path", "schema", "bytes", "hash", "format", "mediatype", "encoding", "scheme", "type", "dialect"}
)

#: The most a release zip may unpack to, counted as the entries are decompressed (not as their headers say):
#: a release of a million rows unpacks to about 100 MB, a zip bomb is refused. Raise it for a larger release.
MAX_EXTRACTED_BYTES = 512 * 1024 * 1024
#: The most entries a release zip may hold (a release has two files per table and four more).
MAX_ZIP_ENTRIES = 10_000
#: The largest ``SHA256SUMS`` read beside a release (one line per file of every version built).
MAX_SUMS_BYTES = 16 * 1024 * 1024
#: The checksum file ``intergov build`` writes beside the release folder and zip.
SUMS = "SHA256SUMS"
#: Compression methods a zip entry may use (those zip tools write; each decompresses in bounded steps).
_COMPRESSIONS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
#: What reading a damaged zip raises (a bad CRC, a truncated stream, a broken header).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, RuntimeError, ValueError)
_CHUNK = 1 << 20
#: A ``SHA256SUMS`` line: ``<digest>  <name>`` (text mode) or ``<digest> *<name>`` (binary mode).
_SUMS_LINE = re.compile(rb"([0-9a-fA-F]{64}) [ *](.+)")


class LoadError(Exception):
    """The path does not hold a readable release (or package, for comparing)."""


class TamperedError(LoadError):
    """A file of the release is missing or differs from what was built.

    Its size or hash is not the descriptor's, its checksum not the one in
    ``SHA256SUMS``, or a table's CSV and Parquet files do not hold the same rows.
    """


class UnsafeArchiveError(LoadError):
    """A zip that is not unpacked: over :data:`MAX_EXTRACTED_BYTES` or :data:`MAX_ZIP_ENTRIES`,
    or with an entry that is a link, an absolute path, a ``..``, encrypted or compressed unusually."""


class MalformedFileError(LoadError):
    """A file of the release does not hold what its descriptor describes.

    A Parquet file that cannot be read or lacks a column of its schema (or has
    one of another type), a CSV that does not read as its table, a table
    without its CSV or Parquet form.
    """


def is_parquet(resource: Resource) -> bool:
    """Whether ``resource`` is the Parquet form of a table (not a table of its own)."""
    return resource.descriptor.get("format") == PARQUET


def tables(package: Package) -> dict[str, Resource]:
    """The package's tables by name: every resource but the Parquet forms.

    Works on a source package and on a release alike.
    """
    return {r.name: r for r in package.resources if not is_parquet(r)}


def sha256(data: bytes) -> str:
    """The ``sha256:<hex>`` hash of ``data``, as a Data Package resource records it.

    >>> sha256(b"")
    'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


@contextmanager
def release_root(path: str | os.PathLike[str]) -> Iterator[Path]:
    """The folder holding the release's descriptor: ``path`` itself, or a zip unpacked in a temporary folder.

    ``path`` is a release folder, its ``datapackage.json`` or its zip. A zip holds
    the descriptor at its top or in one top-level folder; it is unpacked by :func:`unpack`.
    """
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="intergov-") as tmp:
            yield unpack(path, Path(tmp))
        return
    if path.is_file() and path.name == DESCRIPTOR_NAME:
        path = path.parent
    if not (path / DESCRIPTOR_NAME).is_file():
        raise LoadError(f"no release at {display_path(path)}: expected a release folder, its {DESCRIPTOR_NAME} or zip")
    yield path


def unpack(path: Path, into: Path) -> Path:
    """Extract the zip at ``path``'s descriptor and the files it names into ``into``; the descriptor's folder.

    Nothing else is extracted: entries outside the descriptor's folder, or not
    named by a resource's ``path`` or ``schema``, are left in the zip. The zip is
    refused (:class:`UnsafeArchiveError`) before anything is extracted when it
    has more than :data:`MAX_ZIP_ENTRIES` entries, two entries of one name, or
    an entry that is a symbolic link, an absolute path or a ``..``, encrypted or
    compressed otherwise than stored or deflated; and as soon as the data
    decompressed reaches :data:`MAX_EXTRACTED_BYTES`. An entry longer than the
    ``bytes`` its resource records is a :class:`TamperedError`, found without
    reading further. A damaged zip is a :class:`LoadError`.
    """
    shown = display_path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = _entries(archive, shown)
            folder = _descriptor_folder(entries, shown)
            budget = [MAX_EXTRACTED_BYTES]
            descriptor = _extract(archive, entries[folder + DESCRIPTOR_NAME], into, budget, None, shown)
            for name, recorded in _named_files(descriptor).items():
                info = entries.get(folder + name)
                if info is not None and not info.is_dir() and name != DESCRIPTOR_NAME:
                    _extract(archive, info, into, budget, recorded, shown)
    except _ZIP_ERRORS as e:
        raise LoadError(f"{shown} is a damaged zip ({e}); download the release again") from e
    except OSError as e:
        raise LoadError(f"cannot unpack {shown}: {e}") from e
    return into / folder


def _entries(archive: zipfile.ZipFile, shown: str) -> dict[str, zipfile.ZipInfo]:
    """The zip's entries by name, each checked to be safe to extract (else :class:`UnsafeArchiveError`)."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UnsafeArchiveError(
            f"{shown} holds {len(infos):,} entries, more than a release has (at most {MAX_ZIP_ENTRIES:,}): not unpacked"
        )
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        why = _unsafe_name(name.removesuffix("/")) if info.is_dir() else _unsafe_name(name)
        if why is None and stat.S_ISLNK(info.external_attr >> 16):
            why = "a symbolic link"
        if why is None and info.flag_bits & 0x1:
            why = "encrypted"
        if why is None and info.compress_type not in _COMPRESSIONS:
            why = f"compressed with method {info.compress_type}, which a release never uses"
        if why is None and name in entries:
            why = "the name of an entry before it"
        if why:
            raise UnsafeArchiveError(f"{shown}: the entry {name!r} is {why}: the zip is refused, nothing was unpacked")
        entries[name] = info
    return entries


def _unsafe_name(name: str) -> str | None:
    """Why ``name`` (a zip entry, or a file ``SHA256SUMS`` lists) is not a plain relative path, or ``None``.

    >>> _unsafe_name("intergov-0.1.0/data/figures.csv") is None
    True
    >>> _unsafe_name("intergov-0.1.0/../../etc/passwd")
    'a path with ..'
    """
    if not name or name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return "an absolute path" if name else "an empty name"
    parts = re.split(r"[\\/]", name)
    if ".." in parts:
        return "a path with .."
    if "\x00" in name or "" in parts:
        return "not a plain path"
    return None


def _descriptor_folder(entries: Mapping[str, zipfile.ZipInfo], shown: str) -> str:
    """The folder prefix (``""`` or ``"<top>/"``) of the zip's one descriptor."""
    if DESCRIPTOR_NAME in entries and not entries[DESCRIPTOR_NAME].is_dir():
        return ""
    found = [n for n in entries if n.count("/") == 1 and n.endswith(f"/{DESCRIPTOR_NAME}") and not n.endswith("/")]
    if len(found) != 1:
        raise LoadError(f"{shown} holds no single {DESCRIPTOR_NAME}: is it a release zip?")
    return found[0].removesuffix(DESCRIPTOR_NAME)


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, into: Path, budget: list[int], recorded: int | None, shown: str
) -> bytes:
    """Write one entry under ``into``, counting its decompressed bytes against ``budget``; return its data.

    ``recorded`` is the size its resource records: an entry longer than that is
    refused as soon as the excess is read.
    """
    if info.file_size > budget[0]:
        raise _too_large(shown, info.filename)
    target = into / info.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    data = bytearray()
    with archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            data += chunk
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _too_large(shown, info.filename)
            if recorded is not None and len(data) > recorded:
                raise TamperedError(
                    f"{info.filename} in {shown} holds more than the {recorded} bytes its datapackage.json records: "
                    "it was changed after the release was built; download the release again"
                )
    with open(target, "xb") as out:
        out.write(data)
    return bytes(data)


def _too_large(shown: str, name: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(
        f"{shown}: unpacking {name} would take more than {MAX_EXTRACTED_BYTES:,} bytes "
        "(intergov.reader.MAX_EXTRACTED_BYTES), more than a release holds: the zip is refused, nothing is kept"
    )


def _named_files(descriptor: bytes) -> dict[str, int | None]:
    """The files a descriptor's resources name (``path``, and ``schema`` when a path), with the ``bytes`` recorded.

    A descriptor that is not JSON names none: :func:`open_package` says what is wrong with it.
    """
    try:
        parsed = json.loads(descriptor.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}
    entries = parsed.get("resources") if isinstance(parsed, dict) else None
    named: dict[str, int | None] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        size = entry.get("bytes")
        if isinstance(entry.get("path"), str):
            named[entry["path"]] = size if isinstance(size, int) and not isinstance(size, bool) else None
        if isinstance(entry.get("schema"), str):
            named.setdefault(entry["schema"], None)
    return named


def open_package(path: str | os.PathLike[str], *, release: bool = True) -> Package:
    """Load the package at ``path``, refuse it when its descriptor has findings, and verify its files.

    With ``release`` (a built release, as :func:`load` reads): every resource
    must record its ``bytes`` and ``hash`` and match them; a missing file is a
    :class:`TamperedError`. Without (a source package or a release, as
    ``intergov diff`` compares): the resources that record a hash are verified.

    Raises :class:`TamperedError` for a missing or altered file, :class:`LoadError`
    for a descriptor that cannot be used, :class:`intergov.package.PackageError`
    when there is no descriptor at ``path``.
    """
    descriptor = locate(path)
    package, findings = load_package(descriptor)
    findings = [f for f in findings if f.rule not in ("hash-count", "byte-count")]  # verify() names the change
    missing = [f for f in findings if f.rule == "missing-file"]
    if release and missing:
        raise TamperedError(f"{missing[0].message}: the release is incomplete; download it again")
    if package is None or findings:
        problems = "; ".join(f"{f.path}:{f.line or 1}: {f.message}" for f in findings[:3])
        if release:
            raise LoadError(f"{display_path(descriptor)} is not a usable release: {problems}")
        raise LoadError(f"{display_path(descriptor)} is not a usable package: {problems} (run intergov validate)")
    for resource in package.resources:
        if release or "hash" in resource.descriptor:
            verify(resource)
    return package


def verify(resource: Resource) -> None:
    """Check one resource's file against the ``bytes`` and ``hash`` its descriptor records.

    Raises :class:`TamperedError` when they differ, :class:`LoadError` when none are recorded.
    """
    expected_hash = resource.descriptor.get("hash")
    expected_bytes = resource.descriptor.get("bytes")
    if not isinstance(expected_hash, str) or not expected_hash.startswith("sha256:"):
        raise LoadError(f"{resource.path}: the descriptor records no sha256 hash: this is not a built release")
    data = resource.file.read_bytes()
    actual = sha256(data)
    if actual != expected_hash or len(data) != expected_bytes:
        raise TamperedError(
            f"{resource.path} does not match the release: datapackage.json records {expected_bytes} bytes "
            f"with hash {expected_hash}, the file has {len(data)} bytes with hash {actual}. "
            "It was changed after the release was built; download the release again"
        )


def verify_sums(path: str | os.PathLike[str]) -> int:
    """Check the release at ``path`` against the ``SHA256SUMS`` beside it, as ``intergov build`` writes it.

    For a zip, the sums file in the zip's folder and its line for the zip; for
    a release folder (or its descriptor), the sums file in the folder's parent
    and its lines for the folder's files, each of which must be there. Lines
    for other versions are not read. Returns how many files were checked (0 when
    there is no sums file, or it does not list this release).

    Raises :class:`TamperedError` for a file that differs or is missing, and
    :class:`LoadError` for a sums file too large to be one or naming a file
    outside the release.
    """
    path = Path(os.path.abspath(path))
    if path.is_file() and path.name == DESCRIPTOR_NAME:
        path = path.parent
    sums = path.parent / SUMS
    if not path.exists() or not sums.is_file():
        return 0
    shown = display_path(sums)
    if sums.stat().st_size > MAX_SUMS_BYTES:
        raise LoadError(f"{shown} is larger than a checksum list ({MAX_SUMS_BYTES:,} bytes at most): not read")
    prefix = path.name.encode() + (b"" if path.is_file() else b"/")
    checked = 0
    for number, line in enumerate(sums.read_bytes().splitlines(), start=1):
        match = _SUMS_LINE.fullmatch(line)
        if not match or not (match.group(2) == prefix or (prefix.endswith(b"/") and match[2].startswith(prefix))):
            continue
        name = os.fsdecode(match.group(2))
        why = _unsafe_name(name)
        if why:
            raise LoadError(f"{shown}:{number}: names {name!r}, {why}: not a checksum list to trust")
        file = path.parent / name
        if not file.is_file():
            raise TamperedError(f"{display_path(file)} is listed in {shown} but missing: download the release again")
        with open(file, "rb") as handle:
            actual = hashlib.file_digest(handle, "sha256").hexdigest()
        if actual != match.group(1).decode().lower():
            raise TamperedError(
                f"{display_path(file)} does not match {shown} (line {number}): it was changed after the release "
                "was built; download the release again"
            )
        checked += 1
    return checked


def parquet_table(resource: Resource) -> pa.Table:
    """The Parquet file of ``resource``, checked to have exactly its schema's columns, with their Parquet types.

    Raises :class:`MalformedFileError`, naming the file and the column, otherwise.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(resource.file)
    except (pa.ArrowException, OSError, ValueError) as e:
        message = f"{resource.path} is not a readable Parquet file ({e}); download the release again"
        raise MalformedFileError(message) from e
    columns = table.schema.names
    for position, field in enumerate(ts.fields(resource.schema)):
        name, expected = field["name"], ts.arrow_type(field)
        if name not in columns:
            raise MalformedFileError(
                f"{resource.path} has no column {name!r} (field {position + 1} of its schema): "
                "the file does not hold the table its descriptor describes; download the release again"
            )
        actual = table.schema.field(columns.index(name)).type
        if actual != expected:
            raise MalformedFileError(
                f"{resource.path}: column {name!r} is {actual}, where its schema's {field.get('type', 'string')} "
                f"field is published as {expected}; download the release again"
            )
    if columns != ts.field_names(resource.schema):
        raise MalformedFileError(
            f"{resource.path} has the columns {columns}, its schema the fields {ts.field_names(resource.schema)}; "
            "download the release again"
        )
    return table


def typed_frame(table: pa.Table, schema: Mapping[str, Any]) -> pd.DataFrame:
    """A checked Parquet table (:func:`parquet_table`) as a frame, dtypes by :func:`intergov.schema.pandas_dtype`.

    Exact decimals become ``Float64``; the Parquet file keeps them exact.
    """
    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}
    frame = table.to_pandas(types_mapper=nullable.get)
    for field in ts.fields(schema):
        frame[field["name"]] = frame[field["name"]].astype(ts.pandas_dtype(field))
    return frame


def csv_columns(resource: Resource) -> tuple[dict[str, list[str]], list[int]]:
    """The cells of ``resource``'s CSV file by field, and the physical line of each row.

    Raises :class:`MalformedFileError` for a file that is not UTF-8, has a
    misplaced quote, a header that is not the schema's fields or a row of
    another length.
    """
    names = ts.field_names(resource.schema)
    try:
        found = list(records(resource.file.read_bytes().decode("utf-8"), strict=True))
    except UnicodeDecodeError as e:
        raise MalformedFileError(f"{resource.path} is not UTF-8 text ({e.reason}); download the release again") from e
    except MalformedRecord as e:
        raise MalformedFileError(f"{resource.path}:{e.line}: not a CSV record ({e}); download the release again") from e
    if not found or found[0][1] != names:
        header = found[0][1] if found else []
        raise MalformedFileError(
            f"{resource.path}:1: the header is {header}, its schema's fields are {names}; download the release again"
        )
    for line, record in found[1:]:
        if len(record) != len(names):
            raise MalformedFileError(
                f"{resource.path}:{line}: {len(record)} cells where the header has {len(names)}; "
                "download the release again"
            )
    cells = {name: [record[i] for _, record in found[1:]] for i, name in enumerate(names)}
    return cells, [line for line, _ in found[1:]]


def arrow_column(cells: list[str], field: Mapping[str, Any], missing: tuple[str, ...]) -> pa.Array:
    """A column of CSV cells as the Parquet column of a release holds it (:func:`intergov.schema.arrow_type`).

    Numbers are read exactly. A missing value, and a cell that does not read as its type, is null.
    """
    kind = ts.arrow_type(field)
    if field.get("type") == "number":
        return _decimals(cells, field, missing, kind)
    typed = ts.cast_column(pd.Series(cells, dtype="string"), field, missing)
    return pa.array(typed, from_pandas=True).cast(kind)


def _decimals(cells: list[str], field: Mapping[str, Any], missing: tuple[str, ...], kind: pa.DataType) -> pa.Array:
    """Number cells as exact decimals: Arrow's exact parse for the whole column, or, when a cell is not in its
    plain form, :func:`intergov.schema.exact_decimal` cell by cell (the two agree wherever Arrow reads a cell)."""
    import pyarrow.compute as pc

    text = pa.array(cells, pa.string())
    plain = text
    if field.get("groupChar"):
        plain = pc.replace_substring(plain, field["groupChar"], "")
    if field.get("decimalChar", ".") != ".":
        plain = pc.replace_substring(plain, field["decimalChar"], ".")
    absent = pc.is_in(text, value_set=pa.array(missing, pa.string()))
    try:
        return pc.if_else(absent, pa.scalar(None, pa.string()), plain).cast(kind)
    except pa.ArrowInvalid:
        return pa.array([None if c in missing else _exact(c, field) for c in cells], type=kind)


def _exact(cell: str, field: Mapping[str, Any]) -> Any:
    try:
        return ts.exact_decimal(cell, field)
    except ValueError:
        return None


def same_rows(csv: Resource, parquet: Resource, table: pa.Table) -> None:
    """Check that the CSV form of a table holds the same typed rows as its Parquet form ``table`` (from ``parquet``).

    A CSV cell that is not a missing value must read as its type. Raises
    :class:`TamperedError` naming the first line and field that differ.
    """
    cells, lines = csv_columns(csv)
    if table.num_rows != len(lines):
        raise TamperedError(
            f"{csv.path} holds {len(lines)} rows and {parquet.path} {table.num_rows}: one was changed after the "
            "release was built; download the release again"
        )
    for field in ts.fields(csv.schema):
        name, missing = field["name"], ts.missing_values(csv.schema, field)
        column = table.column(name)
        try:
            expected = arrow_column(cells[name], field, missing)
        except (ValueError, TypeError, pa.ArrowException):  # a value out of the type's range
            expected = pa.nulls(len(lines), column.type)
        unread = expected.null_count != sum(1 for cell in cells[name] if cell in missing)
        if not unread and column.equals(pa.chunked_array([expected], type=column.type)):
            continue
        pairs = enumerate(zip(cells[name], expected.to_pylist(), column.to_pylist(), strict=True))
        row, published = next((i, b) for i, (c, a, b) in pairs if a != b or (a is None and c not in missing))
        raise TamperedError(
            f"{csv.path}:{lines[row]} and {parquet.path} differ in field {name!r}: the CSV has "
            f"{cells[name][row]!r}, the Parquet file {published!r}. One was changed after the release was "
            "built; download the release again"
        )


def load(path: str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """One typed pandas frame per table of the release at ``path`` (folder, descriptor or zip).

    Before anything is read, the release is checked against the
    ``SHA256SUMS`` beside it (:func:`verify_sums`) and every file against its
    ``bytes`` and hash; then each Parquet file's columns and types
    (:func:`parquet_table`) and each table's CSV against its Parquet rows
    (:func:`same_rows`). Frames are keyed by table name, in the descriptor's
    order, with the columns and dtypes of the table's schema.

    Every error is a :class:`LoadError`: :class:`TamperedError` (a missing or
    altered file), :class:`MalformedFileError`, :class:`UnsafeArchiveError`.

    >>> tables = load("dist/intergov-0.1.0")  # doctest: +SKIP
    >>> tables["contracts"]["contract_count"].dtype  # doctest: +SKIP
    Int64Dtype()
    """
    verify_sums(path)
    with release_root(path) as root:
        package = open_package(root, release=True)
        forms = {r.name: r for r in package.resources if is_parquet(r)}
        frames = {}
        for name, csv in tables(package).items():
            parquet = forms.pop(f"{name}{PARQUET_SUFFIX}", None)
            if parquet is None or parquet.schema != csv.schema:
                what = "no Parquet form" if parquet is None else "a Parquet form with another schema"
                raise MalformedFileError(f"table {name!r} of the release has {what}; download the release again")
            table = parquet_table(parquet)
            same_rows(csv, parquet, table)
            frames[name] = typed_frame(table, parquet.schema)
        if forms:
            raise MalformedFileError(
                f"{next(iter(forms.values())).path} is the Parquet form of no table of the release; "
                "download the release again"
            )
        return frames
