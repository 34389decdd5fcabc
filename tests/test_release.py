"""Versions, release tags and ``intergov release``: the bump each change needs, the CHANGELOG entry.

Git repositories are made in ``tmp_path`` only; nothing here runs git in the project's own repository.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, append_row, set_cell
from intergov.build import build
from intergov.cli import main
from intergov.diff import Level
from intergov.release import (
    ReleaseError,
    Version,
    bump_level,
    changelog_path,
    check,
    parse_version,
    release_time,
    write_entry,
)
from test_build import make_project
from test_diff import AGREEMENT, remove_field

#: Fixed identities and dates for the commits of the test repositories.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Curator",
    "GIT_AUTHOR_EMAIL": "curator@example.org",
    "GIT_COMMITTER_NAME": "Curator",
    "GIT_COMMITTER_EMAIL": "curator@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, when: str = "2026-11-28T10:00:00+00:00") -> None:
    """Run git in the test repository ``repo`` (never in the project's own)."""
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def commit(repo: Path, message: str, when: str = "2026-11-29T10:00:00+00:00") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project repository with the real package committed and tagged v0.1.0; its descriptor."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    descriptor = make_project(tmp_path / "repo")
    git(tmp_path / "repo", "init", "-q", "-b", "main")
    commit(tmp_path / "repo", "0.1.0", when="2026-11-28T10:00:00+00:00")
    git(tmp_path / "repo", "tag", "v0.1.0")
    return descriptor


def set_version(descriptor: Path, version: str) -> None:
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    data["version"] = version
    descriptor.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def release_check(descriptor: Path):
    return CliRunner().invoke(main, ["release", "check", str(descriptor)])


def test_versions() -> None:
    assert parse_version("0.10.2") == Version(0, 10, 2) and str(Version(1, 2, 3)) == "1.2.3"
    assert Version(0, 1, 9) < Version(0, 10, 0)
    for bad in ("1.0", "v1.0.0", "01.0.0", "1.0.0-rc1", ""):
        with pytest.raises(ReleaseError, match=r"MAJOR\.MINOR\.PATCH"):
            parse_version(bad)
    assert Version(0, 1, 3).bumped(Level.MINOR) == Version(0, 2, 0)
    assert Version(0, 1, 3).bumped(Level.MAJOR) == Version(1, 0, 0)
    assert bump_level(Version(0, 1, 0), Version(0, 1, 0)) == Level.NONE
    assert bump_level(Version(0, 1, 0), Version(0, 1, 1)) == Level.PATCH
    assert bump_level(Version(0, 1, 0), Version(0, 3, 0)) == Level.MINOR
    assert bump_level(Version(0, 1, 0), Version(1, 0, 0)) == Level.MAJOR
    assert bump_level(Version(0, 2, 0), Version(0, 1, 9)) is None


@pytest.mark.parametrize(
    ("edit", "level", "short", "enough", "shown"),
    [
        (
            lambda d: set_cell(d, "agreements", AGREEMENT, "signed_city", "Astana"),
            "patch",
            "0.1.0",
            "0.1.1",
            "signed_city: '' -> 'Astana'",
        ),
        (
            lambda d: append_row(d, "people", {"person_id": "new-person", "full_name": "New", "country_code": "KAZ"}),
            "minor",
            "0.1.1",
            "0.2.0",
            "  + new-person",
        ),
        (lambda d: remove_field(d, "agreements", "signed_city"), "major", "0.2.0", "1.0.0", "'signed_city' removed"),
    ],
    ids=["edit-cell", "add-row", "remove-field"],
)
def test_diff_and_check_against_the_tag(repo: Path, edit, level: str, short: str, enough: str, shown: str) -> None:
    edit(repo)
    commit(repo.parent.parent, "edit")
    diffed = CliRunner().invoke(main, ["diff", "v0.1.0", "HEAD", "--repo", str(repo.parent.parent), "--view", "full"])
    assert diffed.exit_code == 1, diffed.output
    assert f"needs a {level} version bump" in diffed.stdout and shown in diffed.stdout
    set_version(repo, short)
    refused = release_check(repo)
    assert refused.exit_code == 1
    assert f"the changes since v0.1.0 need a {level} bump" in refused.stdout
    assert f'set "version": "{enough}"' in refused.stdout
    set_version(repo, enough)
    passed = release_check(repo)
    assert passed.exit_code == 0, passed.output
    assert f"ok: version {enough} is a {level} bump from v0.1.0" in passed.stdout


def test_unchanged_package_passes_without_a_bump(repo: Path) -> None:
    result = release_check(repo)
    assert result.exit_code == 0 and "no differences" in result.stdout


def test_the_latest_tag_is_the_highest_version(repo: Path) -> None:
    set_version(repo, "0.10.0")
    commit(repo.parent.parent, "0.10.0")
    git(repo.parent.parent, "tag", "v0.10.0")
    git(repo.parent.parent, "tag", "v0.9.0", "HEAD~1")
    git(repo.parent.parent, "tag", "not-a-release")
    result = check(repo)
    assert result.tag == "v0.10.0" and result.ok


def test_a_version_lower_than_the_tag_fails(repo: Path) -> None:
    set_version(repo, "0.0.9")
    result = release_check(repo)
    assert result.exit_code == 1 and "lower than the latest release v0.1.0" in result.stdout


def test_no_tag_yet_is_a_first_release(tmp_path: Path) -> None:
    descriptor = make_project(tmp_path / "repo")
    git(tmp_path / "repo", "init", "-q")
    result = release_check(descriptor)
    assert result.exit_code == 0 and "will be the first release (v0.1.0)" in result.stdout


def test_no_release_time_before_the_first_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    descriptor = make_project(tmp_path / "repo")
    assert release_time([descriptor]) is None
    git(tmp_path / "repo", "init", "-q")
    assert release_time([descriptor]) is None


def test_outside_git_is_a_usage_problem(tmp_path: Path) -> None:
    result = release_check(make_project(tmp_path))
    assert result.exit_code == 2 and "not in a git repository" in result.stderr


def test_release_writes_the_changelog_entry(repo: Path) -> None:
    append_row(repo, "people", {"person_id": "new-person", "full_name": "New", "country_code": "KAZ"})
    set_version(repo, "0.2.0")
    done = write_entry(repo, today=date(2026, 12, 1))
    assert done.written
    text = done.changelog.read_text(encoding="utf-8")
    entry = text.split("## 0.2.0 - 2026-12-01\n", 1)[1].split("\n## 0.1.0", 1)[0]
    assert "Minor release; changes since v0.1.0:" in entry and "- `people`: 1 row added" in entry
    assert text.index("## 0.2.0") < text.index("## 0.1.0")
    again = CliRunner().invoke(main, ["release", str(repo)])
    assert again.exit_code == 0
    assert "already has an entry for 0.2.0" in again.stdout and "git tag -a v0.2.0" in again.stdout
    assert done.changelog.read_text(encoding="utf-8") == text


def test_release_cli_names_the_tag(repo: Path) -> None:
    set_cell(repo, "agreements", AGREEMENT, "signed_city", "Astana")
    set_version(repo, "0.1.1")
    result = CliRunner().invoke(main, ["release", str(repo)])
    assert result.exit_code == 0, result.output
    assert "wrote the 0.1.1 entry" in result.stdout and "git tag -a v0.1.1" in result.stdout
    assert re.search(r"^## 0\.1\.1 - \d{4}-\d{2}-\d{2}$", (repo.parent.parent / "CHANGELOG.md").read_text(), re.M)


def test_release_refuses_an_insufficient_bump(repo: Path) -> None:
    remove_field(repo, "agreements", "signed_city")
    set_version(repo, "0.2.0")
    before = (repo.parent.parent / "CHANGELOG.md").read_text()
    result = CliRunner().invoke(main, ["release", str(repo)])
    assert result.exit_code == 1 and "need a major bump" in result.stdout
    assert (repo.parent.parent / "CHANGELOG.md").read_text() == before


def test_release_of_the_tagged_version_writes_nothing(repo: Path) -> None:
    result = CliRunner().invoke(main, ["release", str(repo)])
    assert result.exit_code == 0 and "already released as v0.1.0" in result.stdout


def test_release_time_is_the_last_commit_of_the_inputs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = [repo, repo.parent / "data" / "people.csv"]
    assert release_time(inputs) == datetime(2026, 11, 28, 10, tzinfo=UTC)
    (repo.parent.parent / "NOTES.txt").write_text("code or notes, not data\n")
    commit(repo.parent.parent, "notes", when="2026-12-05T10:00:00+00:00")
    assert release_time(inputs) == datetime(2026, 11, 28, 10, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert release_time(inputs) == datetime(1970, 1, 1, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ReleaseError, match="SOURCE_DATE_EPOCH"):
        release_time(inputs)


def test_build_in_git_takes_created_from_the_commit_and_equals_the_tag(repo: Path, tmp_path: Path) -> None:
    built = build(repo, tmp_path / "dist")
    descriptor = json.loads((built.folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["created"] == "2026-11-28T10:00:00Z"
    result = CliRunner().invoke(main, ["diff", "v0.1.0", str(built.zip), "--repo", str(repo.parent.parent)])
    assert result.exit_code == 0 and "no differences" in result.stdout


def test_a_table_that_cannot_be_read_is_a_usage_problem(repo: Path) -> None:
    people = repo.parent / "data" / "people.csv"
    people.write_bytes(people.read_bytes() + "Иван,Петров\n".encode("cp1251"))
    for args in (["release", "check", str(repo)], ["release", str(repo)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "people.csv" in result.stderr and "not UTF-8" in result.stderr
        assert isinstance(result.exception, SystemExit), "a message, not a traceback"


def test_the_changelog_is_replaced_atomically_keeping_its_permissions(repo: Path) -> None:
    changelog = repo.parent.parent / "CHANGELOG.md"
    changelog.chmod(0o640)
    append_row(repo, "people", {"person_id": "new-person", "full_name": "New", "country_code": "KAZ"})
    set_version(repo, "0.2.0")
    assert write_entry(repo, today=date(2026, 12, 1)).written
    assert stat.S_IMODE(changelog.stat().st_mode) == 0o640
    assert [p.name for p in changelog.parent.iterdir() if p.name.startswith(".CHANGELOG")] == []


def test_a_first_changelog_is_created(repo: Path, umask_027: int) -> None:
    changelog = repo.parent.parent / "CHANGELOG.md"
    changelog.unlink()
    set_version(repo, "0.1.1")
    done = write_entry(repo, today=date(2026, 12, 1))
    assert done.written and changelog.read_text(encoding="utf-8").startswith("# Changelog\n\n## 0.1.1 - 2026-12-01\n")
    assert stat.S_IMODE(changelog.stat().st_mode) == umask_027
    assert [p.name for p in changelog.parent.iterdir() if p.name.startswith(".CHANGELOG")] == []


def test_release_from_inside_the_package_folder_finds_the_changelog(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.parent)
    assert changelog_path("datapackage.json") == repo.parent.parent.absolute() / "CHANGELOG.md"


def reference_script():
    """``scripts/reference.py`` as a module."""
    spec = importlib.util.spec_from_file_location("reference", ROOT / "scripts" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_tables_are_written_atomically_from_the_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_027: int
) -> None:
    reference = reference_script()
    data = shutil.copytree(ROOT / "datapackage" / "data", tmp_path / "data")
    monkeypatch.setattr(reference, "DATA", data)
    countries = data / "countries.csv"
    countries.write_text("country_code,alpha_2_code,numeric_code,name\nAZE,AZ,031,Azerbaijan\n", encoding="utf-8")
    countries.chmod(0o640)
    assert reference.main(["--check"]) == 1
    assert reference.main([]) == 0
    assert countries.read_bytes() == (ROOT / "datapackage" / "data" / "countries.csv").read_bytes()
    assert stat.S_IMODE(countries.stat().st_mode) == 0o640
    assert sorted(p.name for p in data.iterdir()) == sorted(p.name for p in (ROOT / "datapackage" / "data").iterdir())
    countries.unlink()
    assert reference.main([]) == 0  # a missing table is made, as any new file
    assert countries.read_bytes() == (ROOT / "datapackage" / "data" / "countries.csv").read_bytes()
    assert stat.S_IMODE(countries.stat().st_mode) == umask_027
    schema = json.loads((ROOT / "schemas" / "currencies.json").read_text(encoding="utf-8"))
    header = reference.table_text("currencies").split("\n", 1)[0]
    assert header == ",".join(f["name"] for f in schema["fields"])
