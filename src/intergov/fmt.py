"""Canonical CSV form: UTF-8 without BOM, LF line endings, minimal quoting.

>>> render_csv([["id", "note"], ["a", "two\\nlines"], ["b", "plain"]])
'id,note\\na,"two\\nlines"\\nb,plain\\n'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def render_csv(rows: Iterable[Sequence[str]]) -> str:
    """Render rows (header first) as canonical CSV text."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue()
