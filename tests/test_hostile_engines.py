"""Hostile input at the Table Schema layer: no hang, no lost value, no traceback, the same findings in both engines.

Each case is a tiny package written from scratch and run through the real
command (``intergov validate --format json``) in a subprocess, in each engine,
under a timeout that guards against a hang (not a timing assertion):

- a catastrophic ``pattern`` such as ``(a+)+`` is matched in linear time (RE2);
- a pattern RE2 cannot match so is a schema finding, never matched with Python's ``re``;
- a value a release cannot hold (an integer beyond int64, ``NaN``, ``INF``) is an error, not a silent loss;
- JSON nested deeper than frictionless-py can follow is a finding;
- a foreign key to an undeclared resource gives the same findings in both engines.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intergov.engine import ENGINES
from intergov.patterns import PatternError, matcher, problem

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

#: Seconds a run may take before it counts as hung (a run takes about two).
HANG = 20

INTEGER_RANGE = (
    "too large for a release: Parquet integers are 64-bit (from -9223372036854775808 to 9223372036854775807), "
    "so it would be published as empty; correct the value, or make the field a number"
)
NOT_FINITE = (
    "not a finite number: a release holds numbers as exact decimals, which have no NaN or infinity; "
    "write the number, or leave the cell empty when it is not known"
)


def write_package(root: Path, fields: list[dict], rows: list[list[str]], **schema) -> Path:
    """A one-table package (``t``, inline schema) in ``root``; return the descriptor."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    resource = {"name": "t", "path": "data/t.csv", "schema": {"fields": fields, **schema}}
    descriptor = root / "datapackage.json"
    descriptor.write_text(json.dumps({"$schema": PROFILE, "name": "p", "resources": [resource]}, indent=2))
    (root / "data" / "t.csv").write_text("".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return descriptor


def intergov(*args: str) -> subprocess.CompletedProcess:
    """Run the ``intergov`` command in a subprocess (killed after :data:`HANG` seconds: a hang fails)."""
    env = {**os.environ, "INTERGOV_CACHE_DIR": ""}
    command = [sys.executable, "-c", "from intergov.cli import main; main()", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG, env=env)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def validate(descriptor: Path, engine: str) -> tuple[int, list[dict]]:
    """Exit code and findings of ``intergov validate --format json`` in ``engine``."""
    result = intergov("validate", "--format", "json", "--engine", engine, str(descriptor))
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["findings"]


def seen(findings: list[dict]) -> list[tuple]:
    """What each finding says, without the folder it ran in."""
    return [(Path(f["path"]).name, f["line"], f["rule"], f["value"], f["message"]) for f in findings]


def line_of(path: Path, text: str) -> int:
    """The line of ``path`` on which ``text`` first appears."""
    return path.read_text(encoding="utf-8")[: path.read_text(encoding="utf-8").index(text)].count("\n") + 1


# --- catastrophic patterns -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("tail", ["é", "!"], ids=["non-ascii", "ascii"])
def test_a_catastrophic_pattern_is_matched_in_linear_time(tmp_path: Path, engine: str, tail: str) -> None:
    value = "a" * 30 + tail
    fields = [{"name": "c", "type": "string", "constraints": {"pattern": "(a+)+"}}]
    descriptor = write_package(tmp_path, fields, [["c"], ["aaa"], [value]])
    code, findings = validate(descriptor, engine)
    assert code == 1
    [(path, line, rule, shown, message)] = seen(findings)
    assert (path, line, rule, shown) == ("t.csv", 3, "constraint-pattern", value)
    assert message.startswith("does not match the pattern (a+)+")


def test_fmt_check_matches_a_catastrophic_pattern_in_linear_time(tmp_path: Path) -> None:
    """``fmt`` asks the pattern whether a value's surrounding whitespace is part of it."""
    fields = [{"name": "c", "type": "string", "constraints": {"pattern": "(a+)+"}}]
    descriptor = write_package(tmp_path, fields, [["c"], [" " + "a" * 30 + "é "]])
    result = intergov("fmt", "--check", str(descriptor))
    assert result.returncode == 1
    assert "t.csv" in result.stdout + result.stderr and "whitespace" in result.stdout + result.stderr


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(a)\1", "uses a backreference, which RE2 cannot match in linear time"),
        (r"(?=a)a", "uses a lookahead or lookbehind, which RE2 cannot match in linear time"),
        (r"(?>a+)", "uses an atomic group, which RE2 cannot match in linear time"),
        (r"a{1001}", "is beyond what RE2 can match (invalid repetition size: {1001})"),
    ],
    ids=["backreference", "lookahead", "atomic-group", "repetition"],
)
def test_a_pattern_re2_cannot_match_is_a_schema_finding(tmp_path: Path, engine: str, pattern: str, why: str) -> None:
    fields = [{"name": "c", "type": "string", "constraints": {"pattern": pattern}}]
    descriptor = write_package(tmp_path, fields, [["c"], ["a"]])
    code, findings = validate(descriptor, engine)
    assert code == 1
    line = line_of(descriptor, '"pattern"')
    assert seen(findings) == [
        ("datapackage.json", line, "schema-invalid", pattern, f"the pattern of field 'c' {why}; correct it")
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_unicode_classes_mean_what_python_means(tmp_path: Path, engine: str) -> None:
    r"""``\d``, ``\w`` and ``\s`` are Unicode classes, as in Python (RE2's own are ASCII)."""
    fields = [{"name": "c", "type": "string", "constraints": {"pattern": r"\w+\s\d+"}}]
    rows = [["c"], ["Azərbaycan\u00a0١٢"], ["Баку 7"], ["a-b 1"]]
    code, findings = validate(write_package(tmp_path, fields, rows), engine)
    assert code == 1
    assert [(line, rule) for _, line, rule, _, _ in seen(findings)] == [(4, "constraint-pattern")]


#: Patterns and values a backtracking matcher decides at once: RE2's answer must be Python's.
_ATOMS = ["a", "b", r"\d", r"\w", r"\s", r"\W", ".", "[a-c]", "[^a]", r"[^\W\d_]", "é", r"\.", "(?i:k)", "(?a:\\w)"]
_PATTERNS = st.recursive(
    st.sampled_from(_ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map("".join),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}|{p[1]})"),
        st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "*?"])).map(lambda p: f"(?:{p[0]}){p[1]}"),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(_PATTERNS, st.lists(st.text(alphabet="abkK é\n\t\u00a0١2_-.Аü", max_size=5), min_size=1, max_size=8))
def test_the_re2_matcher_agrees_with_python(pattern: str, values: list[str]) -> None:
    whole = matcher(pattern)
    for value in values:
        assert whole(value) == (re.fullmatch(f"(?:{pattern})", value) is not None), (pattern, value)


def test_a_dollar_is_the_end_of_the_value() -> None:
    assert not matcher("[a-z]+$")("aze\n") and matcher("[a-z]+$")("aze")


def test_an_unusable_pattern_raises_a_pattern_error_not_a_regex_error() -> None:
    assert problem(r"\bx") is not None and problem(r"(?a)\bx") is None
    with pytest.raises(PatternError, match="not a regular expression"):
        matcher("([a-z")


# --- values a release cannot hold ----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_an_integer_beyond_int64_is_an_error_not_a_silent_null(tmp_path: Path, engine: str) -> None:
    huge = "1" + "0" * 25
    rows = [["n", "note"], ["9223372036854775808", "a"], [huge, "b"], ["-9223372036854775809", "c"], ["5", "d"]]
    descriptor = write_package(tmp_path, [{"name": "n", "type": "integer"}, {"name": "note"}], rows)
    code, findings = validate(descriptor, engine)
    assert code == 1
    assert seen(findings) == [
        ("t.csv", 2, "integer-range", "9223372036854775808", INTEGER_RANGE),
        ("t.csv", 3, "integer-range", huge, INTEGER_RANGE),
        ("t.csv", 4, "integer-range", "-9223372036854775809", INTEGER_RANGE),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lone_integer_column_is_checked_too(tmp_path: Path, engine: str) -> None:
    """A row whose typed values are all null (the integer was too large to type) still gets its findings."""
    descriptor = write_package(tmp_path, [{"name": "n", "type": "integer"}], [["n"], ["9223372036854775808"]])
    code, findings = validate(descriptor, engine)
    assert code == 1 and seen(findings) == [("t.csv", 2, "integer-range", "9223372036854775808", INTEGER_RANGE)]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_int64_limits_themselves_are_valid(tmp_path: Path, engine: str) -> None:
    rows = [["n"], ["9223372036854775807"], ["-9223372036854775808"], ["+5"]]
    code, findings = validate(write_package(tmp_path, [{"name": "n", "type": "integer"}], rows), engine)
    assert (code, findings) == (0, [])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("field", [{}, {"floatNumber": True}, {"constraints": {"minimum": 0}}], ids=str)
def test_a_number_that_is_not_finite_is_an_error(tmp_path: Path, engine: str, field: dict) -> None:
    cells = ["NaN", "INF", "-INF", "sNaN", "-Infinity"]
    if field:  # float() does not read "sNaN", and frictionless-py cannot compare it with a bound: not these cases
        cells[3] = "nan"
    rows = [["x"], *([c] for c in cells), ["1.5"]]
    code, findings = validate(write_package(tmp_path, [{"name": "x", "type": "number", **field}], rows), engine)
    assert code == 1
    if "constraints" in field:  # frictionless-py reads NaN as below the minimum; INF is not, -INF is
        assert {(line, rule) for _, line, rule, _, _ in seen(findings)} == {
            (2, "constraint-minimum"),
            (3, "number-finite"),
            (4, "constraint-minimum"),
            (5, "constraint-minimum"),
            (6, "constraint-minimum"),
        }
    else:
        assert seen(findings) == [("t.csv", n, "number-finite", c, NOT_FINITE) for n, c in enumerate(cells, 2)]


@pytest.mark.parametrize("engine", ENGINES)
def test_finite_numbers_are_valid(tmp_path: Path, engine: str) -> None:
    rows = [["x"], ["1.5"], ["-0"], ["1e3"], ["1" + "0" * 28]]
    code, findings = validate(write_package(tmp_path, [{"name": "x", "type": "number"}], rows), engine)
    assert (code, findings) == (0, [])


# --- nesting -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("depth", [600, 100_000])
def test_json_nested_too_deeply_is_a_finding(tmp_path: Path, engine: str, depth: int) -> None:
    descriptor = write_package(tmp_path, [{"name": "c", "x-note": 0}], [["c"], ["a"]])
    descriptor.write_text(descriptor.read_text().replace('"x-note": 0', '"x-note": ' + "[" * depth + "]" * depth))
    code, findings = validate(descriptor, engine)
    assert code == 1
    [(path, _, rule, _, message)] = seen(findings)
    assert path == "datapackage.json" and rule in ("descriptor-json", "schema-json")
    assert "nested too deeply" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_json_nested_a_little_is_valid(tmp_path: Path, engine: str) -> None:
    descriptor = write_package(tmp_path, [{"name": "c", "x-note": [[["a"]]]}], [["c"], ["a"]])
    assert validate(descriptor, engine) == (0, [])


# --- foreign keys --------------------------------------------------------------------------------------


def test_a_foreign_key_to_an_undeclared_resource_gives_the_same_findings_in_both_engines(tmp_path: Path) -> None:
    keys = [{"fields": [f"f{i}"], "reference": {"resource": "nope", "fields": ["id"]}} for i in range(5)]
    fields = [{"name": f"f{i}"} for i in range(5)]
    descriptor = write_package(tmp_path, fields, [[f"f{i}" for i in range(5)], ["a"] * 5], foreignKeys=keys)
    results = {engine: validate(descriptor, engine) for engine in ENGINES}
    assert results["fast"] == results["frictionless"]
    code, findings = results["fast"]
    assert code == 1 and len(findings) == 5
    assert {rule for _, _, rule, _, _ in seen(findings)} == {"schema-invalid"}
    assert all("'nope', which the package does not declare" in f["message"] for f in findings)
