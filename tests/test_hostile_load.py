"""Hostile releases: ``intergov.load`` and ``intergov diff`` on zips refuse them with a typed error, write nothing
outside their temporary folder, never unpack a zip bomb and never return rows the release does not vouch for.

Every case asserts the error type and message (or, for ``intergov diff``, exit code 2, the message and no
traceback), and that the working folder, including the temporary folder zips are unpacked into, holds the
same bytes before and after.
"""

from __future__ import annotations

import functools
import json
import shutil
import struct
import tempfile
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import snapshot
from intergov import reader
from intergov.cli import main
from intergov.reader import LoadError, MalformedFileError, TamperedError, UnsafeArchiveError, load, sha256
from test_build import build_at

#: A fixed release time (SOURCE_DATE_EPOCH), so that the build does not ask git.
EPOCH = "1795824000"
STEM = "tiny-0.1.0"
SCHEMA = {
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "n", "type": "integer"},
        {"name": "amount", "type": "number"},
        {"name": "on", "type": "date"},
        {"name": "ok", "type": "boolean"},
        {"name": "note", "type": "string"},
    ],
    "primaryKey": ["id"],
}
ROWS = 'id,n,amount,on,ok,note\na,1,1.5,2024-01-02,true,"x, y"\nb,,12345678901234567.123456789,,false,\n'


def tiny_project(root: Path, rows: str = ROWS) -> Path:
    """A one-table package written from scratch, with its CHANGELOG.md and LICENSE; its descriptor."""
    (root / "datapackage" / "data").mkdir(parents=True)
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## 0.1.0 - 2026-01-01\n\nFirst.\n", encoding="utf-8")
    (root / "LICENSE").write_text("CC-BY-4.0\n", encoding="utf-8")
    resource = {"name": "items", "path": "data/items.csv", "schema": SCHEMA}
    descriptor = root / "datapackage" / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "tiny", "version": "0.1.0", "resources": [resource]}), encoding="utf-8")
    (root / "datapackage" / "data" / "items.csv").write_text(rows, encoding="utf-8", newline="")
    return descriptor


def tiny_release(root: Path) -> Path:
    """Build :func:`tiny_project` into ``root/dist``; the release folder (its zip and SHA256SUMS beside it)."""
    return build_at(EPOCH, tiny_project(root / "project"), root / "dist")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_release(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder; zips are unpacked under ``work/tmp``, so a snapshot of ``work`` sees every write."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def release(built: Path, work: Path) -> Path:
    """A copy of the built release folder, its zip and SHA256SUMS in ``work/dist``; the folder."""
    shutil.copytree(built.parent, work / "dist")
    return work / "dist" / STEM


def refused(path: Path, error: type[LoadError], message: str, work: Path) -> None:
    """``load(path)`` raises ``error`` matching ``message``, and nothing under ``work`` changed."""
    before = snapshot(work)
    with pytest.raises(error, match=message):
        load(path)
    assert snapshot(work) == before
    assert not any((work / "tmp").iterdir()), "the unpacked zip was left behind"


def diff_refuses(path: Path, other: Path, message: str, work: Path) -> None:
    """``intergov diff`` on ``path``: exit 2 with ``message``, no traceback, nothing under ``work`` changed."""
    before = snapshot(work)
    result = CliRunner().invoke(main, ["diff", str(path), str(other)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert snapshot(work) == before


def rehash(folder: Path, name: str) -> None:
    """Record the current size and hash of ``data/<name>`` in the release's descriptor, as a forger would."""
    descriptor = folder / "datapackage.json"
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    for resource in data["resources"]:
        if resource["path"] == f"data/{name}":
            content = (folder / resource["path"]).read_bytes()
            resource["bytes"], resource["hash"] = len(content), sha256(content)
    descriptor.write_text(json.dumps(data, indent=2), encoding="utf-8")


def rezip(source: Path, target: Path, edit: Callable[[zipfile.ZipFile], None] = lambda z: None) -> Path:
    """Copy the zip ``source`` entry by entry into ``target``, then let ``edit`` add entries."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        edit(new)
    return target


@functools.cache
def deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``size`` zero bytes (a multiple of 16 MiB, or less) and their CRC-32, made fast:
    one 16 MiB block, fully flushed, repeated."""
    chunk = min(size, 1 << 24)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc, zeros = 0, bytes(chunk)
    for _ in range(size // chunk):
        crc = zlib.crc32(zeros, crc)
    return block * (size // chunk) + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), crc


def raw_zip(target: Path, entries: list[tuple[str, bytes, int, int, int]]) -> Path:
    """Write a zip by hand from (name, raw deflate data, CRC-32, size declared in the headers, real size) entries.

    The declared size may lie: zipfile cannot write such a zip.
    """
    local, central = bytearray(), bytearray()
    for name, raw, crc, declared, _ in entries:
        encoded = name.encode()
        offset = len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(raw), declared, len(encoded), 0)
        local += encoded + raw
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 0x314, 20, 0, 8, 0, 0x21, crc, len(raw), declared, len(encoded), 0, 0, 0, 0,
            0o100644 << 16, offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local), 0)
    target.write_bytes(bytes(local + central + end))
    return target


def release_entries(zipped: Path) -> list[tuple[str, bytes, int, int, int]]:
    """The entries of a release zip, as :func:`raw_zip` takes them."""
    entries = []
    with zipfile.ZipFile(zipped) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            raw = compressor.compress(data) + compressor.flush()
            entries.append((info.filename, raw, zlib.crc32(data), len(data), len(data)))
    return entries


# --- zips: bombs, links, paths that leave the folder ----------------------------------------------------


def test_a_gigabyte_of_zeros_beside_the_release_is_never_unpacked(release: Path, work: Path) -> None:
    raw, crc = deflated_zeros(1 << 30)
    assert len(raw) < 1_200_000  # 1 GiB of zeros packs into about 1 MB
    bomb = raw_zip(
        work / "bomb.zip",
        [*release_entries(work / "dist" / f"{STEM}.zip"), (f"{STEM}/zeros", raw, crc, 1 << 30, 1 << 30)],
    )
    before = snapshot(work)
    started = time.monotonic()
    frames = load(bomb)  # the release is intact; the entry it does not name is left in the zip
    assert time.monotonic() - started < 5
    assert list(frames) == ["items"]
    assert snapshot(work) == before


def test_a_gigabyte_of_zeros_named_by_the_descriptor_is_refused(release: Path, work: Path) -> None:
    raw, crc = deflated_zeros(1 << 30)
    entries = release_entries(work / "dist" / f"{STEM}.zip")
    entries = [e if not e[0].endswith("items.csv") else (e[0], raw, crc, 1 << 30, 1 << 30) for e in entries]
    bomb = raw_zip(work / "bomb.zip", entries)
    started = time.monotonic()
    refused(
        bomb, UnsafeArchiveError, r"unpacking tiny-0\.1\.0/data/items\.csv would take more than 536,870,912 bytes", work
    )
    diff_refuses(bomb, release, "would take more than 536,870,912 bytes", work)
    assert time.monotonic() - started < 5


def test_an_entry_larger_than_its_header_says_is_not_read_past_it(release: Path, work: Path) -> None:
    raw, crc = deflated_zeros(1 << 30)
    entries = release_entries(work / "dist" / f"{STEM}.zip")
    entries = [e if not e[0].endswith("items.csv") else (e[0], raw, crc, e[3], 1 << 30) for e in entries]
    started = time.monotonic()
    refused(raw_zip(work / "lying.zip", entries), LoadError, r"lying\.zip is a damaged zip", work)
    assert time.monotonic() - started < 5


def test_the_decompressed_size_is_counted(release: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit holds for the data as it is decompressed, each entry counted against what is left."""
    monkeypatch.setattr(reader, "MAX_EXTRACTED_BYTES", 2000)
    refused(work / "dist" / f"{STEM}.zip", UnsafeArchiveError, r"would take more than 2,000 bytes", work)


def test_an_entry_longer_than_its_resource_records_is_refused(release: Path, work: Path) -> None:
    raw, crc = deflated_zeros(1 << 24)
    entries = release_entries(work / "dist" / f"{STEM}.zip")
    entries = [e if not e[0].endswith("items.csv") else (e[0], raw, crc, 1 << 24, 1 << 24) for e in entries]
    refused(
        raw_zip(work / "long.zip", entries),
        TamperedError,
        r"items\.csv in long\.zip holds more than the \d+ bytes",
        work,
    )


def test_too_many_entries_are_refused(release: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_ZIP_ENTRIES", 5)
    zipped = work / "dist" / f"{STEM}.zip"
    refused(zipped, UnsafeArchiveError, r"holds 6 entries, more than a release has \(at most 5\)", work)
    diff_refuses(zipped, release, "more than a release has (at most 5)", work)


def link(archive: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo(f"{STEM}/data/items.csv.link")
    info.create_system, info.external_attr = 3, 0o120777 << 16
    archive.writestr(info, "../../../../etc/passwd")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (link, r"'tiny-0\.1\.0/data/items\.csv\.link' is a symbolic link"),
        (lambda z: z.writestr("/tmp/evil.txt", "x"), r"'/tmp/evil\.txt' is an absolute path"),
        (lambda z: z.writestr(f"{STEM}/../evil.txt", "x"), r"'tiny-0\.1\.0/\.\./evil\.txt' is a path with \.\."),
        (lambda z: z.writestr("../../evil.txt", "x"), r"'\.\./\.\./evil\.txt' is a path with \.\."),
        (lambda z: z.writestr("C:/evil.txt", "x"), r"is an absolute path"),
        (
            lambda z: z.writestr(f"{STEM}/data/items.csv", "id\n"),
            r"'tiny-0\.1\.0/data/items\.csv' is the name of an entry",
        ),
        (
            lambda z: z.writestr(f"{STEM}/notes.txt", "x", compress_type=zipfile.ZIP_BZIP2),
            r"compressed with method 12, which a release never uses",
        ),
    ],
    ids=["symlink", "absolute", "dot-dot-inside", "dot-dot", "drive", "duplicate", "bzip2"],
)
def test_an_unsafe_entry_refuses_the_zip(release: Path, work: Path, edit, message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it is asked to write
        hostile = rezip(work / "dist" / f"{STEM}.zip", work / "hostile.zip", edit)
    refused(hostile, UnsafeArchiveError, message, work)
    diff_refuses(hostile, release, "nothing was unpacked", work)
    assert not (work / "evil.txt").exists() and not (work.parent / "evil.txt").exists()


def test_an_encrypted_entry_refuses_the_zip(release: Path, work: Path) -> None:
    data = bytearray((work / "dist" / f"{STEM}.zip").read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1  # the central directory's flag bits: encrypted
    (work / "locked.zip").write_bytes(bytes(data))
    refused(work / "locked.zip", UnsafeArchiveError, r"is encrypted", work)


def test_entries_the_release_does_not_name_stay_in_the_zip(release: Path, work: Path) -> None:
    def extras(archive: zipfile.ZipFile) -> None:
        archive.writestr("elsewhere/datapackage.csv", "x")
        archive.writestr(f"{STEM}/data/unlisted.csv", "x" * 100)
        archive.writestr(f"{STEM}/data/nested/", "")

    extra = rezip(work / "dist" / f"{STEM}.zip", work / "extra.zip", extras)
    extracted: list[str] = []
    original = reader._extract
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            reader, "_extract", lambda a, info, *rest: extracted.append(info.filename) or original(a, info, *rest)
        )
        assert list(load(extra)) == ["items"]
    assert sorted(extracted) == sorted(
        f"{STEM}/{n}" for n in ("datapackage.json", "data/items.csv", "data/items.parquet")
    )


def test_a_damaged_zip_is_a_load_error(release: Path, work: Path) -> None:
    whole = bytearray((work / "dist" / f"{STEM}.zip").read_bytes())
    data = whole.index(f"{STEM}/data/items.csv".encode()) + len(f"{STEM}/data/items.csv")
    whole[data : data + 8] = b"\xff" * 8  # the central directory intact, the entry's data spoilt
    (work / "damaged.zip").write_bytes(bytes(whole))
    refused(work / "damaged.zip", LoadError, r"damaged\.zip is a damaged zip \(.*\); download the release again", work)
    diff_refuses(work / "damaged.zip", release, "is a damaged zip", work)
    (work / "empty.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    refused(work / "empty.zip", LoadError, r"empty\.zip holds no single datapackage\.json", work)


# --- integrity: SHA256SUMS, CSV against Parquet --------------------------------------------------------


def forge_parquet(folder: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    """Rewrite the release's Parquet file through ``change`` and re-hash it in the descriptor."""
    parquet = folder / "data" / "items.parquet"
    pq.write_table(change(pq.read_table(parquet)), parquet)
    rehash(folder, "items.parquet")


def other_amount(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("amount")
    values = pa.array([None, *table.column("amount").to_pylist()[1:]], type=table.schema.field(index).type)
    return table.set_column(index, table.schema.field(index), values)


def test_parquet_changed_and_re_hashed_is_refused_by_sha256sums(release: Path, work: Path) -> None:
    forge_parquet(release, other_amount)
    refused(release, TamperedError, r"dist/tiny-0\.1\.0/data/items\.parquet does not match dist/SHA256SUMS", work)
    refused(release / "datapackage.json", TamperedError, r"does not match dist/SHA256SUMS", work)


def test_parquet_changed_and_re_hashed_is_refused_by_its_csv(release: Path, work: Path) -> None:
    (work / "dist" / "SHA256SUMS").unlink()
    forge_parquet(release, other_amount)
    refused(
        release,
        TamperedError,
        r"items\.csv:2 and data/items\.parquet differ in field 'amount': the CSV has '1\.5', the Parquet file None",
        work,
    )


def test_csv_changed_and_re_hashed_is_refused_by_its_parquet(release: Path, work: Path) -> None:
    (work / "dist" / "SHA256SUMS").unlink()
    csv = release / "data" / "items.csv"
    csv.write_bytes(csv.read_bytes().replace(b"b,,12345678901234567.123456789", b"b,,12345678901234567.123456788"))
    rehash(release, "items.csv")
    refused(release, TamperedError, r"items\.csv:3 and data/items\.parquet differ in field 'amount'", work)
    csv.write_bytes(csv.read_bytes() + b"c,,,,,\n")
    rehash(release, "items.csv")
    refused(release, TamperedError, r"items\.csv holds 3 rows and data/items\.parquet 2", work)


def test_a_csv_cell_that_does_not_read_as_its_type_is_refused(release: Path, work: Path) -> None:
    """Parquet holds null where the CSV holds text an integer field cannot read: not the same row."""
    (work / "dist" / "SHA256SUMS").unlink()
    csv = release / "data" / "items.csv"
    csv.write_bytes(csv.read_bytes().replace(b"\nb,,", b"\nb,one,"))
    rehash(release, "items.csv")
    refused(
        release, TamperedError, r"items\.csv:3 and data/items\.parquet differ in field 'n': the CSV has 'one'", work
    )


def test_sha256sums_is_found_from_inside_the_release_and_not_for_a_missing_one(
    release: Path, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge_parquet(release, other_amount)
    monkeypatch.chdir(release)
    with pytest.raises(TamperedError, match=r"items\.parquet does not match .*SHA256SUMS"):
        load(".")
    monkeypatch.chdir(work)
    refused(work / "dist" / "tiny-0.2.0", LoadError, r"no release at dist/tiny-0\.2\.0", work)
    shutil.rmtree(release)
    refused(release, LoadError, r"no release at dist/tiny-0\.1\.0", work)


def test_a_zip_that_differs_from_sha256sums_is_refused(release: Path, work: Path) -> None:
    zipped = work / "dist" / f"{STEM}.zip"
    zipped.write_bytes(zipped.read_bytes() + b"\x00")  # still a zip, and the descriptor's hashes still hold
    refused(zipped, TamperedError, r"dist/tiny-0\.1\.0\.zip does not match dist/SHA256SUMS", work)


def test_a_file_sha256sums_lists_must_be_there(release: Path, work: Path) -> None:
    (release / "README.md").unlink()
    refused(release, TamperedError, r"tiny-0\.1\.0/README\.md is listed in dist/SHA256SUMS but missing", work)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (f"{'0' * 64}  {STEM}/../../etc/passwd\n", r"SHA256SUMS:1: names 'tiny-0\.1\.0/\.\./\.\./etc/passwd'"),
        (f"{'0' * 64}  {STEM}//etc/passwd\n", r"SHA256SUMS:1: names .* not a plain path"),
    ],
    ids=["dot-dot", "empty-part"],
)
def test_a_sha256sums_naming_a_file_outside_the_release_is_refused(
    release: Path, work: Path, lines: str, message: str
) -> None:
    (work / "dist" / "SHA256SUMS").write_text(lines, encoding="utf-8")
    refused(release, LoadError, message, work)


def test_a_sha256sums_of_other_lines_is_read_for_its_own(release: Path, work: Path, monkeypatch) -> None:
    sums = work / "dist" / "SHA256SUMS"
    sums.write_bytes(b"\xff\xfe garbage\n\x00\n" + sums.read_bytes() + f"{'1' * 64}  tiny-0.2.0.zip\n".encode())
    assert reader.verify_sums(release) == 6  # every file of the folder, not the zip nor another version
    assert reader.verify_sums(work / "dist" / f"{STEM}.zip") == 1
    assert list(load(release)) == ["items"]
    monkeypatch.setattr(reader, "MAX_SUMS_BYTES", 100)
    refused(release, LoadError, r"SHA256SUMS is larger than a checksum list \(100 bytes at most\)", work)


# --- Parquet files that are not their table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            lambda t: t.drop_columns(["on"]),
            MalformedFileError,
            r"data/items\.parquet has no column 'on' \(field 4 of its schema\)",
        ),
        (
            lambda t: t.set_column(1, "n", t.column("n").cast(pa.string())),
            MalformedFileError,
            r"data/items\.parquet: column 'n' is string, where its schema's integer field is published as int64",
        ),
        (lambda t: t.append_column("extra", pa.array([1, 2])), MalformedFileError, r"has the columns \[.*'extra'\]"),
        (
            lambda t: t.select(["n", "id", "amount", "on", "ok", "note"]),
            MalformedFileError,
            r"has the columns \['n', 'id'",
        ),
    ],
    ids=["missing-column", "wrong-type", "extra-column", "reordered"],
)
def test_a_parquet_file_that_is_not_its_table_is_refused(
    release: Path, work: Path, change, error: type[LoadError], message: str
) -> None:
    (work / "dist" / "SHA256SUMS").unlink()
    forge_parquet(release, change)
    refused(release, error, message, work)


def test_a_parquet_file_that_is_not_parquet_is_refused(release: Path, work: Path) -> None:
    (work / "dist" / "SHA256SUMS").unlink()
    (release / "data" / "items.parquet").write_bytes(b"PAR1 not really PAR1")
    rehash(release, "items.parquet")
    refused(release, MalformedFileError, r"data/items\.parquet is not a readable Parquet file", work)


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        ("items", r"table 'items' of the release has no Parquet form"),
        ("items-parquet", r"is the Parquet form of no table"),
    ],
)
def test_a_table_without_both_forms_is_refused(release: Path, work: Path, keep: str, message: str) -> None:
    (work / "dist" / "SHA256SUMS").unlink()
    descriptor = release / "datapackage.json"
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    data["resources"] = [r for r in data["resources"] if r["name"] == keep]
    descriptor.write_text(json.dumps(data), encoding="utf-8")
    refused(release, MalformedFileError, message, work)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'id,n,amount,on,ok,note\r\na,1,1.5,2024-01-02,true,"x" y\n', r"items\.csv:2: not a CSV record"),
        (b"id,n\n", r"items\.csv:1: the header is \['id', 'n'\]"),
        (b"id,n,amount,on,ok,note\na,1\n", r"items\.csv:2: 2 cells where the header has 6"),
        (b"\xff\xfe", r"items\.csv is not UTF-8 text"),
    ],
    ids=["malformed-quote", "header", "short-row", "not-utf8"],
)
def test_a_csv_that_is_not_its_table_is_refused(release: Path, work: Path, content: bytes, message: str) -> None:
    (work / "dist" / "SHA256SUMS").unlink()
    (release / "data" / "items.csv").write_bytes(content)
    rehash(release, "items.csv")
    refused(release, MalformedFileError, message, work)


def test_the_intact_release_loads_from_folder_descriptor_and_zip(release: Path, work: Path) -> None:
    before = snapshot(work)
    frames = [load(p) for p in (release, release / "datapackage.json", work / "dist" / f"{STEM}.zip")]
    assert snapshot(work) == before
    for loaded in frames:
        items = loaded["items"]
        assert items["id"].tolist() == ["a", "b"] and items["n"].dtype == "Int64"
        assert items["amount"].tolist() == [1.5, 12345678901234567.123456789]
        assert str(items["on"].dtype) == "datetime64[s]" and items["ok"].tolist() == [True, False]


def test_every_load_error_is_importable_from_the_package() -> None:
    import intergov

    assert intergov.LoadError is LoadError
    assert all(issubclass(e, intergov.LoadError) for e in (TamperedError, MalformedFileError, UnsafeArchiveError))
