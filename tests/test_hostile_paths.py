"""Hostile packages: nothing escapes the repository (:mod:`intergov.paths`).

Each case builds a tiny project in ``tmp_path/repo`` (a one-table package, its
schema through the ``datapackage/schemas`` link, ``CHANGELOG.md`` and
``LICENSE``), with a sibling folder ``tmp_path/outside`` that a hostile package
aims at. Every command runs through the real entry point (click's runner), and
each case checks the exit code, the finding or message, that no traceback
appeared, and that nothing outside the repository was written or changed.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import test_release
from conftest import ROOT, opened_files, snapshot
from intergov import build as builder
from intergov import package as package_layer
from intergov.cli import main

ENGINES = ("fast", "frictionless")
DESCRIPTOR = "datapackage/datapackage.json"
#: A fixed release time for builds that are not about git: 2026-11-28T00:00:00Z.
EPOCH = "1795824000"
SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "label", "type": "string"},
    ],
    "primaryKey": ["id"],
}
GIT_ENV = {
    **test_release.GIT_ENV,
    "GIT_AUTHOR_DATE": "2026-11-28T10:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-11-28T10:00:00+00:00",
}


# --- the project and its neighbour -----------------------------------------------------------------------


def dump(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"


def write_descriptor(repo: Path, data: dict) -> str:
    """Write the descriptor; return its text."""
    text = dump(data)
    (repo / DESCRIPTOR).write_text(text, encoding="utf-8")
    return text


def descriptor(repo: Path) -> dict:
    return json.loads((repo / DESCRIPTOR).read_text(encoding="utf-8"))


def edit(repo: Path, change: Callable[[dict], None]) -> str:
    """Change the descriptor in place; return its new text."""
    data = descriptor(repo)
    change(data)
    return write_descriptor(repo, data)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-table project in ``tmp_path/repo`` (the working folder), and ``tmp_path/outside`` beside it."""
    repo = tmp_path / "repo"
    (repo / "datapackage" / "data").mkdir(parents=True)
    (repo / "schemas").mkdir()
    (repo / "datapackage" / "schemas").symlink_to(Path("..") / "schemas")
    (repo / "schemas" / "t.json").write_text(dump(SCHEMA), encoding="utf-8")
    (repo / "datapackage" / "data" / "t.csv").write_text("id,label\n1,a\n2,b\n", encoding="utf-8")
    write_descriptor(
        repo,
        {
            "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
            "name": "tiny",
            "version": "0.1.0",
            "resources": [{"name": "t", "path": "data/t.csv", "schema": "schemas/t.json"}],
        },
    )
    (repo / "CHANGELOG.md").write_text("# Changelog\n\n## 0.1.0 - 2026-11-28\n\nFirst release.\n", encoding="utf-8")
    (repo / "LICENSE").write_text("CC-BY-4.0\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("token=SECRET-TOKEN\n", encoding="utf-8")
    (outside / "profile.json").write_text('{"type": "object"}\n', encoding="utf-8")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    return repo


def run(repo: Path, *args: str, code: int, opened: list[str] | None = None) -> Result:
    """Run ``intergov ARGS`` in ``repo``; check the exit code, that no traceback appeared, and that nothing
    outside the repository was written (the sibling folders hold the same bytes, and nothing new is beside them).

    With ``opened``, the paths of the files the command opened are appended to it.
    """
    around = repo.parent
    before = {p.name: snapshot(p) for p in around.iterdir() if p != repo}
    with opened_files(opened):
        result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    assert {p.name: snapshot(p) for p in around.iterdir() if p != repo} == before, "wrote outside the repository"
    return result


def validate(repo: Path, engine: str, code: int = 1, opened: list[str] | None = None) -> list[dict]:
    """The findings of ``intergov validate --format json --engine ENGINE``."""
    result = run(repo, "validate", "--format", "json", "--engine", engine, DESCRIPTOR, code=code, opened=opened)
    return json.loads(result.stdout)["findings"]


def only(findings: list[dict], rule: str) -> dict:
    matching = [f for f in findings if f["rule"] == rule]
    assert len(matching) == 1 and len(findings) == 1, findings
    return matching[0]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def init(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "0.1.0")
    git(repo, "tag", "v0.1.0")


# --- 1. resource names name files ----------------------------------------------------------------------

HOSTILE_NAMES = {
    "parent": "../../outside/evil",
    "slash": "a/b",
    "backslash": "a\\b",
    "nul": "t\x00x",
    "dot-dot": "..",
    "hidden": ".t",
    "upper-case": "T",
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
def test_a_resource_name_that_is_not_a_plain_name_is_a_finding(repo: Path, engine: str, name: str) -> None:
    text = edit(repo, lambda d: d["resources"][0].update(name=name))
    finding = only(validate(repo, engine), "unsafe-path")
    assert finding["line"] == line_of(text, '"name": ' + json.dumps(name))
    assert finding["value"] == name
    assert "not a plain name" in finding["message"] and "^[a-z0-9][a-z0-9._-]*$" in finding["message"]
    result = run(repo, "build", DESCRIPTOR, code=1)  # the same finding: nothing is built
    assert "unsafe-path" in result.stdout
    assert not (repo / "dist").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_plain_resource_name_passes(repo: Path, engine: str) -> None:
    edit(repo, lambda d: d["resources"][0].update(name="t.v2_x-1"))
    assert validate(repo, engine, code=0) == []


def test_build_refuses_a_resource_name_on_its_own(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: with the validation check gone, build still never writes data/../../x.csv."""
    edit(repo, lambda d: d["resources"][0].update(name="../../outside/evil"))
    monkeypatch.setattr(package_layer, "name_problem", lambda name: None)
    result = run(repo, "build", DESCRIPTOR, code=2)
    assert "not built: resource name '../../outside/evil' is not a plain name" in result.stderr
    assert not (repo / "dist").exists()


# --- 2. CHANGELOG.md and LICENSE are the project's own ----------------------------------------------------


@pytest.mark.parametrize("name", ["LICENSE", "CHANGELOG.md"])
@pytest.mark.parametrize("target", ["outside", "git-config"])
def test_build_refuses_a_project_file_linked_elsewhere(repo: Path, name: str, target: str) -> None:
    init(repo)
    git(repo, "config", "remote.origin.url", "https://user:SECRET-TOKEN@example.org/repo.git")
    (repo / name).unlink()
    if target == "outside":
        linked = repo.parent / "outside" / "secret.txt"
        linked.write_text("## 0.1.0\ntoken=SECRET-TOKEN\n", encoding="utf-8")
        (repo / name).symlink_to(linked)
    else:
        (repo / name).symlink_to(Path(".git") / "config")
    result = run(repo, "build", DESCRIPTOR, code=2)
    assert f"{name} is a link to " in result.stderr and "replace the link with the file" in result.stderr
    assert not (repo / "dist").exists()


def test_build_follows_a_link_inside_the_repository(repo: Path) -> None:
    (repo / "docs").mkdir()
    (repo / "LICENSE").rename(repo / "docs" / "LICENSE")
    (repo / "LICENSE").symlink_to(Path("docs") / "LICENSE")
    run(repo, "build", DESCRIPTOR, code=0)
    assert (repo / "dist" / "tiny-0.1.0" / "LICENSE").read_text(encoding="utf-8") == "CC-BY-4.0\n"


def _bump(repo: Path) -> None:
    """A new row and version 0.2.0 (a minor release), after the tag v0.1.0."""
    (repo / "datapackage" / "data" / "t.csv").write_text("id,label\n1,a\n2,b\n3,c\n", encoding="utf-8")
    edit(repo, lambda d: d.update(version="0.2.0"))


def test_release_never_rewrites_a_changelog_linked_outside(repo: Path) -> None:
    init(repo)
    _bump(repo)
    linked = repo.parent / "outside" / "CHANGELOG.md"
    linked.write_text("# Changelog elsewhere\n", encoding="utf-8")
    (repo / "CHANGELOG.md").unlink()
    (repo / "CHANGELOG.md").symlink_to(linked)
    result = run(repo, "release", DESCRIPTOR, code=2)
    assert "CHANGELOG.md is a link to " in result.stderr and "outside the repository" in result.stderr
    assert linked.read_text(encoding="utf-8") == "# Changelog elsewhere\n"


def test_release_writes_a_changelog_linked_inside_the_repository(repo: Path) -> None:
    (repo / "docs").mkdir()
    (repo / "CHANGELOG.md").rename(repo / "docs" / "CHANGELOG.md")
    (repo / "CHANGELOG.md").symlink_to(Path("docs") / "CHANGELOG.md")
    init(repo)
    _bump(repo)
    result = run(repo, "release", DESCRIPTOR, code=0)
    assert "wrote the 0.2.0 entry" in result.stdout
    assert "## 0.2.0" in (repo / "docs" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert (repo / "CHANGELOG.md").is_symlink()


# --- 3. a NUL byte in a path ------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("key", "value"), [("path", "data/t.csv\x00.txt"), ("schema", "schemas/t.json\x00")])
def test_a_nul_byte_in_a_path_is_a_finding(repo: Path, engine: str, key: str, value: str) -> None:
    text = edit(repo, lambda d: d["resources"][0].update({key: value}))
    finding = only(validate(repo, engine), "unsafe-path")
    assert finding["line"] == line_of(text, json.dumps(value))
    assert finding["value"] == value and "NUL" in finding["message"]
    run(repo, "build", DESCRIPTOR, code=1)
    assert not (repo / "dist").exists()


# --- 4. committed links seen through git refs -------------------------------------------------------------


def _linked_tag(repo: Path, target: str) -> None:
    """Tag v0.1.0 on a tree whose table is a link to ``target``; then commit the real file again."""
    table = repo / "datapackage" / "data" / "t.csv"
    content = table.read_bytes()
    table.unlink()
    table.symlink_to(target)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "linked")
    git(repo, "tag", "v0.1.0")
    table.unlink()
    table.write_bytes(content)
    commit(repo, "the file itself")


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_a_committed_link_out_of_the_tree_is_refused_by_diff_and_release_check(repo: Path, kind: str) -> None:
    secret = repo.parent / "outside" / "secret.txt"
    _linked_tag(repo, str(secret) if kind == "absolute" else "../../../outside/secret.txt")
    for args in (["diff", "v0.1.0", "HEAD"], ["release", "check", DESCRIPTOR]):
        result = run(repo, *args, code=2)
        assert "v0.1.0: refused datapackage/data/t.csv -> " in result.stderr, result.output
        assert "may not link outside the tree" in result.stderr


def test_a_link_elsewhere_in_the_tree_does_not_stop_a_diff(repo: Path) -> None:
    (repo / "notes").symlink_to("/etc/hostname")
    init(repo)
    (repo / "datapackage" / "data" / "t.csv").write_text("id,label\n1,a\n2,c\n", encoding="utf-8")
    commit(repo, "a corrected value")
    result = run(repo, "diff", "v0.1.0", "HEAD", code=1)
    assert "1 row changed" in result.stdout


def test_a_package_path_that_leaves_the_tree_is_refused(repo: Path) -> None:
    init(repo)
    result = run(repo, "diff", "v0.1.0", "HEAD", "--package", "../outside/datapackage.json", code=2)
    assert "--package '../outside/datapackage.json': refused a path that leaves the package folder" in result.stderr


# --- 5. shallow clones -------------------------------------------------------------------------------------


@pytest.fixture
def clones(repo: Path) -> tuple[Path, Path]:
    """A breaking change after v0.1.0 with the version unchanged; a shallow and a full clone of it."""
    init(repo)
    edit(repo, lambda d: d.update(description="changed"))
    schema = json.loads(dump(SCHEMA))
    schema["fields"][1]["type"] = "integer"  # retyped: a major change
    (repo / "schemas" / "t.json").write_text(dump(schema), encoding="utf-8")
    (repo / "datapackage" / "data" / "t.csv").write_text("id,label\n1,1\n2,2\n", encoding="utf-8")
    commit(repo, "retyped")
    shallow, full = repo.parent / "shallow", repo.parent / "full"
    for target, depth in ((shallow, ["--depth", "1"]), (full, [])):
        subprocess.run(["git", "clone", "-q", *depth, repo.as_uri(), str(target)], check=True, capture_output=True)
    return shallow, full


def test_release_check_refuses_a_shallow_clone(clones: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    shallow, full = clones
    monkeypatch.chdir(full)
    assert "need a major bump" in run(full, "release", "check", DESCRIPTOR, code=1).stdout
    monkeypatch.chdir(shallow)
    result = run(shallow, "release", "check", DESCRIPTOR, code=2)
    assert "is a shallow clone" in result.stderr and "git fetch --unshallow --tags" in result.stderr
    assert "first release" not in result.output


def test_build_in_a_shallow_clone_needs_source_date_epoch(
    clones: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    shallow, _ = clones
    monkeypatch.chdir(shallow)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    result = run(shallow, "build", DESCRIPTOR, code=2)
    assert "is a shallow clone" in result.stderr and "set SOURCE_DATE_EPOCH" in result.stderr
    assert not (shallow / "dist").exists()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    run(shallow, "build", DESCRIPTOR, code=0)
    built = json.loads((shallow / "dist" / "tiny-0.1.0" / "datapackage.json").read_text(encoding="utf-8"))
    assert built["created"] == "2026-11-28T00:00:00Z"


# --- 6. a key written twice in a JSON object ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_repeated_key_in_a_schema_is_a_finding_at_its_line(repo: Path, engine: str) -> None:
    text = dump(SCHEMA).replace('"required": true', '"required": true,\n          "required": false')
    (repo / "schemas" / "t.json").write_text(text, encoding="utf-8")
    finding = only(validate(repo, engine), "schema-json")
    assert finding["path"] == "datapackage/schemas/t.json"
    assert finding["line"] == line_of(text, '"required": false')
    assert finding["value"] == "required" and "written twice" in finding["message"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_repeated_key_in_the_descriptor_is_a_finding_at_its_line(repo: Path, engine: str) -> None:
    text = (repo / DESCRIPTOR).read_text(encoding="utf-8")
    text = text.replace('"path": "data/t.csv",', '"path": "data/t.csv",\n      "path": "../outside/secret.txt",')
    (repo / DESCRIPTOR).write_text(text, encoding="utf-8")
    finding = only(validate(repo, engine), "descriptor-json")
    assert finding["line"] == line_of(text, '"path": "../outside')
    assert finding["value"] == "path"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_repeated_key_in_an_inline_schema_is_found_too(repo: Path, engine: str) -> None:
    text = edit(repo, lambda d: d["resources"][0].update(schema=SCHEMA))
    text = text.replace('"type": "string"', '"type": "string",\n            "type": "integer"')
    (repo / DESCRIPTOR).write_text(text, encoding="utf-8")
    finding = only(validate(repo, engine), "descriptor-json")
    assert finding["line"] == line_of(text, '"type": "string",') + 1


# --- 7. $schema and profile never read a file outside or a URL -----------------------------------------------

REFERENCES = {
    "schema-local-file": ("$schema", "{outside}/profile.json"),
    "schema-relative-file": ("$schema", "../outside/profile.json"),
    "schema-loopback-url": ("$schema", "http://127.0.0.1:9/profile.json"),
    "schema-custom-url": ("$schema", "https://example.org/my-profile.json"),
    "profile-loopback-url": ("profile", "http://localhost:9/profile.json"),
    "profile-outside-file": ("profile", "../../outside/profile.json"),
}


@pytest.mark.parametrize("where", ["descriptor", "schema-file", "inline-schema"])
@pytest.mark.parametrize(("key", "value"), list(REFERENCES.values()), ids=list(REFERENCES))
def test_a_profile_outside_is_the_same_finding_in_both_engines(repo: Path, where: str, key: str, value: str) -> None:
    value = value.format(outside=repo.parent / "outside")
    if where == "descriptor":
        text, shown = edit(repo, lambda d: d.update({key: value})), DESCRIPTOR
    elif where == "schema-file":
        text, shown = dump({key: value, **SCHEMA}), "datapackage/schemas/t.json"
        (repo / "schemas" / "t.json").write_text(text, encoding="utf-8")
    else:
        text, shown = edit(repo, lambda d: d["resources"][0].update(schema={key: value, **SCHEMA})), DESCRIPTOR
    found, opened = {}, []
    for engine in ENGINES:
        found[engine] = validate(repo, engine, opened=opened)
    assert any(p.endswith(DESCRIPTOR) for p in opened), "the recorder sees the files that are read"
    assert not [p for p in opened if "outside" in p], "a profile outside was read"
    assert found["fast"] == found["frictionless"]
    finding = only(found["fast"], "unsafe-path")
    assert (finding["path"], finding["line"], finding["value"]) == (shown, line_of(text, json.dumps(value)), value)
    assert key in finding["message"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_a_standard_profile_passes(repo: Path, engine: str, version: str) -> None:
    edit(repo, lambda d: d.update({"$schema": f"https://datapackage.org/profiles/{version}/datapackage.json"}))
    schema = {"$schema": f"https://datapackage.org/profiles/{version}/tableschema.json", **SCHEMA}
    (repo / "schemas" / "t.json").write_text(dump(schema), encoding="utf-8")
    assert validate(repo, engine, code=0) == []


# --- 8. leftovers and races in dist/ -------------------------------------------------------------------------


def test_a_stale_staging_folder_is_removed_by_the_next_build(repo: Path) -> None:
    stale = repo / "dist" / f"{builder.STAGING}tiny-0.1.0.k1ll3d"
    (stale / "tiny-0.1.0" / "data").mkdir(parents=True)
    (stale / "tiny-0.1.0" / "data" / "t.csv").write_text("partial", encoding="utf-8")
    run(repo, "build", DESCRIPTOR, code=0)
    assert sorted(p.name for p in (repo / "dist").iterdir()) == ["SHA256SUMS", "tiny-0.1.0", "tiny-0.1.0.zip"]


def test_sums_linked_outside_dist_are_neither_read_nor_written(repo: Path) -> None:
    (repo / "dist").mkdir()
    (repo / "dist" / "SHA256SUMS").symlink_to(repo.parent / "outside" / "secret.txt")
    result = run(repo, "build", DESCRIPTOR, code=2)
    assert "dist/SHA256SUMS resolves to " in result.stderr and "outside dist" in result.stderr
    assert sorted(p.name for p in (repo / "dist").iterdir()) == ["SHA256SUMS"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_resource_path_into_git_is_refused(repo: Path, engine: str) -> None:
    """A package at the top of its repository cannot publish the repository's .git folder."""
    (repo / "datapackage" / ".git").mkdir()
    (repo / "datapackage" / ".git" / "t.csv").write_text("id,label\n1,a\n", encoding="utf-8")
    edit(repo, lambda d: d["resources"][0].update(path=".git/t.csv"))
    finding = only(validate(repo, engine), "unsafe-path")
    assert finding["value"] == ".git/t.csv" and ".git" in finding["message"]


def test_staging_folders_are_kept_out_of_git() -> None:
    ignored = subprocess.run(
        ["git", "-C", str(ROOT), "check-ignore", "--no-index", "-q", "elsewhere/.intergov-staging-x-0.1.0.abc/x"],
        check=False,
    )
    assert ignored.returncode == 0


def _release(version: str) -> tuple[str, dict[str, bytes], bytes]:
    stem = f"tiny-{version}"
    return stem, {"LICENSE": f"licence of {version}\n".encode()}, f"zip of {version}".encode()


def test_a_build_waits_for_the_one_writing_in_dist_and_keeps_its_staging(repo: Path) -> None:
    dist = repo / "dist"
    dist.mkdir()
    builder._publish(dist, *_release("0.1.0"))
    busy = dist / f"{builder.STAGING}tiny-0.9.0.inuse"
    busy.mkdir()
    handle = os.open(dist, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX)  # another build is writing
    waiting = threading.Thread(target=builder._publish, args=(dist, *_release("0.2.0")))
    try:
        waiting.start()
        time.sleep(0.3)
        assert waiting.is_alive() and busy.is_dir(), "a staging folder in use is left alone"
        assert "tiny-0.2.0" not in (dist / "SHA256SUMS").read_text(encoding="utf-8")
    finally:
        os.close(handle)
    waiting.join(10)
    assert not busy.exists(), "once the lock is free, what is left is stale"
    listed = (dist / "SHA256SUMS").read_text(encoding="utf-8")
    assert "tiny-0.1.0.zip" in listed and "tiny-0.2.0.zip" in listed


def test_builds_of_different_versions_into_one_dist_keep_every_line(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = repo / "dist"
    dist.mkdir()
    sums = builder._sums

    def slow_sums(*args: Any) -> str:  # widen the read-modify-write window a lost update needs
        text = sums(*args)
        time.sleep(0.05)
        return text

    monkeypatch.setattr(builder, "_sums", slow_sums)
    threads = [threading.Thread(target=builder._publish, args=(dist, *_release(f"0.{n}.0"))) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    listed = (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("  ")[1] for line in listed if line.endswith(".zip")) == [
        f"tiny-0.{n}.0.zip" for n in range(1, 7)
    ]
    assert not list(dist.glob(f"{builder.STAGING}*"))
