"""Issue 14: CSV read as RFC 4180 and the Table Dialect say, in both engines (the corpus has one case per property).

Multi-line quoted cells are valid; a declared dialect and encoding are honoured, with exact physical lines;
what is not declared is the Table Dialect's default, in the reference engine too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intergov.engine import ENGINES
from intergov.engine.text import decode, line_endings
from intergov.lines import Dialect, records, split
from intergov.validate import validate

ID_NOTE = [{"name": "id", "type": "integer"}, {"name": "note", "type": "string"}]


def package(tmp_path: Path, data: bytes | str, dialect: dict | None = None, **resource) -> Path:
    """A one-resource package in ``tmp_path``: ``data.csv`` with ``dialect``, schema ``id`` integer, ``note`` string."""
    (tmp_path / "data.csv").write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    entry = {"name": "data", "path": "data.csv", "schema": {"fields": ID_NOTE}, **resource}
    if dialect is not None:
        entry["dialect"] = dialect
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "p", "resources": [entry]}), encoding="utf-8")
    return descriptor


def found(descriptor: Path, engine: str) -> set[tuple[str, int | None, str | None]]:
    return {(f.rule, f.line, f.field) for f in validate(descriptor, engine=engine).findings}


# Multi-line cells


def test_a_valid_record_spanning_lines_is_never_an_unclosed_quote() -> None:
    text = 'id,note\n1,"first line\nsecond line, with a comma\nthird line"\nx,ok\n'
    assert decode(text.encode(), "a.csv") == (text, [])


def test_a_record_whose_width_shows_an_open_quote_is_warned_at_its_line_only() -> None:
    text, (finding,) = decode(b'id,a,b\n1,"x,y\n2,p,q\n3,r,s"\n4,o,k\n', "a.csv")
    assert text is not None
    assert (finding.rule, finding.line, finding.severity) == ("quote-spans-rows", 2, "warning")
    assert "lines 2-4" in finding.message


def test_a_quote_that_never_closes_is_still_an_error() -> None:
    text, (finding,) = decode(b'id,note\n1,"open\n2,x\n', "a.csv")
    assert text is None
    assert (finding.rule, finding.line) == ("unclosed-quote", 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_after_a_swallowing_quote_the_rest_of_the_file_is_checked(tmp_path: Path, engine: str) -> None:
    descriptor = package(tmp_path, 'id,note\n1,"a\n2,b\n3,c",d\nx,e\n')
    assert found(descriptor, engine) == {
        ("quote-spans-rows", 2, None),
        ("extra-cell", 2, None),
        ("type-error", 5, "id"),
    }


# Reading the dialect off a resource


def test_dialect_properties_are_read_by_their_v2_and_v1_names() -> None:
    declared = {
        "csvddfVersion": 1.2,
        "delimiter": "|",
        "lineTerminator": "\n",
        "quoteChar": "'",
        "doubleQuote": False,
        "escapeChar": "\\",
        "nullSequence": "\\N",
        "skipInitialSpace": True,
        "header": True,
        "headerRows": [2, 1],
        "headerJoin": "-",
        "commentChar": "#",
        "caseSensitiveHeader": False,
    }
    dialect = Dialect.of({"dialect": declared, "encoding": "Latin-1"})
    assert dialect == Dialect("|", "\n", "'", False, "\\", "\\N", True, True, (1, 2), "-", "#", False, "iso8859-1")


def test_values_of_the_wrong_type_or_length_are_ignored() -> None:
    declared = {"delimiter": ";;", "quoteChar": 1, "header": "no", "headerRows": [0], "commentChar": ""}
    assert Dialect.of({"dialect": declared}) == Dialect()
    assert Dialect.of({"dialect": "dialect.json"}).plain


def test_the_header_is_the_first_row_that_is_not_a_comment_unless_header_rows_are_declared() -> None:
    read = list(records("# note\nid\n1\n"))
    assert split(read, Dialect(comment_char="#")).labels == ["id"]
    assert split(read, Dialect(comment_char="#", header_rows=(2,))).data == [(3, 3, ["1"])]


# Both engines, declared dialects


@pytest.mark.parametrize("engine", ENGINES)
def test_a_ragged_row_among_comments_under_a_delimiter_is_at_its_line(tmp_path: Path, engine: str) -> None:
    """The reference engine fits short rows for frictionless-py: written back in the declared dialect."""
    data = "# a comment; with a delimiter\nid;note\n1;a\n# another\n2\nx;b\n"
    descriptor = package(tmp_path, data, {"delimiter": ";", "commentChar": "#"})
    assert found(descriptor, engine) == {("missing-cell", 5, "note"), ("type-error", 6, "id")}


@pytest.mark.parametrize("engine", ENGINES)
def test_without_a_header_a_ragged_row_counts_the_schema_fields(tmp_path: Path, engine: str) -> None:
    descriptor = package(tmp_path, "1,a\n2,b,c\n", {"header": False})
    (finding,) = validate(descriptor, engine=engine).findings
    assert (finding.rule, finding.line) == ("extra-cell", 2)
    assert "the schema has 2 fields" in finding.message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_label_error_is_at_the_line_of_the_header(tmp_path: Path, engine: str) -> None:
    descriptor = package(tmp_path, "# generated\nid,notes\n1,a\n", {"commentChar": "#"})
    assert found(descriptor, engine) == {("incorrect-label", 2, "note")}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_header_is_case_sensitive_unless_declared_otherwise(tmp_path: Path, engine: str) -> None:
    assert found(package(tmp_path, "ID,note\n1,a\n"), engine) == {("incorrect-label", 1, "id")}
    assert found(package(tmp_path, "ID,note\n1,a\n", {"caseSensitiveHeader": False}), engine) == set()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_null_sequence_is_missing_in_the_typed_frame(tmp_path: Path, engine: str) -> None:
    descriptor = package(tmp_path, "id,note\n\\N,a\n", {"nullSequence": "\\N"})
    result = validate(descriptor, engine=engine)
    assert result.findings == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_space_before_a_quote_is_kept_unless_skip_initial_space(tmp_path: Path, engine: str) -> None:
    data = 'id,note\n1, "a"\n'
    schema = {"fields": [ID_NOTE[0], {**ID_NOTE[1], "constraints": {"enum": ["a"]}}]}
    assert found(package(tmp_path, data, schema=schema), engine) == {("constraint-enum", 2, "note")}
    assert found(package(tmp_path, data, {"skipInitialSpace": True}, schema=schema), engine) == set()


# Encodings and line endings


@pytest.mark.parametrize("engine", ENGINES)
def test_a_declared_encoding_is_read_and_its_bad_bytes_are_at_their_line(tmp_path: Path, engine: str) -> None:
    latin = "id,note\n1,Café\n".encode("latin-1")
    assert found(package(tmp_path, latin, encoding="latin1"), engine) == set()
    assert found(package(tmp_path, latin), engine) == {("encoding-error", 2, None)}
    assert found(package(tmp_path, b"id,note\n1,a\n2,\x98\n", encoding="windows-1251"), engine) == {
        ("encoding-error", 3, None)
    }
    assert found(package(tmp_path, b"id\n", encoding="no-such-codec"), engine) == {("encoding-error", 1, None)}


def test_line_endings_are_compared_with_the_declared_line_terminator() -> None:
    assert line_endings("a\r\nb\r\n", "a.csv", "\r\n") is None
    finding = line_endings("a\r\nb\nc\r\n", "a.csv", "\r\n")
    assert (finding.line, finding.severity) == (2, "warning")
    assert "declares CRLF" in finding.message
    assert line_endings("a\r\nb\r\n", "a.csv").rule == "line-endings"
