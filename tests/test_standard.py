"""The descriptor layer reads packages as the Data Package standard writes them (issue 14).

YAML descriptors and schemas, Table Schema v1 string keys, ``bytes`` and ``hash``, and one clear finding for
what intergov does not read. The parity corpus (``tests/corpus``) runs whole packages through both engines;
these are the edge cases of each, on the descriptor layer alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from intergov.package import load, locate, with_v1_keys_as_lists

CSV = b"id,label\n1,one\n"
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "label", "type": "string"}]}


def package(tmp_path: Path, **resource: object) -> Path:
    """A one-resource package (``items.csv``, inline schema) with ``resource``'s properties; its descriptor."""
    (tmp_path / "items.csv").write_bytes(CSV)
    entry = {"name": "items", "path": "items.csv", "schema": SCHEMA, **resource}
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "p", "resources": [entry]}, indent=2) + "\n", encoding="utf-8")
    return descriptor


def found(descriptor: Path) -> list[tuple[str, int | None]]:
    """The (rule, line) of each finding of the descriptor layer."""
    return sorted((f.rule, f.line) for f in load(descriptor)[1])


def line_of(descriptor: Path, text: str) -> int:
    """The line of the first line of ``descriptor`` holding ``text``."""
    return next(n for n, line in enumerate(descriptor.read_text().splitlines(), 1) if text in line)


# --- bytes and hash ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
def test_a_matching_hash_passes_and_a_wrong_one_is_hash_count(tmp_path: Path, algorithm: str) -> None:
    right = hashlib.new(algorithm, CSV).hexdigest().upper()
    assert found(package(tmp_path, hash=f"{algorithm}:{right}", bytes=len(CSV))) == []
    descriptor = package(tmp_path, hash=f"{algorithm}:{hashlib.new(algorithm, b'x').hexdigest()}")
    assert found(descriptor) == [("hash-count", line_of(descriptor, '"hash"'))]


def test_a_bare_hash_is_md5(tmp_path: Path) -> None:
    assert found(package(tmp_path, hash=hashlib.md5(CSV).hexdigest())) == []
    descriptor = package(tmp_path, hash=hashlib.sha1(CSV).hexdigest())  # a SHA-1 digest read as MD5
    assert found(descriptor) == [("hash-count", line_of(descriptor, '"hash"'))]


@pytest.mark.parametrize("value", ["crc32:abcd", "sha256:not-hex", "sha256:"])
def test_a_malformed_hash_is_a_descriptor_finding(tmp_path: Path, value: str) -> None:
    descriptor = package(tmp_path, hash=value)
    (finding,) = load(descriptor)[1]
    assert (finding.rule, finding.line) == ("descriptor-invalid", line_of(descriptor, '"hash"'))
    assert "sha256" in finding.message


def test_a_wrong_byte_count_is_byte_count_and_the_table_is_still_read(tmp_path: Path) -> None:
    descriptor = package(tmp_path, bytes=len(CSV) - 1)
    pkg, findings = load(descriptor)
    assert [(f.rule, f.line) for f in findings] == [("byte-count", line_of(descriptor, '"bytes"'))]
    assert pkg is not None and [r.name for r in pkg.resources] == ["items"]


# --- Table Schema v1 keys ------------------------------------------------------------------------------------


def test_v1_string_keys_in_a_schema_file_are_lists(tmp_path: Path) -> None:
    reference = {"resource": "", "fields": "id"}
    schema = {**SCHEMA, "primaryKey": "id", "foreignKeys": [{"fields": "id", "reference": reference}]}
    (tmp_path / "items.schema.json").write_text(json.dumps(schema, indent=2), encoding="utf-8")
    pkg, findings = load(package(tmp_path, schema="items.schema.json"))
    assert findings == []
    assert pkg.resources[0].schema["primaryKey"] == ["id"]
    assert pkg.resources[0].schema["foreignKeys"] == [
        {"fields": ["id"], "reference": {"resource": "", "fields": ["id"]}}
    ]


def test_a_v1_string_key_naming_no_field_is_found_at_its_line(tmp_path: Path) -> None:
    descriptor = package(tmp_path, schema={**SCHEMA, "primaryKey": "code"})
    assert found(descriptor) == [("schema-invalid", line_of(descriptor, '"primaryKey"'))]


def test_anything_but_a_string_key_is_left_as_written() -> None:
    odd = {"primaryKey": 1, "foreignKeys": ["x", {"fields": ["a"], "reference": "y"}]}
    assert with_v1_keys_as_lists(odd) == odd
    assert with_v1_keys_as_lists([1]) == [1]


# --- YAML ----------------------------------------------------------------------------------------------------

DESCRIPTOR_YAML = """\
name: p
resources:
  - name: items
    path: items.csv
    schema: items.schema.yml
"""


def yaml_package(tmp_path: Path, schema: str, descriptor: str = DESCRIPTOR_YAML, name: str = "datapackage.yml") -> Path:
    (tmp_path / "items.csv").write_bytes(CSV)
    (tmp_path / "items.schema.yml").write_text(schema, encoding="utf-8")
    (tmp_path / name).write_text(descriptor, encoding="utf-8")
    return tmp_path / name


def test_a_yaml_package_is_found_in_its_folder_and_read(tmp_path: Path) -> None:
    yaml_package(tmp_path, "fields:\n  - name: id\n    type: integer\n  - {name: label}\nprimaryKey: id\n")
    assert locate(tmp_path) == tmp_path / "datapackage.yml"
    pkg, findings = load(tmp_path)
    assert findings == []
    assert pkg.resources[0].schema == {
        "fields": [{"name": "id", "type": "integer"}, {"name": "label"}],
        "primaryKey": ["id"],
    }


def test_a_key_repeated_in_a_yaml_schema_is_refused_at_its_line(tmp_path: Path) -> None:
    yaml_package(tmp_path, "fields:\n  - name: id\n    type: integer\n    type: string\n")
    (finding,) = load(tmp_path)[1]
    assert (finding.rule, finding.line, finding.path.endswith("items.schema.yml")) == ("schema-json", 4, True)
    assert "'type' is written twice" in finding.message


def test_a_yaml_schema_finding_has_the_line_of_its_key(tmp_path: Path) -> None:
    yaml_package(tmp_path, "fields:\n  - name: id\n    type: string\n    constraints:\n      pattern: '([a'\n")
    assert [(f.rule, f.line) for f in load(tmp_path)[1]] == [("schema-invalid", 5)]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("name: p\nresources: [\n", 3, "not valid YAML"),
        ("name: p\nlogo: !!binary aGk=\nresources: []\n", 2, "no JSON counterpart"),
        ("name: p\n? [a, b]\n: 1\n", 2, "not text"),
        ("name: p\nresources: &r [*r]\n", 2, "nested too deeply"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, c in zip("abcdef", "bcdefg", strict=False)
            )
            + "resources: *g\n",
            None,
            "too many values",
        ),
    ],
    ids=["syntax", "binary", "list-key", "recursive-alias", "alias-bomb"],
)
def test_a_yaml_descriptor_that_is_not_a_document_is_one_finding(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    (tmp_path / "datapackage.yaml").write_text(text, encoding="utf-8")
    (finding,) = load(tmp_path)[1]
    assert (finding.rule, finding.line or None) == ("descriptor-json", line or finding.line)
    assert words in finding.message


# --- what is not read ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "key", "words"),
    [
        ({"format": "ndjson"}, "format", "a JSON table (format ndjson)"),
        ({"path": "items.xls"}, "path", "a spreadsheet (format xls)"),
        ({"format": "ODS"}, "format", "a spreadsheet (format ods)"),
        ({"path": "items.csv.bz2"}, "path", "compressed (bz2)"),
        ({"compression": "gz"}, "compression", "compressed (gz)"),
        ({"data": [], "path": None}, "data", "inline data"),
        ({"path": ["a.csv"]}, "path", "multipart"),
        ({"schema": None}, "schema", "no Table Schema"),
    ],
    ids=["ndjson", "xls", "ods", "bz2", "gz", "inline", "multipart", "no-schema"],
)
def test_what_is_not_read_is_one_finding_naming_it(tmp_path: Path, resource: dict, key: str, words: str) -> None:
    descriptor = package(tmp_path, **resource)
    data = json.loads(descriptor.read_text())
    entry = data["resources"][0]
    for dropped in [k for k, v in resource.items() if v is None]:  # None: the property is not written
        del entry[dropped]
    descriptor.write_text(json.dumps(data, indent=2), encoding="utf-8")
    pkg, findings = load(descriptor)
    (finding,) = findings
    assert finding.rule == "resource-unsupported" and words in finding.message
    assert pkg.resources == ()
    where = line_of(descriptor, f'"{key}"') if key in entry else line_of(descriptor, '"name": "items"') - 1
    assert finding.line == where


def test_a_csv_format_or_a_parquet_form_is_left_to_its_reader(tmp_path: Path) -> None:
    assert found(package(tmp_path, format="csv")) == []
    assert found(package(tmp_path, format="parquet")) == []  # a release's Parquet form: intergov.reader reads it


def test_a_remote_path_is_named_and_never_fetched(tmp_path: Path) -> None:
    descriptor = package(tmp_path, path="https://example.com/items.csv")
    (finding,) = load(descriptor)[1]
    assert (finding.rule, finding.line) == ("unsafe-path", line_of(descriptor, '"path"'))
    assert "remote path" in finding.message and "download the file" in finding.message


def test_a_profile_error_of_an_inline_schema_is_reported_once(tmp_path: Path) -> None:
    descriptor = package(tmp_path, schema={"fields": [{"name": "id", "type": "integr"}]})
    assert [f.rule for f in load(descriptor)[1]] == ["schema-invalid"]
