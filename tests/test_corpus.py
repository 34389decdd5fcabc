"""The parity corpus: one small package per feature of the standards, read by both engines and by upstream.

Each folder of ``tests/corpus/`` is a package written by hand as the Data Package, Table Schema and Table
Dialect specs describe (its descriptor is ``datapackage.json`` or ``datapackage.yaml``), with an
``expected.json``:

- ``description``: what the case exercises;
- ``findings``: ``[rule, line, field]`` of each finding ``intergov validate`` must report, the same in both
  engines (the line is the physical line of the file the finding is about);
- ``frictionless``: the sorted distinct error types upstream ``frictionless validate`` reports (``[]`` when
  it finds the package valid), or ``null`` when upstream cannot read the case (``note`` says why);
- ``note`` (optional): why upstream differs, if it does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intergov.engine import ENGINES
from intergov.validate import validate

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def descriptor(case: Path) -> Path:
    """The case's descriptor: ``datapackage.json``, else ``datapackage.yaml`` or ``.yml``."""
    return next(
        p for p in (case / n for n in ("datapackage.json", "datapackage.yaml", "datapackage.yml")) if p.is_file()
    )


def expected(case: Path) -> dict:
    """The case's ``expected.json``."""
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_intergov(case: Path, engine: str) -> None:
    """Both engines report exactly the expected (rule, line, field) of the case."""
    found = {(f.rule, f.line, f.field) for f in validate(descriptor(case), engine=engine).findings}
    assert found == {tuple(f) for f in expected(case)["findings"]}


# frictionless-py leaves a compressed file open after reading it: its leak, not the case's.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_upstream(case: Path) -> None:
    """Upstream frictionless-py reports the expected error types (where it can read the case)."""
    types = expected(case)["frictionless"]
    if types is None:
        pytest.skip(expected(case).get("note", "upstream cannot read this case"))
    import frictionless

    report = frictionless.validate(str(descriptor(case)))
    assert sorted({t for (t,) in report.flatten(["type"])}) == types


def test_cases_are_described() -> None:
    """Every case says what it exercises, and why upstream is not run when it is not."""
    for case in CASES:
        written = expected(case)
        assert written.get("description"), case.name
        assert written["frictionless"] is not None or written.get("note"), case.name
