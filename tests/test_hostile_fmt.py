"""``intergov fmt`` on what a curator's tree can hold: files a killed run left, two resources on one file, and
files that are not canonical, named line by line, with the hint to run ``make fmt``.

Each case asserts the exit code, the output, that nothing else in ``tmp_path`` changed and that no traceback
was printed. The packages are written from scratch here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, snapshot
from intergov import fmt
from test_fmt import run_fmt

SCHEMA = {
    "fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}],
    "primaryKey": ["id"],
}
HINT = "run `make fmt` (intergov fmt) to rewrite them"


def tiny(root: Path, rows: bytes, resources: list[dict] | None = None) -> Path:
    """A package of one table ``items`` (``data/items.csv`` holding ``rows``), or of ``resources``; its descriptor."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "items.csv").write_bytes(rows)
    resources = resources or [{"name": "items", "path": "data/items.csv", "schema": SCHEMA}]
    descriptor = root / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "tiny", "resources": resources}), encoding="utf-8")
    return descriptor


def run(descriptor: Path, *args: str):
    return run_fmt(*args, descriptor=descriptor)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- files a killed run left ---------------------------------------------------------------------------


def killed_while_writing(target: Path) -> Path:
    """Run a process that starts :func:`intergov.fmt.write_atomic`'s temporary file beside ``target``, then is
    killed; the file it leaves."""
    before = set(target.parent.iterdir())
    code = (
        "import os, signal, sys; from pathlib import Path; from intergov import fmt; "
        "handle, name = fmt._new_file_beside(Path(sys.argv[1]).resolve()); os.write(handle, b'half a file'); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    process = subprocess.run([sys.executable, "-c", code, str(target)], check=False)
    assert process.returncode == -signal.SIGKILL
    (left,) = set(target.parent.iterdir()) - before
    return left


@pytest.mark.skipif(os.name != "posix", reason="a killed process is told apart by its id on POSIX")
def test_a_temporary_file_a_killed_run_left_is_removed_by_the_next(here: Path) -> None:
    descriptor = tiny(here, b"id,name\n2,b\n1,a\n")
    left = killed_while_writing(here / "data" / "items.csv")
    assert fmt.TEMPORARY.fullmatch(left.name) and left.name.startswith(".items.csv.")
    running = here / "data" / f".items.csv.{os.getpid()}-0123456789ab.tmp"  # this process: still writing it
    running.write_bytes(b"")

    before = snapshot(here)
    check = run(descriptor, "--check")
    assert check.exit_code == 1 and "removed" not in check.output
    assert snapshot(here) == before, "--check writes nothing, and removes nothing"

    result = run(descriptor)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"data/{left.name}: removed (a temporary file left by an interrupted intergov fmt)"
    )
    assert not left.exists() and running.exists()
    assert sorted(p.name for p in (here / "data").iterdir()) == [running.name, "items.csv"]
    assert (here / "data" / "items.csv").read_bytes() == b"id,name\n1,a\n2,b\n"


def test_an_old_temporary_file_of_no_known_process_is_stale(here: Path) -> None:
    descriptor = tiny(here, b"id,name\n1,a\n")
    old = here / "data" / ".items.csv.0123456789ab.tmp"  # no process id: an older intergov fmt's
    old.write_bytes(b"")
    aged = here / "data" / f".items.csv.{os.getpid()}-0123456789ab.tmp"
    aged.write_bytes(b"")
    os.utime(aged, (1, 1))  # older than STALE_AFTER: its process id has been reused
    unrelated = here / "data" / ".items.csv.notes.tmp"
    unrelated.write_bytes(b"keep")
    result = run(descriptor)
    assert result.exit_code == 0
    assert result.output.count("removed (a temporary file left by an interrupted intergov fmt)") == 2
    assert not old.exists() and not aged.exists() and unrelated.read_bytes() == b"keep"


def test_temporary_files_are_ignored_by_git() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    name = "datapackage/data/.figures.csv.4242-0123456789ab.tmp"
    found = subprocess.run(["git", "check-ignore", "--no-index", "-q", name], cwd=ROOT, check=False)
    assert found.returncode == 0, f"{name} would show as untracked"


# --- two resources on one file -------------------------------------------------------------------------


def test_two_resources_on_one_file_format_it_once(here: Path) -> None:
    same = [{"name": n, "path": "data/items.csv", "schema": SCHEMA} for n in ("items", "items_again")]
    descriptor = tiny(here, b"id,name\r\n2,b\r\n1,a\r\n", same)

    check = run(descriptor, "--check")
    assert check.exit_code == 1
    assert check.output.count("data/items.csv: not canonical") == 1
    assert check.output.splitlines()[-1] == f"1 file checked: 1 file not canonical; {HINT}"

    result = run(descriptor)
    assert result.exit_code == 0, result.output
    assert "changed while" not in result.output
    assert result.output.splitlines() == [
        "data/items.csv: reformatted (CR or CRLF line endings, rows not sorted by primary key (id))",
        "1 file checked: 1 file reformatted",
    ]
    assert (here / "data" / "items.csv").read_bytes() == b"id,name\n1,a\n2,b\n"
    assert run(descriptor, "--check").exit_code == 0


def test_two_resources_that_sort_one_file_differently_leave_it_alone(here: Path) -> None:
    by_name = {**SCHEMA, "primaryKey": ["name"]}
    both = [
        {"name": "items", "path": "data/items.csv", "schema": SCHEMA},
        {"name": "by_name", "path": "data/items.csv", "schema": by_name},
    ]
    descriptor = tiny(here, b"id,name\n2,a\n1,b\n", both)
    before = snapshot(here)
    for args in (["--check"], []):
        result = run(descriptor, *args)
        assert result.exit_code == 1, result.output
        assert result.output.splitlines() == [
            "data/items.csv: error [format-failed] the resources 'items', 'by_name' share this file but sort it "
            "differently; give each its own file [left alone: fix this first]",
            f"1 file checked: {'all canonical' if args else 'nothing to reformat'}, 1 file left alone",
        ]
    assert snapshot(here) == before


def test_a_shared_file_one_resource_cannot_parse_is_left_alone(here: Path) -> None:
    wider = {"fields": [*SCHEMA["fields"], {"name": "extra"}], "primaryKey": ["id"]}
    both = [
        {"name": "items", "path": "data/items.csv", "schema": SCHEMA},
        {"name": "wider", "path": "data/items.csv", "schema": wider},
    ]
    descriptor = tiny(here, b"id,name\n2,a\n1,b\n", both)
    before = snapshot(here)
    result = run(descriptor)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "data/items.csv:1: error [missing-label] the header has 2 columns and the schema 3 fields; fix the header, "
        "then format [left alone: fix this first]",
        "1 file checked: nothing to reformat, 1 file left alone",
    ]
    assert snapshot(here) == before


# --- fmt --check names every line ----------------------------------------------------------------------


def test_check_names_each_line_and_why(here: Path) -> None:
    rows = (
        b"\xef\xbb\xbfid,name\n"  # 1: byte-order mark
        b"1,a\n"  # 2
        b"5,e\r\n"  # 3: line endings (and later rows sort before it)
        b"3,c\n"  # 4: in order from line 2 on
        b"\n"  # 5: blank line
        b'4,"d"\n'  # 6: quoting
        b"6, f \n"  # 7: whitespace
        b"2,b\n"  # 8: out of order
        b"7,g"  # 9: no line break at the end
    )
    descriptor = tiny(here, rows)
    before = snapshot(here)
    result = run(descriptor, "--check")
    assert result.exit_code == 1
    assert snapshot(here) == before
    assert result.output.splitlines() == [
        "data/items.csv: not canonical: byte-order mark, CR or CRLF line endings, blank lines, "
        "whitespace around values, rows not sorted by primary key (id), no line break at the end, quoting",
        "data/items.csv:1: byte-order mark",
        "data/items.csv:3: not in canonical order, line endings",
        "data/items.csv:5: blank line",
        "data/items.csv:6: quoting",
        "data/items.csv:7: whitespace around values",
        "data/items.csv:8: not in canonical order",
        "data/items.csv:9: no line break at the end",
        f"1 file checked: 1 file not canonical; {HINT}",
    ]
    assert run(descriptor).exit_code == 0
    assert (here / "data" / "items.csv").read_bytes() == b"id,name\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n7,g\n"


def test_a_row_moved_is_the_only_row_out_of_order(here: Path) -> None:
    descriptor = tiny(here, b"id,name\n9,i\n" + b"".join(b"%d,x\n" % n for n in range(1, 9)))
    result = run(descriptor, "--check")
    assert result.output.splitlines()[:2] == [
        "data/items.csv: not canonical: rows not sorted by primary key (id)",
        "data/items.csv:2: not in canonical order",
    ]
    assert result.output.splitlines()[2].startswith("1 file checked")


def test_check_lists_many_lines_bounded_with_a_count(here: Path) -> None:
    descriptor = tiny(here, b"id,name\r\n" + b"".join(b"%d,x\r\n" % n for n in range(1, 101)))
    result = run(descriptor, "--check")
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert lines[1:3] == ["data/items.csv:1: line endings", "data/items.csv:2: line endings"]
    assert len([line for line in lines if re.match(r"data/items\.csv:\d+: line endings$", line)]) == fmt.LISTED_LINES
    assert lines[-2:] == [
        "data/items.csv: 81 more lines not canonical",
        f"1 file checked: 1 file not canonical; {HINT}",
    ]


def test_the_hint_comes_last_even_after_schema_errors(here: Path) -> None:
    broken = {"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["nope"]}
    resources = [
        {"name": "items", "path": "data/items.csv", "schema": SCHEMA},
        {"name": "broken", "path": "data/broken.csv", "schema": broken},
    ]
    descriptor = tiny(here, b"id,name\n2,b\n1,a\n", resources)
    (here / "data" / "broken.csv").write_bytes(b"id\n1\n")
    result = run(descriptor, "--check")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "1 file checked: 1 file not canonical; tables whose schema has errors (above) were not checked; " + HINT
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_validate_says_to_run_make_fmt_when_only_the_form_is_wrong(tmp_path: Path) -> None:
    """A blank line is a validation error too; ``make validate`` still ends with the canonical-form check."""
    descriptor = tiny(tmp_path, b"id,name\n1,a\n\n2,b\n")
    before = snapshot(tmp_path)
    environment = {**os.environ, "INTERGOV_CACHE_DIR": ""}
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "validate", f"PACKAGE={descriptor}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode != 0
    assert "[blank-row]" in result.stdout
    assert f"{descriptor.parent / 'data' / 'items.csv'}:3: blank line" in result.stdout
    assert result.stdout.splitlines()[-1] == f"1 file checked: 1 file not canonical; {HINT}"
    assert "Traceback" not in result.stdout + result.stderr
    assert snapshot(tmp_path) == before
