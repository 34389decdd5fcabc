"""Every command on random packages: random bytes and random JSON as descriptor, schema and CSV never make a
traceback, an exit code outside {0, 1, 2} or a run that does not end.

Each example writes a package from scratch (descriptor, an inline or file schema, a CSV: each random bytes,
random JSON or a random but well-formed one), then runs ``intergov validate`` with both engines, ``intergov
fmt --check``, ``intergov fmt``, ``intergov build`` into a dist folder of its own, ``intergov diff`` of the
package before and after ``fmt``, and ``intergov.load`` on the package and on what was built. A release that
was built must load.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from intergov import LoadError, load
from intergov.cli import main

#: Time one example may take (all the commands on one package); the whole test stays within a few seconds.
DEADLINE = timedelta(seconds=15)
SETTINGS = settings(
    max_examples=60,
    deadline=DEADLINE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TYPES = ["string", "integer", "number", "boolean", "date", "datetime", "year", "any", "object", "geopoint", "x"]
#: Cells: random text, or values that some type reads.
CELLS = st.sampled_from(["1", "-2", "1.5", "2024-01-02", "2024", "true", "", "a", "x y"])
TEXT = st.text(alphabet=st.sampled_from('ab1 ,"\n\r\t=-\x00\u200bé.'), max_size=6) | st.text(max_size=6)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
NAMES = st.sampled_from(["id", "name", "n", "when", "ok"]) | st.sampled_from(["", "id ", "n"]) | TEXT


@st.composite
def fields(draw: st.DrawFn) -> dict:
    field = {"name": draw(NAMES), "type": draw(st.sampled_from(TYPES[:7] if not rarely(draw) else TYPES))}
    if not rarely(draw):
        return field
    for key, values in [
        ("constraints", st.fixed_dictionaries({}, optional={
            "required": st.booleans(), "unique": st.booleans(), "pattern": TEXT, "enum": st.lists(TEXT, max_size=3),
            "minimum": JSON, "maxLength": st.integers(-1, 5),
        })),
        ("format", st.sampled_from(["default", "any", "%Y", "email", "uri"]) | TEXT),
        ("missingValues", st.lists(TEXT, max_size=2)),
        ("x-partialDate", st.booleans()),
        ("groupChar", TEXT),
        ("trueValues", st.lists(TEXT, max_size=2)),
    ]:  # fmt: skip
        if draw(st.booleans()):
            field[key] = draw(values)
    return field


@st.composite
def schemas(draw: st.DrawFn) -> dict:
    schema = {"fields": draw(st.lists(fields(), min_size=1, max_size=4, unique_by=lambda f: f["name"]))}
    names = [f["name"] for f in schema["fields"]] or ["id"]
    if draw(st.booleans()):
        schema["primaryKey"] = (
            draw(JSON) if rarely(draw) else draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
        )
    if rarely(draw):
        schema["foreignKeys"] = [
            {"fields": names[:1], "reference": {"resource": draw(st.sampled_from(["", "t", "u"]))}}
        ]
        schema["foreignKeys"][0]["reference"]["fields"] = draw(st.sampled_from([names[:1], names[-1:]]) | JSON)
    if rarely(draw):
        schema["uniqueKeys"] = [draw(st.lists(st.sampled_from(names), max_size=2))]
    if rarely(draw):
        schema["missingValues"] = draw(st.lists(TEXT, max_size=2) | JSON)
    return schema


def rarely(draw: st.DrawFn) -> bool:
    """True one time in five: most files are well-formed, so that the commands get past the first check."""
    return draw(st.sampled_from(range(5))) == 4


def document(draw: st.DrawFn, value: object) -> bytes:
    """``value`` as JSON, or rarely random JSON or random bytes."""
    if rarely(draw):
        return draw(JSON.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=40))
    return json.dumps(value).encode()


@st.composite
def packages(draw: st.DrawFn) -> dict[str, bytes]:
    """The files of a package, by path in its folder."""
    schema = draw(schemas())
    inline = draw(st.booleans())
    resource = {"name": draw(st.sampled_from(["T t", ""])) if rarely(draw) else "t", "path": "data/t.csv"}
    resource["schema"] = schema if inline else "t.schema.json"
    if rarely(draw):
        resource["path"] = draw(st.sampled_from(["../t.csv", "/etc/passwd", "data", "https://x.org/t.csv"]) | JSON)
    resources = [resource]
    if draw(st.booleans()):  # a second table, on its own file or on the same one
        resources.append({"name": "u", "path": draw(st.sampled_from(["data/u.csv", "data/t.csv"])), "schema": schema})
    descriptor = {"name": "p", "version": draw(st.sampled_from(["0.1.0", "1", "x"])), "resources": resources}
    files = {"datapackage.json": document(draw, descriptor), "data/u.csv": b"id\n1\n"}
    if not inline:
        files["t.schema.json"] = document(draw, schema)
    names = [f["name"] if isinstance(f.get("name"), str) else "" for f in schema["fields"]]
    rows = draw(st.lists(st.lists(CELLS | TEXT, min_size=len(names), max_size=len(names)), max_size=4))
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows([names, *rows])
    files["data/t.csv"] = draw(st.binary(max_size=60)) if rarely(draw) else buffer.getvalue().encode()
    return files


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def invoke(*args: str) -> int:
    """Run ``intergov`` in-process; the exit code, after checking there was no traceback."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output)
    assert "Traceback" not in result.output, (args, result.output)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    return result.exit_code


def loads(path: Path) -> bool:
    """Whether ``intergov.load`` reads ``path``; any error it raises is a :class:`LoadError`."""
    try:
        load(path)
    except LoadError:
        return False
    return True


@pytest.fixture(scope="module", autouse=True)
def settled() -> Iterator[None]:
    """A fixed release time, so that build never asks git; and what the commands import already imported, so that
    no example pays for it against the deadline."""
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as tmp:
        patch.setenv("SOURCE_DATE_EPOCH", "1795824000")
        invoke("validate", "--engine", "frictionless", tmp)
        yield


def package(schema: dict, rows: bytes = b"id\n1\n1\n") -> dict[str, bytes]:
    descriptor = {"name": "p", "version": "0.1.0", "resources": [{"name": "t", "path": "data/t.csv", "schema": schema}]}
    return {"datapackage.json": json.dumps(descriptor).encode(), "data/t.csv": rows}


#: Keys that name no field: once a traceback in both engines (unique key: the finding's column; foreign key:
#: the fast engine's key codes), now a ``schema-invalid`` finding (:mod:`intergov.schema_checks`).
EMPTY_UNIQUE_KEY = {"fields": [{"name": "id"}], "uniqueKeys": [[]]}
EMPTY_FOREIGN_KEY = {
    "fields": [{"name": "id"}],
    "foreignKeys": [{"fields": [], "reference": {"resource": "", "fields": []}}],
}


@SETTINGS
@example(files=package(EMPTY_UNIQUE_KEY))
@example(files=package(EMPTY_FOREIGN_KEY))
@given(files=packages())
def test_every_command_on_a_random_package_ends_cleanly(files: dict[str, bytes]) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="intergov-hostile-") as tmp:
        project = Path(tmp)
        (project / "CHANGELOG.md").write_text("# Changelog\n\n## 0.1.0 - 2026-01-01\n\nFirst.\n", encoding="utf-8")
        (project / "LICENSE").write_text("CC-BY-4.0\n", encoding="utf-8")
        package = write(project / "datapackage", files)
        before = shutil.copytree(package, project / "before")
        for engine in ("fast", "frictionless"):
            event(f"validate: exit {invoke('validate', '--engine', engine, str(package))}")
        invoke("fmt", "--check", str(package))
        invoke("fmt", str(package))
        invoke("diff", str(before), str(package))
        assert not loads(package), "a source package is not a release"
        built = invoke("build", str(package), "--dist", str(project / "dist"))
        event(f"build: exit {built}")
        if built == 0:
            (release,) = (project / "dist").glob("*.zip")
            assert loads(release.with_suffix("")) and loads(release), "a release that was built must load"
            invoke("diff", str(release), str(package))
    assert time.monotonic() - started < DEADLINE.total_seconds()


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
@pytest.mark.parametrize(
    ("schema", "code", "message"),
    [
        (EMPTY_UNIQUE_KEY, 1, "error [schema-invalid] a key that names no field (an empty list); list its fields"),
        (EMPTY_FOREIGN_KEY, 1, "error [schema-invalid] a key that names no field (an empty list); list its fields"),
        ({"fields": [{"name": "id"}], "uniqueKeys": [["id"]]}, 1, "data/t.csv:3:1: error [unique-error]"),
    ],
    ids=["empty-unique-key", "empty-foreign-key", "unique-key"],
)
def test_a_key_that_names_no_field_is_a_schema_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, schema: dict, code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, package(schema))
    result = CliRunner().invoke(main, ["validate", "--engine", engine, "."])
    assert result.exit_code == code and "Traceback" not in result.output
    assert message in result.output


@pytest.fixture(scope="module")
def release_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from test_hostile_load import tiny_release

    folder = tiny_release(tmp_path_factory.mktemp("zip"))
    return (folder.parent / f"{folder.name}.zip").read_bytes()


@settings(max_examples=100, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=4)), min_size=1, max_size=4), cut=st.booleans()
)
def test_a_damaged_release_zip_loads_or_is_a_load_error(
    release_zip: bytes, edits: list[tuple[int, bytes]], cut: bool
) -> None:
    """Bytes of a release zip overwritten (or the zip cut short there): ``load`` and ``intergov diff`` read it or
    refuse it with a :class:`LoadError` (exit 2), never a traceback."""
    data = bytearray(release_zip)
    for position, replacement in edits:
        at = position % len(data)
        data[at : at + len(replacement)] = replacement
    if cut:
        data = data[: edits[0][0] % len(data)]
    with tempfile.TemporaryDirectory() as tmp:
        damaged = Path(tmp) / "damaged.zip"
        damaged.write_bytes(bytes(data))
        event(f"load: {'read' if loads(damaged) else 'refused'}")
        invoke("diff", str(damaged), str(damaged))
