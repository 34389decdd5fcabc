"""The physical line map: record n starts on the line an editor shows, whatever the cells hold."""

from __future__ import annotations

import csv

import pytest

from intergov import lines
from intergov.lines import line_of_record, record_lines, unclosed_quote_line


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("id,note\n1,a\n2,b\n", [1, 2, 3]),
        ("id,note\n1,a\n2,b", [1, 2, 3]),
        ("", []),
        ('id,note\n1,"two\nlines"\n2,x\n', [1, 2, 4]),
        ('id,note\n1,"one\ntwo\nthree"\n2,"a\nb"\n3,x\n', [1, 2, 5, 7]),
        ("id,note\r\n1,a\r\n2,b\r\n", [1, 2, 3]),
        ('id,note\r\n1,a\r\n2,"b\r\nc"\r\n3,d\r\n', [1, 2, 3, 5]),
        ("id,note\r1,a\r2,b\r", [1, 2, 3]),
        ("id,note\n1,a\n\n2,b\n", [1, 2, 3, 4]),
        ('id,note\n1,"a"\n\n\n2,b\n', [1, 2, 3, 4, 5]),
        ('id,note\n1,"say ""hi""\nthere"\n2,x\n', [1, 2, 4]),
        ('id,note\n1,""""\n2,x\n', [1, 2, 3]),
        ('id,note\n1,ab"c\n2,x\n', [1, 2, 3]),
    ],
    ids=[
        "plain",
        "no-final-newline",
        "empty",
        "multi-line-cell",
        "several-multi-line-cells",
        "crlf",
        "crlf-inside-cell",
        "cr-only",
        "blank-line",
        "blank-lines-after-quoted",
        "escaped-quotes-over-lines",
        "only-escaped-quote",
        "literal-quote-in-unquoted-cell",
    ],
)
def test_record_lines(text: str, starts: list[int]) -> None:
    assert record_lines(text) == starts


def test_record_lines_counts_a_cell_bigger_than_the_csv_default_limit() -> None:
    text = 'id,note\n1,"' + "x\n" * 100_000 + '"\n2,y\n'
    assert record_lines(text) == [1, 2, 100_003]


@pytest.mark.parametrize(
    ("record", "line"),
    [(1, 1), (2, 2), (3, 4), (4, 5), (5, 6), (9, 6)],
)
def test_line_of_record_maps_records_and_points_past_the_end(record: int, line: int) -> None:
    assert line_of_record([1, 2, 4, 5], record) == line


def test_line_of_record_of_nothing_is_line_one() -> None:
    assert line_of_record([], 3) == 1


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("id,note\n1,a\n2,b\n", None),
        ('id,note\n1,"two\nlines"\n2,x\n', None),
        ('id,note\n1,a\n2,"open\n3,x\n4,y\n', 3),
        ('id,note\n1,"open', 2),
        ('id,note\r\n1,a\r\n2,"x\r\ny"\r\n3,"open\r\n4,x\r\n', 5),
        ('id,note\r1,a\r2,"open\r3,x\r', 3),
        ('id,note\n1,"a\rb"\n2,"open\n', 4),
        ('id,note\n1,"say ""hi"""\n2,x\n', None),
        ('id,note\n1,"say ""hi""\n2,x\n', 2),
        ('id,note\n1,"a\nb"\n2,"open\n3,x\n', 4),
        ('id,note\n1,ab"c\n2,x\n', None),
        ('id,note\n1,ab"c\n2,"open\n3,x\n', 3),
        ('id,note\n1,"a"b"\n2,x\n', None),
    ],
    ids=[
        "no-quotes",
        "closed-multi-line",
        "unclosed",
        "unclosed-at-end-of-file",
        "unclosed-after-crlf-multi-line",
        "unclosed-cr-only",
        "cr-inside-earlier-cell",
        "escaped-quotes-closed",
        "escaped-quotes-unclosed",
        "unclosed-after-multi-line",
        "literal-quote-odd-count",
        "literal-quote-then-unclosed-even-count",
        "text-after-closing-quote",
    ],
)
def test_unclosed_quote_line(text: str, line: int | None) -> None:
    assert unclosed_quote_line(text) == line


def test_records_pair_each_record_with_the_line_it_starts_on() -> None:
    text = 'id,note\r\n1,"two\r\nlines"\r\n\r\n2,x'
    assert list(lines.records(text)) == [(1, ["id", "note"]), (2, ["1", "two\r\nlines"]), (4, []), (5, ["2", "x"])]
    assert [start for start, _ in lines.records(text)] == record_lines(text)


def test_strict_records_say_where_a_misplaced_quote_stops_the_reader() -> None:
    rows = lines.records('id,note\n1,"a\nb"c\n', strict=True)
    assert next(rows) == (1, ["id", "note"])
    with pytest.raises(lines.MalformedRecord) as caught:
        next(rows)
    assert (caught.value.start, caught.value.line) == (2, 3)


@pytest.mark.parametrize("character", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_only_cr_and_lf_break_lines(character: str) -> None:
    """``str.splitlines`` breaks at these too; the CSV reader and an editor's line numbers do not."""
    text = f"id,note\n1,a{character}b\n2,c\n"
    assert record_lines(text) == [1, 2, 3]
    assert lines.line_of_offset(text, text.index("2,c")) == 3
    assert lines.offset_of_line(text, 3) == text.index("2,c")


@pytest.mark.parametrize("line", [1, 2, 3, 4, 5])
def test_line_of_offset_and_offset_of_line_are_inverses(line: int) -> None:
    text = "a\r\nb\x0cc\rd\n\ne"
    assert lines.line_of_offset(text, lines.offset_of_line(text, line)) == line


def test_reading_a_big_cell_leaves_the_csv_field_limit_as_it_was() -> None:
    before = csv.field_size_limit(csv.field_size_limit())  # the limit, unchanged
    csv.field_size_limit(131_072)  # the csv module's default, lower than the cell
    try:
        text = 'id,note\n1,"' + "x" * 200_000 + '"\n2,y\n'
        assert record_lines(text) == [1, 2, 3]
        assert [len(r[-1]) for _, r in lines.records(text)] == [4, 200_000, 1]
        assert csv.field_size_limit() == 131_072
    finally:
        csv.field_size_limit(before)
