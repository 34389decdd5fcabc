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
:func:`open_package` is the one load-refuse-verify step, for a release
(:func:`load`) and for any package being compared (:mod:`intergov.release`).

``from intergov import load`` gives :func:`load` (a lazy export of the package).

>>> from intergov import load
>>> tables = load("dist/intergov-0.1.0.zip")  # doctest: +SKIP
>>> tables["sources"].dtypes["published_on"]  # doctest: +SKIP
dtype('<M8[s]')
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from intergov import schema as ts
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


class LoadError(Exception):
    """The path does not hold a readable release (or package, for comparing)."""


class TamperedError(LoadError):
    """A file of the release is missing or differs from the size and hash its descriptor records."""


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
    the descriptor at its top or in one top-level folder.
    """
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="intergov-") as tmp, zipfile.ZipFile(path) as archive:
            archive.extractall(tmp)  # zipfile drops absolute and ".." parts of member names
            found = sorted(Path(tmp).glob(DESCRIPTOR_NAME)) or sorted(Path(tmp).glob(f"*/{DESCRIPTOR_NAME}"))
            if len(found) != 1:
                raise LoadError(f"{display_path(path)} holds no single {DESCRIPTOR_NAME}: is it a release zip?")
            yield found[0].parent
        return
    if path.is_file() and path.name == DESCRIPTOR_NAME:
        path = path.parent
    if not (path / DESCRIPTOR_NAME).is_file():
        raise LoadError(f"no release at {display_path(path)}: expected a release folder, its {DESCRIPTOR_NAME} or zip")
    yield path


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


def typed_frame(file: Path, schema: Mapping[str, Any]) -> pd.DataFrame:
    """Read a release's Parquet file into a frame with the pandas dtypes of :func:`intergov.schema.pandas_dtype`.

    Exact decimals become ``Float64``; the Parquet file keeps them exact.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}
    frame = pq.read_table(file).to_pandas(types_mapper=nullable.get)
    for field in ts.fields(schema):
        frame[field["name"]] = frame[field["name"]].astype(ts.pandas_dtype(field))
    return frame


def load(path: str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """One typed pandas frame per table of the release at ``path`` (folder, descriptor or zip).

    Every file is verified against its hash first; a missing or altered file
    raises :class:`TamperedError`. Frames are keyed by table name, in the
    descriptor's order, with the columns and dtypes of the table's schema.

    >>> tables = load("dist/intergov-0.1.0")  # doctest: +SKIP
    >>> tables["contracts"]["contract_count"].dtype  # doctest: +SKIP
    Int64Dtype()
    """
    with release_root(path) as root:
        package = open_package(root, release=True)
        return {
            r.name.removesuffix(PARQUET_SUFFIX): typed_frame(r.file, r.schema)
            for r in package.resources
            if is_parquet(r)
        }
