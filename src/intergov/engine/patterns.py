"""The ``pattern`` constraint in frictionless-py: matched by intergov's RE2 matcher, never by Python's ``re``.

frictionless-py tests ``re.match(f"^{pattern}$", cell)``: Python's backtracking
``re``, which can take hours on a pattern such as ``(a+)+``, and whose ``$``
also matches before a final line break. So frictionless-py is never given a
pattern (:func:`for_frictionless` takes it out of the field), and the
reference engine checks patterns in frictionless-py's row loop with
:func:`pattern_check`, which reports what frictionless-py's own check would
(a ``constraint-error`` on each present cell of the right type that does not
match), matched as a whole value in linear time (:mod:`intergov.patterns`).
The fast engine tests patterns with pyarrow's RE2 and the same matcher.

>>> for_frictionless({"name": "c", "constraints": {"pattern": "[A-Z]{3}", "required": True}})
{'name': 'c', 'constraints': {'required': True}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from intergov.patterns import matcher


def for_frictionless(field: Mapping[str, Any]) -> dict[str, Any]:
    """``field`` without its ``pattern``, for frictionless-py (:func:`pattern_check` tests it)."""
    out = dict(field)
    constraints = field.get("constraints")
    if isinstance(constraints, Mapping) and "pattern" in constraints:
        out["constraints"] = {k: v for k, v in constraints.items() if k != "pattern"}
    return out


def patterns_of(fields: Sequence[Mapping[str, Any]]) -> list[tuple[int, str, str]]:
    """``(field number, name, pattern)`` of each string field with a pattern (frictionless-py tests no other).

    >>> patterns_of([{"name": "n", "type": "integer"}, {"name": "c", "constraints": {"pattern": "[a-z]"}}])
    [(2, 'c', '[a-z]')]
    """
    return [
        (number, f["name"], f["constraints"]["pattern"])
        for number, f in enumerate(fields, 1)
        if f.get("type", "string") == "string" and isinstance((f.get("constraints") or {}).get("pattern"), str)
    ]


def pattern_check(patterns: Mapping[str, list[tuple[int, str, str]]]):
    """A frictionless-py check reporting the cells that break their field's pattern, per resource name.

    As frictionless-py's cell reader does, it tests present cells only, and
    only those that read as their type; its errors are frictionless-py's
    ``constraint-error`` with the note frictionless-py writes.
    """
    import attrs
    from frictionless import Check, errors

    @attrs.define(kw_only=True, repr=False)
    class PatternCheck(Check):
        type: ClassVar[str] = "whole_value_pattern"
        Errors: ClassVar[list] = [errors.ConstraintError]

        def validate_row(self, row):
            for number, name, pattern in patterns.get(self.resource.name, ()):
                value = row[name]
                if value is None or matcher(pattern)(value):
                    continue
                yield errors.ConstraintError(
                    note=f'constraint "pattern" is "{pattern}"',
                    cells=["" if cell is None else str(cell) for cell in row.cells],
                    row_number=row.row_number,
                    cell=str(row.cells[number - 1]),
                    field_name=name,
                    field_number=number,
                )

    return PatternCheck()
