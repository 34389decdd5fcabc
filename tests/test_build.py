"""``intergov build``: layout, canonical CSV, reproducibility, safety (no partial or overwritten version)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import FIXTURE, FIXTURE_PACKAGE, ROOT, copy_package, csv_path, set_cell
from intergov import build as builder
from intergov import schema as ts
from intergov.build import BuildError, InvalidPackage, NotCanonical, PublishError, VersionExists, build
from intergov.cli import main
from intergov.fmt import apply, canonical_text, format_package
from intergov.package import load
from intergov.reader import sha256
from intergov.schema import exact_decimal
from intergov.validate import validate

#: A fixed release time (SOURCE_DATE_EPOCH) for builds outside git: 2026-11-28T00:00:00Z.
EPOCH = "1795824000"


def make_project(tmp_path: Path) -> Path:
    """A copy of the real package with the project's CHANGELOG.md and LICENSE beside it; its descriptor."""
    descriptor = copy_package(tmp_path)
    for name in ("CHANGELOG.md", "LICENSE"):
        shutil.copy(ROOT / name, tmp_path / name)
    return descriptor


def format_all(descriptor: Path) -> None:
    """Put every table of the package into canonical form, as ``intergov fmt`` does."""
    package, _ = load(descriptor)
    for table in format_package(package):
        apply(table)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build_at(epoch: str, descriptor: Path, dist: Path) -> Path:
    """Build the package at ``descriptor`` into ``dist`` at SOURCE_DATE_EPOCH ``epoch``; the release folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", epoch)
        return build(descriptor, dist).folder


def build_release(root: Path) -> Path:
    """Build the fixture package, copied into ``root``, into ``root/dist`` at :data:`EPOCH`; the release folder."""
    return build_at(EPOCH, make_project(root / "project"), root / "dist")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One release built for the read-only tests of this module."""
    return build_release(tmp_path_factory.mktemp("release"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project the test may edit, built at :data:`EPOCH`."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return make_project(tmp_path / "project")


def test_layout(release: Path) -> None:
    assert release.name == "intergov-0.1.0"
    names = [r["name"] for r in json.loads((FIXTURE_PACKAGE).read_text())["resources"]]
    expected = {"datapackage.json", "README.md", "CHANGELOG.md", "LICENSE"}
    expected |= {f"data/{n}.csv" for n in names} | {f"data/{n}.parquet" for n in names}
    assert set(tree(release)) == expected
    assert sorted(p.name for p in release.parent.iterdir()) == ["SHA256SUMS", "intergov-0.1.0", "intergov-0.1.0.zip"]


def test_a_release_validates_with_its_parquet_forms_named_not_misread(release: Path) -> None:
    result = validate(release / "datapackage.json")
    assert result.exit_code == 0
    parquet = {f.path for f in result.findings if f.rule == "parquet-not-validated"}
    assert len(parquet) == len(list((release / "data").glob("*.parquet")))
    assert not [f for f in result.findings if f.path.endswith(".parquet") and f.rule != "parquet-not-validated"]


def test_descriptor(release: Path) -> None:
    folder = release
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert descriptor["version"] == "0.1.0"
    assert descriptor["created"] == "2026-11-28T00:00:00Z"
    source = json.loads((FIXTURE_PACKAGE).read_text())
    assert [r["name"] for r in descriptor["resources"]] == [
        name for r in source["resources"] for name in (r["name"], f"{r['name']}-parquet")
    ]
    for resource in descriptor["resources"]:
        data = (folder / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == sha256(data)
        assert isinstance(resource["schema"], dict), "schemas are inline: the release is self-contained"
        assert ".." not in resource["path"]
    text = (folder / "datapackage.json").read_text(encoding="utf-8")
    assert "../" not in text


def test_csv_is_canonical(project: Path, tmp_path: Path) -> None:
    set_cell(project, "agreements", "comprehensive-programme-2022-2026", "signed_city", "Baku")
    rows = csv_path(project, "agreements").read_text(encoding="utf-8").splitlines(keepends=True)
    csv_path(project, "agreements").write_text("".join([rows[0], *reversed(rows[1:])]), encoding="utf-8")
    with pytest.raises(NotCanonical, match=r"run `intergov fmt`"):
        build(project, tmp_path / "dist")
    format_all(project)
    build(project, tmp_path / "dist")
    folder = tmp_path / "dist" / "intergov-0.1.0"
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["format"] != "csv":
            continue
        data = (folder / resource["path"]).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        text = data.decode("utf-8")
        assert text.split("\n", 1)[0] == ",".join(ts.field_names(resource["schema"]))
        assert canonical_text(text, resource["schema"]) == text, resource["name"]


def test_parquet_carries_descriptions(release: Path) -> None:
    schema = pq.read_schema(release / "data" / "contracts.parquet")
    assert schema.metadata[b"description"].startswith(b"Commercial contracts")
    assert schema.field("value_low").metadata[b"description"].startswith(b"The total value")


def test_readme_is_a_data_dictionary(release: Path) -> None:
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert "## How to cite" in readme and "## How to load" in readme and "from intergov import load" in readme
    section = readme.split("### contracts\n", 1)[1].split("\n### ", 1)[0]
    assert "- Primary key: `contract_id`" in section
    assert "- Foreign key: `event_id` -> `events` (`event_id`)" in section
    assert "- Rows: " in section
    assert "| `value_low` | number (Parquet `decimal128(38, 9)`) | > 0 |" in section
    assert "`55000000` |" in section
    partial = readme.split("### agreements\n", 1)[1].split("\n### ", 1)[0]
    assert "| `signed_on` | string, partial date" in partial


def test_reproducible(release: Path, tmp_path: Path) -> None:
    again = build_release(tmp_path)
    assert tree(again.parent) == tree(release.parent)


def test_same_version_again_is_left_alone(release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = shutil.copytree(release.parent, tmp_path / "dist")
    before = {p: p.stat().st_mtime_ns for p in dist.rglob("*")}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = build(release.parent.parent / "project" / "datapackage", dist)
    assert again.reused
    assert {p: p.stat().st_mtime_ns for p in dist.rglob("*") if p.name != "SHA256SUMS"} == {
        p: t for p, t in before.items() if p.name != "SHA256SUMS"
    }
    assert tree(dist) == tree(release.parent)


def test_zip_is_deterministic(release: Path) -> None:
    with zipfile.ZipFile(release.parent / "intergov-0.1.0.zip") as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {(2026, 11, 28, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert {i.filename: archive.read(i) for i in infos} == {
            f"intergov-0.1.0/{k}": v for k, v in tree(release).items()
        }


def test_outside_git_without_epoch_has_no_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = make_project(tmp_path / "project")
    build(project, tmp_path / "dist")
    descriptor = json.loads((tmp_path / "dist" / "intergov-0.1.0" / "datapackage.json").read_text(encoding="utf-8"))
    assert "created" not in descriptor


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs sha256sum")
def test_sha256sums_check(release: Path) -> None:
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=release.parent, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(tree(release)) + 1


def test_sums_keep_other_versions(release: Path, project: Path, tmp_path: Path) -> None:
    shutil.copytree(release.parent, tmp_path / "dist")
    descriptor = json.loads(project.read_text())
    descriptor["version"] = "0.1.1"
    project.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    changelog = project.parent.parent / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## 0.1.0", "## 0.1.1 - 2026-11-29\n\nMetadata.\n\n## 0.1.0"))
    build(project, tmp_path / "dist")
    names = [line.split("  ", 1)[1] for line in (tmp_path / "dist" / "SHA256SUMS").read_text().splitlines()]
    assert "intergov-0.1.0.zip" in names and "intergov-0.1.1.zip" in names
    assert names == sorted(names)


def test_invalid_package_writes_nothing(project: Path, tmp_path: Path) -> None:
    line = set_cell(project, "agreements", "comprehensive-programme-2022-2026", "kind", "treatise")
    with pytest.raises(InvalidPackage) as caught:
        build(project, tmp_path / "dist")
    assert any(f.rule == "constraint-enum" and f.line == line for f in caught.value.result.findings)
    assert not (tmp_path / "dist").exists()


def test_cli_invalid_package_shows_findings(project: Path, tmp_path: Path) -> None:
    set_cell(project, "agreements", "comprehensive-programme-2022-2026", "kind", "treatise")
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "dist")])
    assert result.exit_code == 1
    assert "[constraint-enum]" in result.stdout and "invalid: 1 error" in result.stdout
    assert "not built" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_cli_builds(project: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "dist"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["valid"] is True
    assert "built: " in result.stderr and "intergov-0.1.0.zip" in result.stderr


def test_failed_build_leaves_no_partial_version(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(builder.os, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(project, tmp_path / "dist")
    assert list((tmp_path / "dist").iterdir()) == [], "no version folder, zip, sums or staging folder is left"


def test_refuses_to_overwrite_a_version(release: Path, project: Path, tmp_path: Path) -> None:
    shutil.copytree(release.parent, tmp_path / "dist")
    before = tree(tmp_path / "dist")
    set_cell(project, "agreements", "comprehensive-programme-2022-2026", "signed_city", "Astana")
    with pytest.raises(VersionExists, match="bump the version"):
        build(project, tmp_path / "dist")
    assert tree(tmp_path / "dist") == before
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "dist")])
    assert result.exit_code == 1 and "bump the version" in result.stderr


def test_needs_a_changelog_entry(project: Path, tmp_path: Path) -> None:
    descriptor = json.loads(project.read_text())
    descriptor["version"] = "0.2.0"
    project.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    with pytest.raises(BuildError, match=re.escape("no entry for 0.2.0: run `intergov release`")):
        build(project, tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def test_needs_a_licence(project: Path, tmp_path: Path) -> None:
    (project.parent.parent / "LICENSE").unlink()
    with pytest.raises(BuildError, match="no LICENSE"):
        build(project, tmp_path / "dist")


def test_version_must_be_semver(project: Path, tmp_path: Path) -> None:
    descriptor = json.loads(project.read_text())
    descriptor["version"] = "1.0"
    project.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "dist")])
    assert result.exit_code == 2 and "MAJOR.MINOR.PATCH" in result.stderr


def test_a_number_that_cannot_be_exact_fails_the_build(project: Path, tmp_path: Path) -> None:
    rate = "1.7000000001"
    line = set_cell(project, "exchange_rates", "cbar-usd-2018", "rate", rate)
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "dist")])
    assert result.exit_code == 1
    assert f"exchange_rates.csv:{line}:7: error [number-precision] cannot be published exactly (10 decimal places" in (
        result.stdout
    )
    assert f"(value: '{rate}')" in result.stdout
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize(
    ("cell", "field", "value"),
    [
        ("1.70", {}, "1.70"),
        ("500000000", {}, "500000000"),
        ("1.5000000000", {}, "1.5000000000"),
        ("2.5e3", {}, "2.5E+3"),
        ("-0.000000001", {}, "-1E-9"),
        ("1 234,5", {"groupChar": " ", "decimalChar": ","}, "1234.5"),
        ("9" * 29, {}, "9" * 29),
    ],
)
def test_exact_decimal(cell: str, field: dict, value: str) -> None:
    assert str(exact_decimal(cell, {"name": "x", "type": "number", **field})) == value


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("0.0000000001", "10 decimal places"),
        ("1" + "0" * 29, "30 digits before the point"),
        ("1e40", "41 digits before the point"),
        ("NaN", "not a finite number"),
        ("INF", "not a finite number"),
        ("12abc", "not a number"),
    ],
)
def test_inexact_decimal(cell: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        exact_decimal(cell, {"name": "x", "type": "number"})


def set_name(descriptor: Path, name: object) -> None:
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    data["name"] = name
    descriptor.write_text(json.dumps(data, indent=2), encoding="utf-8")


@pytest.mark.parametrize("name", ["/../../escaped", "../../x", "../x", "a/b", ".hidden", "Intergov", ""])
def test_a_name_that_cannot_name_a_folder_is_refused(project: Path, tmp_path: Path, name: object) -> None:
    set_name(project, name)
    with pytest.raises(BuildError, match=re.escape("^[a-z0-9][a-z0-9._-]*$")) as caught:
        build(project, tmp_path / "work" / "dist")
    assert "cannot name a release folder" in str(caught.value)
    assert not (tmp_path / "work" / "dist").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"], "nothing written beside dist either"
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "work" / "dist")])
    assert result.exit_code == 1 and "cannot name a release folder" in result.stderr
    assert "Traceback" not in result.output


def test_publish_refuses_a_target_outside_dist(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    with pytest.raises(BuildError, match="outside"):
        builder._publish(dist, "../escaped", {"a.txt": b"a"}, b"zip")
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "escaped.zip").exists()


def test_a_version_folder_linked_outside_dist_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "intergov-0.1.0").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BuildError, match="outside"):
        build(project, tmp_path / "dist")
    assert list(outside.iterdir()) == []


def test_the_published_csv_is_the_source_file(release: Path) -> None:
    for table in (release / "data").glob("*.csv"):
        assert table.read_bytes() == (FIXTURE / "data" / table.name).read_bytes(), table.name


def test_a_table_not_in_canonical_form_is_not_built(project: Path, tmp_path: Path) -> None:
    people = csv_path(project, "people")
    people.write_bytes(people.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(NotCanonical) as caught:
        build(project, tmp_path / "dist")
    assert caught.value.files == (f"{people}: not canonical: CR or CRLF line endings",)
    assert not (tmp_path / "dist").exists()
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "dist")])
    assert result.exit_code == 1
    assert "run `intergov fmt` (make fmt)" in result.stderr and "people.csv: not canonical" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_table_fmt_cannot_rewrite_is_not_built(project: Path, tmp_path: Path) -> None:
    descriptor = json.loads(project.read_text(encoding="utf-8"))
    descriptor["resources"][0]["dialect"] = {"delimiter": ","}
    project.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    with pytest.raises(NotCanonical, match=r"\[format-dialect\].*fix this first"):
        build(project, tmp_path / "dist")


def test_a_dist_that_cannot_be_written_is_a_usage_problem(project: Path) -> None:
    with pytest.raises(PublishError, match=re.escape("cannot publish intergov-0.1.0 into /dev/null/x")):
        build(project, "/dev/null/x")
    result = CliRunner().invoke(main, ["build", str(project), "--dist", "/dev/null/x"])
    assert result.exit_code == 2, result.output
    assert "cannot publish intergov-0.1.0 into /dev/null/x" in result.stderr
    assert isinstance(result.exception, SystemExit), "a message, not a traceback"


def test_a_build_from_inside_the_package_folder_finds_the_project_files(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.parent)
    built = build("datapackage.json", tmp_path / "dist")
    assert (built.folder / "CHANGELOG.md").read_bytes() == (ROOT / "CHANGELOG.md").read_bytes()


def test_cli_takes_the_report_options_of_validate(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    dist = str(tmp_path / "dist")
    strict = CliRunner().invoke(main, ["build", str(project), "--dist", dist, "--strict", "--format", "github"])
    assert strict.exit_code == 1 and "::warning " in strict.stdout and "conversion-no-rate" in strict.stdout
    assert "### intergov validate: invalid" in summary.read_text(encoding="utf-8")
    excused = CliRunner().invoke(
        main, ["build", str(project), "--dist", dist, "--strict", "--ignore", "conversion-", "--max-findings", "0"]
    )
    assert excused.exit_code == 0, excused.output
    assert excused.stdout.endswith("valid: 0 errors, 0 warnings\n") and "built: " in excused.stderr


def test_select_and_ignore_never_let_an_error_through(project: Path, tmp_path: Path) -> None:
    set_cell(project, "agreements", "comprehensive-programme-2022-2026", "kind", "treatise")
    with pytest.raises(InvalidPackage, match="an error always blocks a build") as caught:
        build(project, tmp_path / "dist", ignore=["constraint-enum"])
    assert caught.value.hidden == 1 and not any(f.rule == "constraint-enum" for f in caught.value.result.findings)
    result = CliRunner().invoke(main, ["build", str(project), "--dist", str(tmp_path / "dist"), "--select", "date-"])
    assert result.exit_code == 1 and "an error always blocks a build" in result.stderr
    assert not (tmp_path / "dist").exists()
