"""Read a CSV file's bytes into text, reporting what would make parsing lie.

Checked before any parser sees the file: bytes that are not UTF-8, a NUL byte
(a binary file), a UTF-8 byte-order mark, and a quote that opens and never
closes (which would swallow every later line into one cell).

>>> from pathlib import Path
>>> text, found = decode(b"id\\n1\\n", "a.csv")
>>> text, found
('id\\n1\\n', [])
"""

from __future__ import annotations

from intergov.findings import ERROR, WARNING, Finding
from intergov.lines import unclosed_quote_line

BOM = "\ufeff"


def decode(data: bytes, path: str) -> tuple[str | None, list[Finding]]:
    """Decode ``data`` as UTF-8; return the text (``None`` when unusable) and findings.

    A byte-order mark is reported and removed; the text is still checked.
    """
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        message = "the file holds NUL bytes: it is binary, not a CSV text file"
        return None, [Finding(path, line, None, None, None, "binary-file", ERROR, message)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        bad = data[e.start : e.end + 3]
        message = (
            f"bytes that are not UTF-8 ({bad!r}); the file was probably saved as Windows-1251 or "
            "Latin-1: re-save it as UTF-8"
        )
        return None, [Finding(path, line, None, None, None, "encoding-error", ERROR, message)]
    findings = []
    if text.startswith(BOM):
        text = text[len(BOM) :]
        message = "the file starts with a byte-order mark; save it as UTF-8 without BOM (intergov fmt does)"
        findings.append(Finding(path, 1, None, None, None, "byte-order-mark", WARNING, message))
    if not text.strip():
        message = "the file is empty; it needs at least the header row"
        return None, [*findings, Finding(path, 1, None, None, None, "empty-file", ERROR, message)]
    opened = unclosed_quote_line(text)
    if opened is not None:
        message = (
            "a quote opens here and never closes, so every later line would be read as one cell; "
            'close the quote or double it ("")'
        )
        findings.append(Finding(path, opened, None, None, None, "unclosed-quote", ERROR, message))
        return None, findings
    return text, findings
