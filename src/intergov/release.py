"""Versions and releases: semver, release tags, the bump check and the CHANGELOG entry.

A release is tagged ``v<version>`` (``v0.1.0``). :func:`check` compares the
working package with the package at the latest such tag and says whether the
version in ``datapackage.json`` is bumped enough for what changed (see
:mod:`intergov.diff` for how each change is classified). :func:`write_entry`
adds the new version's entry to ``CHANGELOG.md``.

``CHANGELOG.md`` and ``LICENSE`` live in the project folder: the folder above
the package's folder (``datapackage/..``, :func:`project_folder`); a link there
that leads outside the repository is refused (:func:`intergov.paths.project_file`).
A shallow clone is refused where its missing history would give a wrong answer:
the release check (tags missing) and a build's ``created`` without ``SOURCE_DATE_EPOCH``.

>>> parse_version("1.2.3").bumped(Level.MINOR)
Version(major=1, minor=3, patch=0)
>>> str(bump_level(parse_version("0.1.0"), parse_version("0.2.0")))
'minor'
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from intergov.diff import Level, PackageDiff, compare, read_rows
from intergov.fmt import ChangedMeanwhile, write_atomic
from intergov.package import DEFAULT_PACKAGE, Package, display_path, locate
from intergov.paths import UnsafePath, extract_tree, path_problem, project_file
from intergov.reader import open_package, release_root, tables
from intergov.report.diff import render

TAG_PREFIX = "v"
CHANGELOG = "CHANGELOG.md"
LICENSE = "LICENSE"

_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


class ReleaseError(Exception):
    """A usage or configuration problem: a bad version, no git repository, an unknown ref (exit 2)."""


@dataclass(frozen=True, order=True)
class Version:
    """A semantic version ``MAJOR.MINOR.PATCH``."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def bumped(self, level: Level) -> Version:
        """The smallest version that is a ``level`` bump of this one."""
        if level == Level.MAJOR:
            return Version(self.major + 1, 0, 0)
        if level == Level.MINOR:
            return Version(self.major, self.minor + 1, 0)
        if level == Level.PATCH:
            return Version(self.major, self.minor, self.patch + 1)
        return self


def parse_version(text: object) -> Version:
    """Parse ``MAJOR.MINOR.PATCH``; raise :class:`ReleaseError` for anything else."""
    match = _VERSION.fullmatch(str(text))
    if not match:
        raise ReleaseError(f"version {text!r} is not MAJOR.MINOR.PATCH (semver, e.g. 0.1.0)")
    return Version(*map(int, match.groups()))


def bump_level(old: Version, new: Version) -> Level | None:
    """The bump from ``old`` to ``new``: its highest raised part, or ``None`` when ``new`` is lower."""
    if new < old:
        return None
    if new.major != old.major:
        return Level.MAJOR
    if new.minor != old.minor:
        return Level.MINOR
    return Level.PATCH if new.patch != old.patch else Level.NONE


# --- git (read only) -----------------------------------------------------------------------------


def git(repo: Path, *args: str) -> bytes:
    """Run a read-only git command in ``repo``; raise :class:`ReleaseError` when it fails."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError as e:
        raise ReleaseError("git is not installed") from e
    if done.returncode:
        raise ReleaseError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def repo_root(folder: Path) -> Path | None:
    """The top folder of the git work tree holding ``folder``, or ``None`` outside git."""
    try:
        return Path(git(folder, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    except ReleaseError:
        return None


def shallow(repo: Path) -> bool:
    """Whether ``repo`` is a shallow clone (its history, and the tags on it, may be cut off)."""
    return git(repo, "rev-parse", "--is-shallow-repository").decode().strip() == "true"


def release_tags(repo: Path) -> list[tuple[Version, str]]:
    """The release tags (``v`` + semver) in ``repo``, lowest version first."""
    names = git(repo, "tag", "--list", f"{TAG_PREFIX}*").decode().split()
    found = []
    for name in names:
        if _VERSION.fullmatch(name.removeprefix(TAG_PREFIX)):
            found.append((parse_version(name.removeprefix(TAG_PREFIX)), name))
    return sorted(found)


def source_date_epoch() -> datetime | None:
    """The time in ``SOURCE_DATE_EPOCH`` (reproducible builds), or ``None`` when it is not set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except ValueError as e:
        raise ReleaseError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from e


def release_time(files: Iterable[Path]) -> datetime | None:
    """When the release was made, never the wall clock: the ``created`` of a build.

    ``SOURCE_DATE_EPOCH`` when set; else the commit time of the latest commit
    that changed any of ``files`` (so commits that touch only code do not change
    it); else ``None`` (outside git, or before the first commit of the files, a
    build has no ``created``). Raises :class:`ReleaseError` in a shallow clone,
    whose cut-off history would give another commit, and so other bytes.
    """
    epoch = source_date_epoch()
    if epoch:
        return epoch
    files = [Path(f).resolve() for f in files]
    top = repo_root(files[0].parent) if files else None
    if top is None:
        return None
    if shallow(top):
        raise ReleaseError(
            f"{display_path(top)} is a shallow clone: the release time (`created`) would come from a cut-off "
            "history, so the build would not be reproducible; fetch the history (`git fetch --unshallow --tags`) "
            "or set SOURCE_DATE_EPOCH"
        )
    inside = [str(f.relative_to(top)) for f in files if f.is_relative_to(top)]
    try:
        stamp = git(top, "log", "-1", "--format=%cI", "--", *inside).decode().strip()
    except ReleaseError:  # a repository without commits
        return None
    return datetime.fromisoformat(stamp).astimezone(UTC) if stamp else None


# --- opening a package from a folder, a zip or a git ref ---------------------------------------------


@contextmanager
def opened(spec: str, *, repo: str | os.PathLike[str] = ".", package: str = DEFAULT_PACKAGE) -> Iterator[Package]:
    """The package at ``spec``: a package folder or descriptor, a release zip, or a git ref.

    A git ref (``v0.1.0``, ``HEAD``) is exported from ``repo`` into a temporary
    folder, and ``package`` is the descriptor's path inside the tree: only the
    package's folder and the ``schemas/`` folder beside it are exported, and a
    committed link leading out of the tree is refused
    (:func:`intergov.paths.extract_tree` raises :class:`intergov.paths.UnsafePath`).
    A release (folder or zip) is verified against its hashes
    (:func:`intergov.reader.open_package`, without ``release``).

    >>> with opened("v0.1.0") as old, opened("datapackage") as new:  # doctest: +SKIP
    ...     compare(old, new).level
    """
    path = Path(spec)
    if path.is_file() and zipfile.is_zipfile(path):
        with release_root(path) as root:
            yield open_package(root, release=False)
        return
    if path.exists():
        yield open_package(path, release=False)
        return
    why = path_problem(package)
    if why:
        raise UnsafePath(f"--package {package!r}: refused {why}; name the descriptor's path inside the git tree")
    try:
        commit = git(Path(repo), "rev-parse", "--verify", "--quiet", "--end-of-options", f"{spec}^{{commit}}")
    except ReleaseError as e:
        where = display_path(Path(repo))
        hint = " (a shallow clone: fetch the history and tags)" if repo_root(Path(repo)) and shallow(Path(repo)) else ""
        raise ReleaseError(f"{spec!r} is neither a package folder, a release zip nor a git ref in {where}{hint}") from e
    archive = git(Path(repo), "archive", "--format=tar", commit.decode().strip())
    folder = Path(package).parent
    with tempfile.TemporaryDirectory(prefix="intergov-") as tmp:
        extract_tree(archive, Path(tmp), [folder.as_posix(), (folder.parent / "schemas").as_posix()], spec)
        descriptor = Path(tmp) / package
        if not descriptor.is_file():
            raise ReleaseError(f"{spec} has no package at {package}")
        yield open_package(descriptor, release=False)


# --- the release check and the changelog ------------------------------------------------------------


@dataclass
class Check:
    """The working package against the latest release tag."""

    path: str
    package: Package = field(repr=False)
    version: Version
    tag: str | None = None
    tagged: Version | None = None
    diff: PackageDiff | None = None

    @property
    def required(self) -> Level:
        """The bump the changes since the tag need."""
        return self.diff.level if self.diff else Level.NONE

    @property
    def bumped(self) -> Level | None:
        """The bump made (``None`` when the version went backwards)."""
        return bump_level(self.tagged, self.version) if self.tagged else Level.NONE

    @property
    def ok(self) -> bool:
        """Whether the version is bumped enough (always, before the first release)."""
        return self.tag is None or (self.bumped is not None and self.bumped >= self.required)

    @property
    def exit_code(self) -> int:
        """0 bumped enough, 1 not."""
        return int(not self.ok)

    @property
    def next_tag(self) -> str:
        """The tag the curator creates for this version."""
        return f"{TAG_PREFIX}{self.version}"

    def report(self) -> str:
        """The changes since the tag (diff summary), then the verdict, as text."""
        if self.tag is None:
            return f"no release tag yet: {self.version} will be the first release ({self.next_tag})\n"
        lines = [render(self.diff, "text").rstrip("\n")] if self.diff else []
        if self.ok:
            made = "unchanged" if self.bumped == Level.NONE else f"a {self.bumped} bump"
            lines.append(f"ok: version {self.version} is {made} from {self.tag}, and the changes need {self._need()}")
        elif self.bumped is None:
            lines.append(f"version {self.version} in {self.path} is lower than the latest release {self.tag}")
        else:
            lines.append(
                f"the changes since {self.tag} need a {self.required} bump, but version {self.version} in "
                f"{self.path} is {'not bumped' if self.bumped == Level.NONE else f'only a {self.bumped} bump'}: "
                f'set "version": "{self.tagged.bumped(self.required)}" (or higher)'
            )
        return "\n".join(lines) + "\n"

    def _need(self) -> str:
        return "no bump" if self.required == Level.NONE else f"a {self.required} bump"


def check(path: str | os.PathLike[str] = DEFAULT_PACKAGE) -> Check:
    """Compare the working package at ``path`` with the latest release tag of its git repository.

    Raises :class:`ReleaseError` outside git, in a shallow clone (its tags may
    be missing: "first release" would pass anything) or for a version that is
    not semver.
    """
    descriptor = locate(path)
    working = open_package(descriptor, release=False)
    result = Check(display_path(descriptor), working, parse_version(working.version))
    top = repo_root(descriptor.resolve().parent)
    if top is None:
        raise ReleaseError(f"{display_path(descriptor)} is not in a git repository: no release tags to compare with")
    if shallow(top):
        raise ReleaseError(
            f"{display_path(top)} is a shallow clone: the release tags and the history may be missing, so the "
            "check could pass a breaking change; fetch them (`git fetch --unshallow --tags`; in GitHub Actions, "
            "actions/checkout with fetch-depth: 0)"
        )
    tags = release_tags(top)
    if not tags:
        return result
    result.tagged, result.tag = tags[-1]
    inside = str(descriptor.resolve().relative_to(top))
    with opened(f"refs/tags/{result.tag}", repo=top, package=inside) as old:
        result.diff = compare(old, working, old_label=result.tag, new_label=result.path)
    return result


def project_folder(descriptor: Path) -> Path:
    """The project folder of the package whose descriptor is ``descriptor``: the folder above the package's.

    It holds ``CHANGELOG.md`` and ``LICENSE``.

    >>> project_folder(Path("/work/intergov/datapackage/datapackage.json")).as_posix()
    '/work/intergov'
    """
    return Path(descriptor).absolute().parent.parent


def changelog_path(path: str | os.PathLike[str]) -> Path:
    """The project's ``CHANGELOG.md`` for the package at ``path`` (see :func:`project_folder`).

    Raises :class:`intergov.paths.UnsafePath` when it is a link leading outside the repository.
    """
    return project_file(project_folder(locate(path)), CHANGELOG)


def has_entry(changelog: str, version: Version) -> bool:
    """Whether the changelog text has a ``## <version>`` heading.

    >>> has_entry("# Changelog\\n\\n## 0.1.0 - 2026-11-28\\n", Version(0, 1, 0))
    True
    """
    return re.search(rf"^## \[?{re.escape(str(version))}\]?(\s|$)", changelog, re.MULTILINE) is not None


def entry(result: Check, today: date) -> str:
    """The CHANGELOG entry for the checked version, from the diff summary (or the tables, for a first release)."""
    lines = [f"## {result.version} - {today.isoformat()}", ""]
    if result.diff is None or result.diff.identical:
        lines += ["First release." if result.diff is None else f"No data changes since {result.tag}.", ""]
        lines += [f"- `{name}`: {len(read_rows(r))} rows" for name, r in tables(result.package).items()]
    else:
        lines += [f"{str(result.required).capitalize()} release; changes since {result.tag}:", ""]
        lines += [f"- `{c.table}`: {c.message}" if c.table else f"- {c.message}" for c in result.diff.changes()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Written:
    """What :func:`write_entry` did."""

    check: Check
    changelog: Path
    written: bool


def write_entry(path: str | os.PathLike[str] = DEFAULT_PACKAGE, *, today: date | None = None) -> Written:
    """Add the entry for the package's version to ``CHANGELOG.md``, unless it has one.

    The entry goes above the newest one. Nothing is written when the version is
    not bumped enough (see ``check().ok``). ``today`` defaults to the date in
    ``SOURCE_DATE_EPOCH``, else today's (UTC) date.

    The file is replaced atomically (:func:`intergov.fmt.write_atomic`: flushed
    to disk, permissions kept), and only if it still holds what was read.
    Raises :class:`ReleaseError` when it cannot be read or written,
    :class:`intergov.paths.UnsafePath` when it is a link leading outside the repository.
    """
    target = changelog_path(path)
    result = check(path)
    if not result.ok:
        return Written(result, target, False)
    try:
        original = target.read_bytes() if target.exists() else None
        text = original.decode("utf-8") if original is not None else "# Changelog\n"
        if has_entry(text, result.version):
            return Written(result, target, False)
        new = entry(result, today or (source_date_epoch() or datetime.now(UTC)).date())
        at = text.find("\n## ")
        text = text.rstrip("\n") + "\n\n" + new if at < 0 else text[: at + 1] + new + "\n" + text[at + 1 :]
        write_atomic(target, text.encode("utf-8"), expected=original or b"")
    except (OSError, UnicodeDecodeError, ChangedMeanwhile) as e:
        raise ReleaseError(f"cannot write the {result.version} entry into {display_path(target)}: {e}") from e
    return Written(result, target, True)
