"""The physical line map: record n starts on the line an editor shows, whatever the cells hold."""

from __future__ import annotations

import pytest

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
