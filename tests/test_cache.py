"""The descriptor checks' cache: the same findings read back, checked again when their input or code changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_package
from intergov import cache
from intergov import package as package_layer
from intergov.package import load


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return copy_package(tmp_path / "copy")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache on, in a folder of this test's own."""
    where = tmp_path / "cache"
    monkeypatch.setenv("INTERGOV_CACHE_DIR", str(where))
    return where


def _break(package: Path) -> None:
    """A finding of each cached kind: the descriptor's title, a schema's field type."""
    data = json.loads(package.read_text(encoding="utf-8"))
    data["title"] = 5
    package.write_text(json.dumps(data, indent=2), encoding="utf-8")
    _set_type(package, "text-of-sorts")


def _set_type(package: Path, kind: str) -> None:
    schema = package.parent.parent / "schemas" / "agreements.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["fields"][2]["type"] = kind
    schema.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _not_run(*args, **kwargs):
    raise AssertionError("a check ran again although its input did not change")


def _checks_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_layer, "_profile_findings", _not_run)
    monkeypatch.setattr(package_layer, "schema_findings", _not_run)


def test_findings_read_back_are_the_findings_computed(package, folder, monkeypatch):
    _break(package)
    monkeypatch.setenv("INTERGOV_CACHE_DIR", "")
    _, without = load(package)
    assert {f.rule for f in without} == {"descriptor-invalid", "schema-invalid"}
    monkeypatch.setenv("INTERGOV_CACHE_DIR", str(folder))
    assert load(package)[1] == without
    _checks_not_run(monkeypatch)
    pkg, again = load(package)
    assert again == without
    assert pkg is not None and pkg.resource("agreements") is None  # still left out for its schema


def test_a_run_that_reads_everything_back_does_not_import_frictionless(package, folder):
    script = "import sys; from intergov.package import load; load(sys.argv[1]); print('frictionless' in sys.modules)"
    runs = [
        subprocess.run([sys.executable, "-c", script, str(package)], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]


def test_an_edited_schema_is_checked_again(package, folder):
    assert load(package)[1] == []
    _set_type(package, "text-of-sorts")
    assert {f.rule for f in load(package)[1]} == {"schema-invalid"}
    _set_type(package, "string")
    assert load(package)[1] == []


def test_other_checking_code_checks_again(package, folder, monkeypatch):
    load(package)
    _checks_not_run(monkeypatch)
    monkeypatch.setattr(cache, "_code", lambda: "another version")
    with pytest.raises(AssertionError, match="ran again"):
        load(package)


@pytest.mark.parametrize("content", ["{", "[]", '{"key": 1}', '{"key": "x", "findings": [{"line": 1}]}', ""])
def test_an_unusable_entry_is_computed_again(package, folder, content):
    _break(package)
    _, expected = load(package)
    entries = sorted(folder.iterdir())
    for entry in entries:
        entry.write_text(content, encoding="utf-8")
    assert load(package)[1] == expected
    assert all(json.loads(entry.read_text(encoding="utf-8"))["findings"] is not None for entry in entries)


def test_a_folder_that_cannot_be_written_is_left_alone(package, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("INTERGOV_CACHE_DIR", str(blocker / "cache"))
    _break(package)
    assert {f.rule for f in load(package)[1]} == {"descriptor-invalid", "schema-invalid"}


def test_an_empty_setting_turns_the_cache_off(package, tmp_path, monkeypatch):
    monkeypatch.setenv("INTERGOV_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    load(package)
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_one_entry_per_checked_file(package, folder):
    load(package)
    _set_type(package, "text-of-sorts")
    load(package)
    schemas = len(json.loads(package.read_text(encoding="utf-8"))["resources"])
    assert len(os.listdir(folder)) == 1 + schemas  # the descriptor, and each schema: the latest result only


def test_a_profile_frictionless_would_fetch_is_checked_every_time(package, folder, monkeypatch):
    monkeypatch.chdir(package.parent)
    profile = package.parent / "my-profile.json"
    profile.write_text(json.dumps({"type": "object"}), encoding="utf-8")
    data = json.loads(package.read_text(encoding="utf-8"))
    data["profile"] = "my-profile.json"
    package.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert load(package)[1] == []
    profile.write_text(json.dumps({"type": "object", "required": ["zzz"]}), encoding="utf-8")
    assert ["zzz" in f.message for f in load(package)[1]] == [True]


def test_a_long_value_reads_back_as_it_was_shown(package, folder):
    schema = package.parent.parent / "schemas" / "agreements.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["fields"][0]["constraints"]["pattern"] = "(" + "a" * 300
    schema.write_text(json.dumps(data, indent=2), encoding="utf-8")
    _, first = load(package)
    assert any(f.value and f.value.endswith("(301 characters)") for f in first)
    assert load(package)[1] == first


@pytest.mark.parametrize(
    ("document", "contained"),
    [
        ({"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "resources": [{"name": "a"}]}, True),
        ({"profile": "tabular-data-package", "resources": [{"profile": "tabular-data-resource"}]}, True),
        ({"$schema": "https://example.org/my-own-profile.json"}, True),  # only names a version: never fetched
        ({"profile": "https://datapackage.org/profiles/2.0/datapackage.json"}, False),  # a profile URL is fetched
        ({"profile": "data-resource"}, False),  # a resource's name on the package: read as a file
        ({"resources": [{"profile": "data-package"}]}, False),
        ({"resources": [{"schema": {"fields": [], "profile": "x"}}]}, False),
        ({"profiles": ["data-package"]}, False),
    ],
)
def test_only_json_frictionless_reads_nothing_else_for_is_cached(document, contained):
    assert cache.self_contained(document) is contained
