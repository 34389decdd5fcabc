"""Build a release: validate, then write ``dist/<name>-<version>/``, its zip and ``SHA256SUMS``.

Nothing invalid is published: the package is validated first, and a blocking
finding stops the build before anything is written. Nor is anything published
that is not in canonical form: a table that ``intergov fmt --check`` would list
stops the build too (run ``intergov fmt``), so the published CSV is the source
file, byte for byte. The package's ``name`` names the release folder and each
resource's name its files, so they must be plain names
(:data:`intergov.paths.NAME`), and every output must land inside ``dist/``;
``CHANGELOG.md`` and ``LICENSE`` must be the project's own files, not links
leading elsewhere (:mod:`intergov.paths`: validation refuses the same names,
and build checks them again).
The release holds

- ``datapackage.json``: Data Package v2, the version, ``created`` (see
  :func:`intergov.release.release_time`), each table as a CSV and a Parquet
  resource (see :mod:`intergov.reader`) with ``bytes``, ``hash`` and its Table
  Schema inline;
- ``data/<table>.csv``: the source CSV, canonical (:func:`intergov.fmt.format_package`): rows sorted by primary key;
- ``data/<table>.parquet``: the same rows in the same order, typed by :func:`intergov.schema.arrow_schema`;
- ``README.md`` (the data dictionary), ``CHANGELOG.md`` and ``LICENSE``.

Every file is made in memory first, so the build is byte-for-byte
reproducible (fixed order, fixed zip timestamps) and can be compared with a
version already in ``dist/``: the same content is left as it is, different
content is refused (a published version is never overwritten). New files are
written to a temporary folder inside ``dist/`` and renamed into place, while the
build holds a lock on the ``dist/`` folder itself (``flock``, so no lock file is
left among the outputs): builds into one ``dist/`` take turns, so ``SHA256SUMS``
keeps every version's lines, and a staging folder left by a killed build is
removed by the next one.

>>> built = build("datapackage/datapackage.json", "dist")  # doctest: +SKIP
>>> built.folder  # doctest: +SKIP
PosixPath('dist/intergov-0.1.0')
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from intergov import findings as model
from intergov import schema as ts
from intergov.dictionary import readme
from intergov.engine import Table
from intergov.fmt import format_package
from intergov.package import Package, display_path
from intergov.paths import UnsafePath, dist_entry, name_problem, project_file
from intergov.reader import FILE_PROPERTIES, PARQUET, PARQUET_MEDIATYPE, PARQUET_SUFFIX, sha256
from intergov.release import CHANGELOG, LICENSE, Version, has_entry, parse_version, project_folder, release_time
from intergov.report.text import line as finding_line
from intergov.rules.claims import CONFLICT
from intergov.rules.conversions import DOUBT
from intergov.validate import Result, validate

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
SUMS = "SHA256SUMS"
#: The prefix of the staging folders a build makes in ``dist/`` (any left while no build holds the lock are stale).
STAGING = ".intergov-staging-"
#: Zip entry time when the release has no ``created`` (the earliest a zip can record).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """The release cannot be built (exit code 1)."""


class InvalidPackage(BuildError):
    """The package has blocking findings; ``result`` holds those selected for a renderer.

    ``hidden`` counts the errors that ``select``/``ignore`` left out of ``result``:
    they block the build all the same.
    """

    def __init__(self, result: Result, hidden: int = 0) -> None:
        message = f"{result.path}: not built: the package has blocking findings"
        if hidden:
            message += f" (errors left out by select/ignore: {hidden}; an error always blocks a build)"
        super().__init__(message)
        self.result = result
        self.hidden = hidden


class NotCanonical(BuildError):
    """A table is not in canonical form (``intergov fmt --check`` would fail); ``files`` says which and why."""

    def __init__(self, files: Sequence[str]) -> None:
        super().__init__(
            "not built: a release publishes the tables exactly as committed, and these are not in canonical form; "
            "run `intergov fmt` (make fmt), review and commit the result:\n" + "\n".join(f"  {f}" for f in files)
        )
        self.files = tuple(files)


class VersionExists(BuildError):
    """The version is already in ``dist/`` with different content."""


class PublishError(BuildError):
    """The release could not be written into ``dist/`` (an :class:`OSError`): a usage or environment problem."""


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


def build(
    path: str | os.PathLike[str],
    dist: str | os.PathLike[str] = "dist",
    *,
    strict: bool = False,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> Built:
    """Validate the package at ``path``, then publish its release into ``dist``.

    ``select`` and ``ignore`` choose the findings kept in the result (as
    :func:`intergov.findings.select` does for ``intergov validate``), and so,
    with ``strict``, the warnings that block; an error blocks the build even
    when they leave it out.

    Raises :class:`InvalidPackage` (blocking findings, including numbers that
    cannot be exact in Parquet: rule ``number-precision``), :class:`NotCanonical`
    (run ``intergov fmt``), :class:`VersionExists`, :class:`PublishError` (``dist``
    cannot be written, or an entry of it resolves elsewhere), :class:`BuildError`
    (a missing CHANGELOG entry or LICENSE, a package name that cannot name a
    folder), :class:`intergov.paths.UnsafePath` (a resource name that is not a
    plain name, a CHANGELOG or LICENSE linked outside the repository),
    :class:`intergov.package.PackageError` (no package) and
    :class:`intergov.release.ReleaseError` (a version that is not semver, a
    shallow clone without ``SOURCE_DATE_EPOCH``).
    """
    result = validate(path, strict=strict)
    every = result.findings
    result.findings = model.select(every, select=select, ignore=ignore)
    kept = {id(f) for f in result.findings}
    hidden = sum(1 for f in every if f.severity == model.ERROR and id(f) not in kept)
    if not result.valid or hidden or result.package is None:
        raise InvalidPackage(result, hidden)
    package = result.package
    version = parse_version(package.version)
    stem = release_stem(package, version)
    sources = _canonical_files(package)
    changelog, licence = _project_files(package, version)
    created = release_time([package.descriptor_path, *_inputs(package), changelog, licence])
    files: dict[str, bytes] = {}
    resources: list[dict[str, Any]] = []
    frames: dict[str, pd.DataFrame] = {}
    for resource in package.resources:
        problem = name_problem(resource.name)  # validation refuses it too: never a file outside data/
        if problem:
            raise UnsafePath(f"not built: resource name {problem}; it names the release's files")
        name, table = resource.name, result.tables[resource.name]
        text, typed = table.text.sort_index(), table.typed.sort_index()  # file order: canonical, so sorted by key
        frames[name] = text
        files[f"data/{name}.csv"] = sources[name]
        files[f"data/{name}.parquet"] = parquet(table, text, typed)
        resources += _resources(table, files[f"data/{name}.csv"], files[f"data/{name}.parquet"])
    descriptor = _descriptor(package, str(version), created, resources)
    files["datapackage.json"] = (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    conflicts = [f for f in every if f.rule in (CONFLICT, DOUBT)]
    files["README.md"] = readme(descriptor, frames, conflicts).encode("utf-8")
    files["CHANGELOG.md"] = changelog.read_bytes()
    files["LICENSE"] = licence.read_bytes()
    archive = zip_bytes(stem, files, created)
    folder, zipped, sums, reused = _publish(Path(dist), stem, files, archive)
    rows = sum(len(f) for f in frames.values())
    return Built(str(version), folder, zipped, sums, tuple(sorted(files)), len(frames), rows, reused, result)


def release_stem(package: Package, version: Version) -> str:
    """``<name>-<version>``: the name of the release folder and zip.

    Raises :class:`BuildError` when the package's ``name`` is not a plain name
    (:data:`intergov.paths.NAME`): a ``/`` or ``..`` in it would put the release outside ``dist/``.
    """
    name = package.descriptor.get("name", "data")
    problem = name_problem(name)
    if problem:
        raise BuildError(
            f"{display_path(package.descriptor_path)}: the package name cannot name a release folder: {problem}"
        )
    return f"{name}-{version}"


def _canonical_files(package: Package) -> dict[str, bytes]:
    """Each table's CSV bytes by resource name, as committed; raise :class:`NotCanonical` unless all are canonical.

    The check is ``intergov fmt --check``'s (:func:`intergov.fmt.format_package`).
    """
    formatted = format_package(package)
    problems = []
    for table in formatted:
        if table.problem is not None:
            problems.append(f"{finding_line(table.problem)} [intergov fmt cannot rewrite it: fix this first]")
        elif table.changes:
            problems.append(f"{table.path}: not canonical: {', '.join(table.reasons)}")
    if problems:
        raise NotCanonical(problems)
    return {resource.name: table.original for resource, table in zip(package.resources, formatted, strict=True)}


def _project_files(package: Package, version: Version) -> tuple[Path, Path]:
    """``CHANGELOG.md`` (with an entry for ``version``) and ``LICENSE``: the project's own, never links elsewhere."""
    project = project_folder(package.descriptor_path)
    changelog, licence = project_file(project, CHANGELOG), project_file(project, LICENSE)
    for file in (changelog, licence):
        if not file.is_file():
            raise BuildError(f"no {file.name} at {display_path(file)}: a release ships it")
    if not has_entry(changelog.read_text(encoding="utf-8"), version):
        raise BuildError(
            f"{display_path(changelog)} has no entry for {version}: run `intergov release` (make release) first"
        )
    return changelog, licence


def _inputs(package: Package) -> list[Path]:
    """The data and schema files the release is made from."""
    schemas = [r.descriptor["schema"] for r in package.resources]
    return [r.file for r in package.resources] + [package.root / s for s in schemas if isinstance(s, str)]


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
        _decimals(text[f["name"]], f, ts.missing_values(schema, f))
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
    """The files of a release folder by relative path (a link is not followed: it makes the tree differ)."""
    files = sorted(folder.rglob("*"))
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files if p.is_file() and not p.is_symlink()}


def _publish(dist: Path, stem: str, files: Mapping[str, bytes], archive: bytes) -> tuple[Path, Path, Path, bool]:
    """Put the release folder, zip and sums into ``dist``, unless the same version is there with other content.

    Raises :class:`PublishError` when ``dist`` cannot be written (the
    :class:`OSError` says why), or when the folder, zip or sums would resolve
    outside ``dist`` (a ``..`` in ``stem``, a link).
    """
    try:
        dist.mkdir(parents=True, exist_ok=True)
        with _locked(dist):
            targets = dist_entry(dist, stem), dist_entry(dist, f"{stem}.zip"), dist_entry(dist, SUMS)
            return _write(dist, stem, files, archive, *targets)
    except UnsafePath as e:
        raise PublishError(f"not built: {e}") from e
    except OSError as e:
        raise PublishError(f"cannot publish {stem} into {display_path(dist)}: {e}") from e


@contextmanager
def _locked(dist: Path) -> Iterator[None]:
    """Hold the lock of ``dist`` (waiting for another build to finish there), then remove stale staging folders.

    While a build holds the lock no other one writes in ``dist``, so any
    staging folder found then was left by a build that was killed.
    """
    handle = os.open(dist, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        for stale in dist.glob(f"{STAGING}*"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _write(
    dist: Path, stem: str, files: Mapping[str, bytes], archive: bytes, folder: Path, zipped: Path, sums: Path
) -> tuple[Path, Path, Path, bool]:
    """:func:`_publish`'s writing, under the lock: compare with what is there, stage in ``dist``, rename into place."""
    reused = folder.exists() or zipped.exists()
    if (folder.exists() and _tree(folder) != dict(files)) or (zipped.exists() and zipped.read_bytes() != archive):
        raise VersionExists(
            f"{display_path(folder)} is already built with different content, and a published version is never "
            "overwritten: bump the version in datapackage.json (`intergov release check` says how far)"
        )
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{stem}.", dir=dist))
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
