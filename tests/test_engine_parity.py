"""The fast engine finds what frictionless-py finds: generated and mutated packages through both engines.

frictionless-py (through the reference engine) is the oracle: for every
package, both engines must report the same findings (rule, file, line,
column, field, value and message) and hand the rules layer the same text and
typed frames. Documented differences are normalised by :func:`comparable`:

- ``frictionless-error`` findings (frictionless-py failing on the package as a
  whole) have no counterpart: the fast engine does not fail that way.

Both engines read the CSV dialect the package declares (comma, double quote,
header on row 1). frictionless-py guesses instead, from the first 100 rows:
the delimiter and quoting with ``csv.Sniffer`` and the header row from the
rows' widths. Generated files on which it would guess otherwise are not
compared (:func:`read_as_declared`); cells never hold ``;``, ``|`` or a tab.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import append_row, copy_package, read_rows, set_cell, write_rows
from intergov.engine import run
from intergov.package import load

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

#: Cells per type: canonical forms, forms only frictionless-py's reader accepts, and wrong ones.
CELLS = {
    "string": ["a", "ab-c", "AZE", "aze", "Baku", "é", "аZE", "two\nlines", "ab\n", "a,b", 'say "hi"', " ", "x" * 12],
    "uri": ["https://x.org/a", "mailto:a@b", "x", "1a:b", "ab:", ":x", "http://é.az"],
    "integer": ["1", "2", "-3", "007", " 4", "+5", "1_000", "1.0", "x", "99999999999999999999", "١٢", "0"],
    "number": ["1.5", "-0", "0", "1e3", "1,5", "1 000,5", "NaN", "inf", "abc", ".5", "5.", "2", "1.50", "0.1"],
    "boolean": ["true", "0", "1", "yes", "TRUE", " true", "False", "no"],
    "date": [
        "2020-01-31",
        "2020-02-29",
        "2021-02-29",
        "2020-1-5",
        "0000-01-01",
        "2020-13-01",
        "20200101",
        "2023-04-07",
    ],
    "datetime": [
        "2020-01-31T10:00:00Z",
        "2020-01-31T10:00:00+01:30",
        "2020-01-31T09:00:00",
        "2020-01-31T24:00:00",
        "2020-01-31 10:00:00",
        "2020-01-31T10:00",
        "2020-01-31T10:00:00.5Z",
        "2020-01-31T11:00:00+01:00",
    ],
    "time": ["10:00:00", "24:00:00", "10:00", "10:00:00Z", "1:00:00", "23:59:59"],
    "year": ["2020", "0", "-100", "+123", " 12", "20201", "1999"],
    "yearmonth": ["2020-01", "2020-13", "2020-1", "2020-01-01", "1999-12"],
    "any": ["a", "1", "", "x y"],
}

PATTERNS = ["[a-z0-9]+(-[a-z0-9]+)*", "[A-Z]{3}", r"\d+", "a|b", "[^x]*", r"\w{1,4}", "(a|b)c", "[a-z]+\\d?"]


def _field(name: str, draw) -> dict:
    kind = draw(st.sampled_from(sorted(CELLS)))
    field: dict = {"name": name, "type": "string" if kind == "uri" else kind}
    if kind == "uri":
        field["format"] = "uri"
    constraints: dict = {}
    if draw(st.booleans()):
        constraints["required"] = True
    if draw(st.integers(0, 5)) == 0:
        constraints["unique"] = True
    if draw(st.integers(0, 3)) == 0 and kind not in ("any",):
        constraints["enum"] = draw(st.lists(st.sampled_from(CELLS[kind]), min_size=1, max_size=3, unique=True))
    if kind == "string":
        if draw(st.booleans()):
            constraints["pattern"] = draw(st.sampled_from(PATTERNS))
        if draw(st.integers(0, 2)) == 0:
            constraints[draw(st.sampled_from(["minLength", "maxLength"]))] = draw(st.integers(1, 4))
    bounds = {"integer": [0, 2, "1"], "number": [0, 1.5], "date": ["2020-02-01"], "year": [2000]}
    if kind in bounds and draw(st.booleans()):
        name_ = draw(st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]))
        constraints[name_] = draw(st.sampled_from(bounds[kind]))
    if kind == "number":
        option = draw(st.integers(0, 4))
        if option == 1:
            field.update(decimalChar=",", groupChar=" ")
        elif option == 2:
            field["bareNumber"] = False
        elif option == 3:
            field["groupChar"] = ","
    if kind == "boolean" and draw(st.booleans()):
        field.update(trueValues=["yes", "1"], falseValues=["no", "0"])
    if kind == "integer" and draw(st.integers(0, 4)) == 0:
        field["bareNumber"] = False
    if constraints:
        field["constraints"] = constraints
    return field


@st.composite
def packages(draw) -> tuple[dict, dict[str, list[list[str]]]]:
    """A descriptor with one or two tables (keys, foreign keys) and their records."""
    resources, data = [], {}
    count = draw(st.integers(1, 2))
    for t in range(count):
        name = f"t{t}"
        fields = [{"name": "id", "type": draw(st.sampled_from(["string", "integer", "string"]))}]
        fields += [_field(f"f{i}", draw) for i in range(draw(st.integers(1, 4)))]
        schema: dict = {"fields": fields}
        if draw(st.booleans()):
            schema["missingValues"] = ["", "NA"]
        key = draw(st.sampled_from([[], ["id"], ["id", "f0"]]))
        if key:
            schema["primaryKey"] = key
        if draw(st.integers(0, 3)) == 0:
            schema["uniqueKeys"] = [["id", "f0"]]
        fks = []
        if t == 1 and draw(st.booleans()):
            target = resources[0]["schema"]
            remote = target.get("primaryKey") or ["id"]
            local = ["id", "f0"][: len(remote)]
            fks.append({"fields": local, "reference": {"resource": "t0", "fields": remote}})
        if draw(st.integers(0, 3)) == 0:
            fks.append({"fields": ["f0"], "reference": {"resource": "", "fields": ["id"]}})
        if fks:
            schema["foreignKeys"] = fks
        header = [f["name"] for f in fields]
        mutation = draw(st.integers(0, 9))
        if mutation == 1:
            header[-1] = "other"
        elif mutation == 2:
            header.append("extra")
        elif mutation == 3:
            header = header[:-1] or header
        elif mutation == 4:
            header[-1] = header[0]
        elif mutation == 5:
            header[-1] = ""
        rows = [header]
        for _ in range(draw(st.integers(0, 7))):
            row = [draw(st.sampled_from([*_pool(f), "", "NA"])) for f in fields]
            shape = draw(st.integers(0, 12))
            if shape == 1:
                row = []
            elif shape == 2:
                row = [*row, "surplus"]
            elif shape == 3:
                row = row[:-1]
            elif shape == 4:
                row = [""] * len(row)
            elif shape == 5 and rows[1:]:
                row = list(rows[draw(st.integers(1, len(rows) - 1))])
            rows.append(row)
        data[name] = rows
        resources.append({"name": name, "path": f"data/{name}.csv", "schema": schema})
    layout = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "bom"]))
    return {"$schema": PROFILE, "name": "generated", "resources": resources, "x-layout": layout}, data


def _pool(field: dict) -> list[str]:
    return CELLS["uri" if field.get("format") == "uri" else field["type"]]


def write_package(root: Path, descriptor: dict, data: dict[str, list[list[str]]]) -> Path:
    """Write a descriptor and its CSV files (blank records as blank lines); return the descriptor path."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    layout = descriptor.get("x-layout", "\n")  # line ending, or a byte-order mark
    ending = "\r\n" if layout == "\r\n" else "\n"
    for name, rows in data.items():
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator=ending)
        for row in rows:
            if row:
                writer.writerow(row)
            else:
                buffer.write(ending)
        text = ("\ufeff" if layout == "bom" else "") + buffer.getvalue()
        (root / "data" / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    path = root / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return path


def read_as_declared(text: str) -> bool:
    """Whether frictionless-py's guesses (dialect, header row) read ``text`` as the declared dialect does.

    Mirrors ``CsvParser.read_cell_stream_create`` (``csv.Sniffer`` on the first
    100 lines; a guessed ``'`` quote is taken back) and the header-row guess of
    ``Detector.detect_dialect`` (the first row about as wide as the average).
    """
    lines = text.splitlines(keepends=True)[:100]
    try:
        sniffed = csv.Sniffer().sniff("".join(lines), ",\t;|")
    except csv.Error:
        sniffed = csv.excel()
    if sniffed.quotechar == "'":
        sniffed.quotechar = '"'
    declared = list(csv.reader(io.StringIO(text, newline="")))
    if list(csv.reader(io.StringIO(text, newline=""), dialect=sniffed)) != declared:
        return False
    widths = [len(cells) for cells in declared[:100]]
    if not widths:
        return True
    width = round(sum(widths) / len(widths))
    drift = max(round(width * 0.1), 1)
    first = next((n for n, w in enumerate(widths, 1) if abs(w - width) <= drift), 1)
    return first == 1


def comparable(findings) -> set:
    """Findings as a set, without the documented differences (frictionless-py's own failures)."""
    return {f for f in findings if f.rule != "frictionless-error"}


def assert_same(path: Path) -> None:
    """Both engines: the same findings, and the same text and typed frames."""
    package, _ = load(path)
    assert package is not None
    reference = run(package, "frictionless")
    fast = run(package, "fast")
    assert comparable(fast.findings) == comparable(reference.findings)
    assert set(fast.tables) == set(reference.tables)
    for name, table in reference.tables.items():
        pd.testing.assert_frame_equal(fast.tables[name].text, table.text)
        pd.testing.assert_frame_equal(fast.tables[name].typed, table.typed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packages())
def test_generated_packages(tmp_path_factory, generated):
    descriptor, data = generated
    path = write_package(tmp_path_factory.mktemp("pkg"), descriptor, data)
    for resource in descriptor["resources"]:
        assume(read_as_declared((path.parent / resource["path"]).read_text(encoding="utf-8-sig")))
    assert_same(path)


# Mutated copies of the real package


def _mutations(descriptor: Path, seed: int) -> None:
    """Apply a few random edits of every kind a curator makes by mistake."""
    rng = random.Random(seed)
    tables = ["agreements", "agreement_parties", "figures", "contracts", "sessions", "sources", "events"]
    for _ in range(4):
        table = rng.choice(tables)
        rows = read_rows(descriptor, table)
        header, body = rows[0], rows[1:]
        kind = rng.randrange(8)
        row = rng.randrange(len(body))
        if kind == 0:  # a wrong value in a random cell
            column = rng.randrange(len(header))
            body[row][column] = rng.choice(["", "x", "2022-13", "-5", "AZE\u200b", "1,5", "Treaty", "n/a"])
        elif kind == 1:  # a duplicated row
            body.insert(row, list(body[row]))
        elif kind == 2:  # a removed referenced row
            del body[row]
        elif kind == 3:  # a cell too many or too few
            body[row] = body[row] + ["x"] if rng.random() < 0.5 else body[row][:-1]
        elif kind == 4:  # a blank record
            body.insert(row, [""] * len(header))
        elif kind == 5:  # a renamed header column
            header[rng.randrange(len(header))] = "renamed"
        elif kind == 6:  # a cell across lines
            body[row][-1] = body[row][-1] + "\nmore"
        else:  # an empty key
            body[row][0] = ""
        write_rows(descriptor, table, [header, *body])


@pytest.mark.parametrize("seed", range(12))
def test_mutated_real_package(tmp_path, seed):
    descriptor = copy_package(tmp_path)
    _mutations(descriptor, seed)
    assert_same(descriptor)


def test_real_package(package):
    assert_same(package)


def test_targeted_edits(package):
    set_cell(package, "agreements", "comprehensive-programme-2022-2026", "kind", "treatise")
    set_cell(package, "agreements", "comprehensive-programme-2022-2026", "signed_on", "2022-8")
    append_row(package, "agreement_parties", {"agreement_id": "nowhere", "party_number": "1", "country_code": "AZE"})
    csv_path = package.parent / "data" / "currency_conversions.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert_same(package)


def test_a_key_with_a_trailing_line_break_breaks_its_pattern(package):
    """``$`` matches before a final line break; a Table Schema pattern matches the whole value, in both engines."""
    line = set_cell(
        package, "currency_conversions", "trend-2023-04-07-trade-usd", "conversion_id", "trend-2023-04-07-trade-usd\n"
    )
    assert_same(package)
    loaded, _ = load(package)
    found = {
        (f.path.endswith("currency_conversions.csv"), f.line, f.field, f.rule) for f in run(loaded, "fast").findings
    }
    assert (True, line, "conversion_id", "constraint-pattern") in found
