"""Build a release: validate, then write ``dist/<name>-<version>/``, its zip and ``SHA256SUMS``.

Nothing invalid is published: the package is validated first, and a blocking
finding stops the build before anything is written. The release holds

- ``datapackage.json``: Data Package v2, the version, ``created`` (see
  :func:`intergov.release.release_time`), each table as a CSV and a Parquet
  resource (see :mod:`intergov.load`) with ``bytes``, ``hash`` and its Table
  Schema inline;
- ``data/<table>.csv``: canonical CSV (:func:`intergov.fmt.render_csv`), rows sorted by primary key;
- ``data/<table>.parquet``: typed by :func:`intergov.schema.arrow_schema`;
- ``README.md`` (the data dictionary), ``CHANGELOG.md`` and ``LICENSE``.

Every file is made in memory first, so the build is byte-for-byte
reproducible (fixed order, fixed zip timestamps) and can be compared with a
version already in ``dist/``: the same content is left as it is, different
content is refused (a published version is never overwritten). New files are
written to a temporary folder inside ``dist/`` and renamed into place.

>>> built = build("datapackage/datapackage.json", "dist")  # doctest: +SKIP
>>> built.folder  # doctest: +SKIP
PosixPath('dist/intergov-0.1.0')
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from intergov import schema as ts
from intergov.dictionary import readme
from intergov.engine import Table
from intergov.fmt import render_csv, sort_key
from intergov.load import FILE_PROPERTIES, PARQUET, PARQUET_MEDIATYPE, PARQUET_SUFFIX, sha256
from intergov.package import Package, display_path
from intergov.release import CHANGELOG, LICENSE, has_entry, parse_version, release_time
from intergov.validate import Result, validate

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
SUMS = "SHA256SUMS"
#: Rule id of a number that cannot be published exactly.
#: Zip entry time when the release has no ``created`` (the earliest a zip can record).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """The release cannot be built (exit code 1)."""


class InvalidPackage(BuildError):
    """The package has blocking findings; ``result`` holds them for a renderer."""

    def __init__(self, result: Result) -> None:
        super().__init__(f"{result.path}: not built: the package has blocking findings")
        self.result = result


class VersionExists(BuildError):
    """The version is already in ``dist/`` with different content."""


@dataclass(frozen=True)
class Built:
    """A built (or already present, identical) release, and the validation result it passed."""

    version: str
    folder: Path
    zip: Path
    sums: Path
    files: tuple[str, ...]
    tables: int
    rows: int
    reused: bool
    result: Result = dataclasses.field(repr=False)

    def __str__(self) -> str:
        what = "already built, identical" if self.reused else "built"
        return (
            f"{what}: {display_path(self.folder)} ({self.tables} tables, {self.rows} rows, {len(self.files)} files), "
            f"{display_path(self.zip)}, {display_path(self.sums)}"
        )


def build(path: str | os.PathLike[str], dist: str | os.PathLike[str] = "dist", *, strict: bool = False) -> Built:
    """Validate the package at ``path``, then publish its release into ``dist``.

    Raises :class:`InvalidPackage` (blocking findings, including numbers that
    cannot be exact in Parquet: rule ``number-precision``), :class:`VersionExists`, :class:`BuildError`
    (a missing CHANGELOG entry or LICENSE), :class:`intergov.package.PackageError`
    (no package) and :class:`intergov.release.ReleaseError` (a version that is not semver).
    """
    result = validate(path, strict=strict)
    if not result.valid or result.package is None:
        raise InvalidPackage(result)
    package = result.package
    version = parse_version(package.version)
    changelog, licence = _project_files(package, str(version))
    created = release_time([package.descriptor_path, *_inputs(package), changelog, licence])
    files: dict[str, bytes] = {}
    resources: list[dict[str, Any]] = []
    frames: dict[str, pd.DataFrame] = {}
    for resource in package.resources:
        name, table = resource.name, result.tables[resource.name]
        text, typed = published_rows(table)
        frames[name] = text
        files[f"data/{name}.csv"] = render_csv([list(text.columns), *text.itertuples(index=False)]).encode("utf-8")
        files[f"data/{name}.parquet"] = parquet(table, text, typed)
        resources += _resources(table, files[f"data/{name}.csv"], files[f"data/{name}.parquet"])
    descriptor = _descriptor(package, str(version), created, resources)
    files["datapackage.json"] = (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files["README.md"] = readme(descriptor, frames).encode("utf-8")
    files["CHANGELOG.md"] = changelog.read_bytes()
    files["LICENSE"] = licence.read_bytes()
    stem = f"{package.descriptor.get('name', 'data')}-{version}"
    archive = zip_bytes(stem, files, created)
    folder, zipped, sums, reused = _publish(Path(dist), stem, files, archive)
    rows = sum(len(f) for f in frames.values())
    return Built(str(version), folder, zipped, sums, tuple(sorted(files)), len(frames), rows, reused, result)


def _project_files(package: Package, version: str) -> tuple[Path, Path]:
    """``CHANGELOG.md`` (with an entry for ``version``) and ``LICENSE`` beside the package folder."""
    project = package.root.parent
    changelog, licence = project / CHANGELOG, project / LICENSE
    for file in (changelog, licence):
        if not file.is_file():
            raise BuildError(f"no {file.name} at {display_path(file)}: a release ships it")
    if not has_entry(changelog.read_text(encoding="utf-8"), parse_version(version)):
        raise BuildError(
            f"{display_path(changelog)} has no entry for {version}: run `intergov release` (make release) first"
        )
    return changelog, licence


def _inputs(package: Package) -> list[Path]:
    """The data and schema files the release is made from."""
    schemas = [r.descriptor["schema"] for r in package.resources]
    return [r.file for r in package.resources] + [package.root / s for s in schemas if isinstance(s, str)]


def published_rows(table: Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table's text and typed frames in canonical order: :func:`intergov.fmt.sort_key`, as ``intergov fmt``."""
    key = sort_key(table.resource.schema, list(table.text.columns))
    records = {line: list(cells) for line, *cells in table.text.itertuples(name=None)}
    order = sorted(records, key=lambda line: key(records[line]))
    return table.text.loc[order], table.typed.loc[order]


def _decimals(text: pd.Series, field: Mapping[str, Any], missing: tuple[str, ...]) -> pa.Array:
    """A ``number`` column as exact decimals (validation has checked that each is exact: rule ``number-precision``)."""
    values = [None if cell in missing else ts.exact_decimal(cell, field) for cell in text]
    return pa.array(values, type=ts.arrow_type(field))


def parquet(table: Table, text: pd.DataFrame, typed: pd.DataFrame) -> bytes:
    """The table as Parquet bytes, typed by :func:`intergov.schema.arrow_schema`.

    Numbers are read exactly from the text cells; every other column comes from the typed frame.
    """
    schema = table.resource.schema
    arrays = [
        _decimals(text[f["name"]], f, ts.missing_values(schema))
        if f.get("type") == "number"
        else pa.array(typed[f["name"]], from_pandas=True).cast(ts.arrow_type(f))
        for f in ts.fields(schema)
    ]
    title = table.resource.descriptor.get("title", "")
    arrow = pa.Table.from_arrays(arrays, schema=ts.arrow_schema(schema, name=table.resource.name, title=title))
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _resources(table: Table, csv_data: bytes, parquet_data: bytes) -> list[dict[str, Any]]:
    """The CSV resource and the Parquet resource of a table."""
    source = table.resource.descriptor
    name = table.resource.name
    described = {k: v for k, v in source.items() if k not in FILE_PROPERTIES}
    title = source.get("title", name)
    as_csv = {
        "name": name,
        "type": "table",
        **described,
        "path": f"data/{name}.csv",
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(csv_data),
        "hash": sha256(csv_data),
        "schema": dict(table.resource.schema),
    }
    as_parquet = {
        "name": f"{name}{PARQUET_SUFFIX}",
        "type": "file",
        "title": f"{title} (Parquet)",
        "description": f"The rows of data/{name}.csv, typed by the same Table Schema, as Parquet.",
        "path": f"data/{name}.parquet",
        "scheme": "file",
        "format": PARQUET,
        "mediatype": PARQUET_MEDIATYPE,
        "bytes": len(parquet_data),
        "hash": sha256(parquet_data),
        "schema": dict(table.resource.schema),
    }
    return [as_csv, as_parquet]


def _descriptor(package: Package, version: str, created: datetime | None, resources: list) -> dict[str, Any]:
    """The release descriptor: the source's properties in order, the version, ``created``, the resources."""
    descriptor: dict[str, Any] = {"$schema": PROFILE}
    for key, value in package.descriptor.items():
        if key in ("$schema", "created", "resources"):
            continue
        descriptor[key] = value
        if key == "version" and created:
            descriptor["created"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    descriptor["resources"] = resources
    return descriptor


def zip_bytes(stem: str, files: Mapping[str, bytes], created: datetime | None) -> bytes:
    """A reproducible zip of ``files`` under the folder ``stem``: sorted, fixed times and permissions."""
    stamp = created.timetuple()[:6] if created and created.year >= ZIP_EPOCH[0] else ZIP_EPOCH
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{stem}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the permissions below are read
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _publish(dist: Path, stem: str, files: Mapping[str, bytes], archive: bytes) -> tuple[Path, Path, Path, bool]:
    """Put the release folder, zip and sums into ``dist``, unless the same version is there with other content."""
    folder, zipped, sums = dist / stem, dist / f"{stem}.zip", dist / SUMS
    reused = folder.exists() or zipped.exists()
    if (folder.exists() and _tree(folder) != dict(files)) or (zipped.exists() and zipped.read_bytes() != archive):
        raise VersionExists(
            f"{display_path(folder)} is already built with different content, and a published version is never "
            "overwritten: bump the version in datapackage.json (`intergov release check` says how far)"
        )
    dist.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{stem}.", dir=dist))
    try:
        if not folder.exists():
            for name, data in files.items():
                target = staging / stem / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            os.rename(staging / stem, folder)
        if not zipped.exists():
            (staging / zipped.name).write_bytes(archive)
            os.rename(staging / zipped.name, zipped)
        listed = {f"{stem}/{name}": data for name, data in files.items()} | {zipped.name: archive}
        (staging / SUMS).write_text(_sums(sums, stem, listed), encoding="utf-8", newline="\n")
        os.replace(staging / SUMS, sums)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder, zipped, sums, reused


def _sums(sums: Path, stem: str, listed: Mapping[str, bytes]) -> str:
    """``SHA256SUMS`` with this version's lines replaced and other versions' lines kept, sorted by path."""
    digests = {}
    if sums.exists():
        for line in sums.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if name and not (name == f"{stem}.zip" or name.startswith(f"{stem}/")):
                digests[name] = digest
    digests.update({name: hashlib.sha256(data).hexdigest() for name, data in listed.items()})
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))
