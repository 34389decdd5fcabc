"""The Table Schema layer: parse cells to types, check constraints and keys.

An engine takes a loaded :class:`~intergov.package.Package` and returns the
findings of this layer plus one :class:`Table` per readable resource: the text
cells and the typed frame, both indexed by the physical line of each record.
Cells that this layer found wrong are null in the typed frame, so that the
semantic rules never report twice on a cell that is already reported.

>>> from intergov.package import load
>>> pkg, _ = load("datapackage/datapackage.json")  # doctest: +SKIP
>>> result = run(pkg)  # doctest: +SKIP
>>> result.tables["sources"].typed.dtypes["published_on"]  # doctest: +SKIP
dtype('<M8[s]')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from intergov.findings import Finding
from intergov.package import Package, Resource

if TYPE_CHECKING:
    import pandas as pd

#: The engines, the default first: ``fast`` (pyarrow and numpy) and ``frictionless`` (the reference).
ENGINES = ("fast", "frictionless")


@dataclass
class Table:
    """A resource's cells: as written (``text``) and typed (``typed``).

    Both frames have one column per schema field and are indexed by the
    physical line on which each record starts. Records whose structure is
    broken (too many or too few cells) are left out of both.
    """

    resource: Resource
    text: pd.DataFrame
    typed: pd.DataFrame

    @property
    def path(self) -> str:
        """The file, as findings show it."""
        return self.resource.display

    def column(self, name: str) -> int | None:
        """The 1-based column of field ``name`` in the file."""
        names = list(self.text.columns)
        return names.index(name) + 1 if name in names else None


@dataclass
class EngineResult:
    """What the Table Schema layer found, and the typed tables for the next layer."""

    findings: list[Finding] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)


def run(package: Package, engine: str = "fast") -> EngineResult:
    """Run the Table Schema layer with ``engine`` over every resource of ``package``."""
    if engine == "fast":
        from intergov.engine import fast

        return fast.run(package)
    if engine == "frictionless":
        from intergov.engine import reference

        return reference.run(package)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
