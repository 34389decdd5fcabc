"""Validate a data package: descriptor, then Table Schema, then the semantic rules.

Every layer reports into the one findings model; nothing here prints.

>>> result = validate("datapackage/datapackage.json")  # doctest: +SKIP
>>> result.exit_code, result.counts  # doctest: +SKIP
(0, {'error': 0, 'warning': 1})
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from intergov import engine as engines
from intergov.findings import WARNING, Finding, exit_code, ordered, summarize
from intergov.package import Package, load


@dataclass
class Result:
    """The outcome of a validation: the findings, and what they mean for the exit code."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    tables: dict = field(default_factory=dict, repr=False)
    package: Package | None = field(default=None, repr=False)
    strict: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        return summarize(self.findings)

    @property
    def exit_code(self) -> int:
        """0 valid, 1 blocking findings (warnings block only when strict)."""
        return exit_code(self.findings, strict=self.strict)

    @property
    def valid(self) -> bool:
        """Whether nothing blocks."""
        return self.exit_code == 0


def validate(path: str | os.PathLike[str], *, engine: str = engines.ENGINES[0], strict: bool = False) -> Result:
    """Validate the package at ``path`` through every layer; collect all findings.

    Raises :class:`intergov.package.PackageError` when there is no package at ``path``.
    """
    package, findings = load(path)
    result = Result(str(path), strict=strict, package=package)
    if package is not None:
        from intergov import rules

        tabular, forms = _csv_and_parquet(package)
        findings.extend(forms)
        layer = engines.run(tabular, engine)
        findings.extend(layer.findings)
        findings.extend(rules.run(layer.tables, layer.findings))
        result.tables = layer.tables
    result.findings = ordered(findings)
    return result


#: ``format`` of the typed twin a release publishes beside each CSV table.
PARQUET = "parquet"


def _csv_and_parquet(package: Package) -> tuple[Package, list[Finding]]:
    """The package without its Parquet forms (no engine reads them as CSV), and a finding for each.

    A release describes every table twice, as CSV and as Parquet: the CSV form is validated here, and
    :func:`intergov.load` checks that each Parquet file holds the same rows.
    """
    parquet = [r for r in package.resources if r.descriptor.get("format") == PARQUET]
    if not parquet:
        return package, []
    found = [
        Finding(
            r.display,
            None,
            None,
            None,
            None,
            "parquet-not-validated",
            WARNING,
            f"resource {r.name!r} is a Parquet file: intergov validate checks tables in CSV form; intergov.load "
            "verifies that a release's Parquet files hold the rows of their CSV twins",
        )
        for r in parquet
    ]
    kept = tuple(r for r in package.resources if r.descriptor.get("format") != PARQUET)
    return dataclasses.replace(package, resources=kept), found
