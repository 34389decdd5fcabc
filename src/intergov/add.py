"""Add rows to a table by field name: no counting of commas, and the file stays canonical.

A curator names the table and the values (``session_id=aze-kaz-igc-22``); fields left out are empty. The
row goes into the file in canonical form and order (:mod:`intergov.fmt`), atomically, and the physical
line it landed on is returned, so that ``intergov validate`` findings can be matched to it.

>>> parse_values(["session_id=aze-kaz-igc-22", "city=Astana", "note=a=b"])
{'session_id': 'aze-kaz-igc-22', 'city': 'Astana', 'note': 'a=b'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from intergov import fmt
from intergov import schema as ts
from intergov.lines import records
from intergov.package import Resource


class AddError(ValueError):
    """The row cannot be added as given: an unknown field, a value without ``=``, a file that cannot be read."""


def parse_values(pairs: Iterable[str]) -> dict[str, str]:
    """``field=value`` arguments as a mapping (the value may hold ``=``); a pair without ``=`` is an error."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise AddError(f"{pair!r} is not field=value")
        if name in values:
            raise AddError(f"{name} is given twice")
        values[name] = value
    return values


def add_rows(resource: Resource, rows: Sequence[Mapping[str, str]]) -> list[int]:
    """Add ``rows`` (field name -> value) to ``resource``'s file in canonical form; return each one's line.

    Raises :class:`AddError` for a field the table does not have, or a file that is not in a form
    :func:`intergov.fmt.canonical_text` can read (run ``intergov fmt`` and fix what it says first).
    """
    names = ts.field_names(resource.schema)
    for row in rows:
        unknown = sorted(set(row) - set(names))
        if unknown:
            raise AddError(f"{resource.name} has no field {', '.join(unknown)}; its fields are {', '.join(names)}")
    original = resource.file.read_bytes()
    try:
        text = original.decode("utf-8")
        new = [[row.get(name, "") for name in names] for row in rows]
        current = fmt.canonical_rows(text, resource.schema, resource.display)
        canonical = fmt.canonical_text(fmt.render_csv([*current, *new]), resource.schema, resource.display)
    except (UnicodeDecodeError, fmt.Unparseable) as e:
        raise AddError(f"{resource.display}: cannot add to this file as it is ({e}); run intergov fmt first") from e
    fmt.write_atomic(resource.file, canonical.encode("utf-8"), expected=original)
    wanted = [fmt.canonical_rows(fmt.render_csv([names, row]), resource.schema)[1] for row in new]
    return [_line_of(canonical, row) for row in wanted]


def _line_of(text: str, row: list[str]) -> int:
    """The physical line where the record ``row`` starts in ``text`` (the first, if it is there twice)."""
    return next(line for line, record in records(text) if record == row)
