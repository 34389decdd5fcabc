"""The one findings model that every validation layer reports into.

A finding is a small immutable record, 1-indexed like an editor: the file a
curator opens, the physical line in it, the column (the field's position in
the header), the field name, the offending value, a stable rule id, a severity
and a plain message. Nothing here renders findings; see ``intergov.report``.

>>> f = Finding("data/a.csv", 7, 4, "signed_on", "2022-13", "type-error", ERROR, "not a date")
>>> f.blocks(strict=False)
True
>>> summarize([f])
{'error': 1, 'warning': 0}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

#: Longest value quoted in a finding; a 50 MB cell is shown by its start only.
MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class Finding:
    """One problem at one place.

    ``line`` and ``column`` are 1-based; ``None`` when the finding is about the
    whole file (``line``) or the whole row (``column``). ``value`` is the cell
    as written in the file, or ``None`` when there is no single cell.
    """

    path: str
    line: int | None
    column: int | None
    field: str | None
    value: str | None
    rule: str
    severity: str
    message: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.value is not None and len(self.value) > MAX_VALUE_CHARS:
            shown = self.value[:MAX_VALUE_CHARS]
            object.__setattr__(self, "value", f"{shown}... ({len(self.value)} characters)")

    def blocks(self, *, strict: bool) -> bool:
        """Whether this finding makes validation fail."""
        return self.severity == ERROR or strict

    def to_dict(self) -> dict[str, object]:
        """The finding as a plain dict, in field order (the JSON shape)."""
        return asdict(self)


def sort_key(finding: Finding) -> tuple:
    """Order by file, then line (file-level first), column, rule, message, value, field, severity.

    The key is total: two findings with the same key are equal, so the order
    never depends on the order they were found in (or on string hashing).
    """
    return (
        finding.path,
        (finding.line is not None, finding.line or 0),
        (finding.column is not None, finding.column or 0),
        finding.rule,
        finding.message,
        (finding.value is not None, finding.value or ""),
        (finding.field is not None, finding.field or ""),
        finding.severity,
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings sorted for reading, with exact duplicates removed."""
    return sorted(set(findings), key=sort_key)


def summarize(findings: Iterable[Finding]) -> dict[str, int]:
    """Count findings per severity.

    >>> summarize([])
    {'error': 0, 'warning': 0}
    """
    counts = Counter(f.severity for f in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITIES}


def select(
    findings: Iterable[Finding],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> list[Finding]:
    """Keep findings whose rule id matches ``select`` (all when empty) and not ``ignore``.

    A pattern matches a rule id exactly or as a prefix ending in ``-``
    (``date-`` matches ``date-order`` and ``date-real``).

    >>> f = Finding("a.csv", 2, 1, "x", "1", "date-order", ERROR, "m")
    >>> len(select([f], ignore=["date-"]))
    0
    """

    return [f for f in findings if (not select or matches(f.rule, select)) and not matches(f.rule, ignore)]


def matches(rule: str, patterns: Iterable[str]) -> bool:
    """Whether rule id ``rule`` matches a pattern: exactly, or as a prefix ending in ``-``.

    >>> matches("date-order", ["date-"]), matches("date-order", ["date"])
    (True, False)
    """
    return any(rule == p or (p.endswith("-") and rule.startswith(p)) for p in patterns)


def exit_code(findings: Iterable[Finding], *, strict: bool = False) -> int:
    """0 when nothing blocks, 1 when some finding does (warnings block only when strict)."""
    return int(any(f.blocks(strict=strict) for f in findings))
