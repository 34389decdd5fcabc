"""Where intergov may read and write: the one place that resolves paths and refuses those that lead elsewhere.

Every file the toolkit opens or writes passes through here first:

- a resource or schema path written in a descriptor: a plain relative path
  (:func:`path_problem`: no URL, absolute path, ``..``, home folder, variable,
  NUL or other control character) that, links followed, stays inside its
  folders (:func:`contained`);
- a name that becomes a file or folder name: a package name (the release
  folder) or a resource name (``data/<name>.csv``): a plain name (:data:`NAME`,
  :func:`name_problem`);
- a profile a descriptor or Table Schema names (:func:`reference_problems`):
  ``$schema`` only ever names a standard Data Package profile, and a
  ``profile`` a known profile name or a file inside the package, never a URL;
- a project file (``CHANGELOG.md``, ``LICENSE``): inside the project folder,
  links followed (:func:`project_file`);
- a release output: an entry directly inside ``dist/`` (:func:`dist_entry`);
- a git tree exported for comparing: only the package's folders, with no link
  leading out of the tree (:func:`extract_tree`).

Nothing is ever read from, or written into, a ``.git`` folder. A refusal is a
:class:`UnsafePath` (its message says what and why), which the descriptor layer
turns into an ``unsafe-path`` finding and the other commands into exit code 2.

>>> name_problem("agreements"), name_problem("../x") is not None
(None, True)
>>> path_problem("data/a.csv"), path_problem("data/a.csv\\x00.txt")
(None, 'a path with a NUL or control character')
"""

from __future__ import annotations

import io
import os
import re
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

#: A name that may name a file or folder: lower-case letters, digits, ``.``, ``_`` and ``-``, starting with a
#: letter or digit (so never ``.``, ``..``, a hidden file, a ``/``, a ``\\`` or a NUL).
NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")

#: The ``$schema`` values accepted: the standard profiles (they name the Data Package version; never fetched).
STANDARD_PROFILES = frozenset(
    f"https://datapackage.org/profiles/{version}/{name}.json"
    for version in ("1.0", "2.0")
    for name in ("datapackage", "dataresource", "tableschema", "tabledialect")
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafePath(Exception):
    """A path or name that would lead outside the repository, the package or ``dist/``: refused (exit code 2)."""


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(Path(path).absolute())


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a file or folder, or ``None`` when it is a plain name (:data:`NAME`)."""
    if isinstance(name, str) and NAME.fullmatch(name):
        return None
    return (
        f"{name!r} is not a plain name: use lower-case letters, digits, '.', '_' and '-', "
        f"starting with a letter or digit (^{NAME.pattern}$)"
    )


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a safe relative path, or ``None`` when it is."""
    if _CONTROL.search(path):
        return "a path with a NUL or control character"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) or path.startswith("file:"):
        return "a URL"
    if os.path.isabs(path) or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return "an absolute path"
    if ".." in re.split(r"[\\/]", path):
        return "a path that leaves the package folder"
    if path.startswith("~") or "$" in path or "%" in path:
        return "a path with a home folder or variable"
    return None


def resolve(path: Path) -> Path | None:
    """``path`` with every link followed, or ``None`` when it cannot be resolved (a link loop, a NUL)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path``, links followed, is one of ``roots`` or below one, and not in a ``.git`` folder."""
    real = resolve(path)
    if real is None:
        return False
    for root in roots:
        top = resolve(root)
        if top is not None and (real == top or top in real.parents):
            return ".git" not in real.relative_to(top).parts
    return False


def contained(base: Path, path: str, roots: Sequence[Path]) -> Path:
    """``base / path``, after checking that ``path`` is safe (:func:`path_problem`) and stays in ``roots``.

    Raises :class:`UnsafePath` saying why (its message completes "refused ...").
    """
    why = path_problem(path)
    if why:
        raise UnsafePath(why)
    target = base / path
    if not inside(target, roots):
        raise UnsafePath("a path that leads outside through a link, or into a .git folder")
    return target


def reference_problems(document: Any, kind: str, root: Path) -> list[tuple[tuple, str, str]]:
    """The ``$schema`` and ``profile`` values in ``document`` that would lead outside it: JSON path, value, why.

    ``kind`` is ``"package"`` (a descriptor: its own, each resource's and each
    inline schema's) or ``"schema"`` (a Table Schema). A ``$schema`` must be a
    standard profile (:data:`STANDARD_PROFILES`). A ``profile`` must be one of
    the profile names frictionless-py knows, or a file inside ``root`` (the
    package folder): never a URL (it would be fetched).
    """
    places: list[tuple[tuple, Any]] = [((), document)]
    resources = document.get("resources") if kind == "package" and isinstance(document, dict) else None
    for index, entry in enumerate(resources if isinstance(resources, list) else []):
        places.append((("resources", index), entry))
        if isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            places.append((("resources", index, "schema"), entry["schema"]))
    found = []
    for here, value in places:
        if not isinstance(value, Mapping):
            continue
        if "$schema" in value and value["$schema"] not in STANDARD_PROFILES:
            found.append(((*here, "$schema"), str(value["$schema"]), _schema_problem(value["$schema"])))
        profile = value.get("profile")
        problem = _profile_problem(profile, root) if isinstance(profile, str) else None
        if problem:
            found.append(((*here, "profile"), profile, problem))
    return found


def _schema_problem(value: object) -> str:
    return (
        f"$schema {value!r} is not a standard Data Package profile; no profile is read from a file or a URL: "
        "use https://datapackage.org/profiles/2.0/<datapackage|dataresource|tableschema>.json, or remove it"
    )


def _profile_problem(profile: str, root: Path) -> str | None:
    """Why a ``profile`` is refused (a URL, or a file outside ``root``), or ``None`` (a known name, a file inside)."""
    try:
        contained(root, profile, [root])
    except UnsafePath as e:
        if str(e) == "a URL":
            return f"profile {profile!r} is a URL, which would be fetched; name a profile file inside the package"
        return f"profile {profile!r}: refused {e}; a profile file must stay inside the package folder"
    return None


def project_file(project: Path, name: str) -> Path:
    """The project's file ``name`` (``CHANGELOG.md``, ``LICENSE``), refused when a link leads it elsewhere.

    It must resolve inside ``project`` and outside its ``.git`` folder, so a
    release never publishes (and ``intergov release`` never rewrites) a file
    from somewhere else. Raises :class:`UnsafePath`.
    """
    target = project / name
    if target.is_symlink() and not inside(target, [project]):
        where = resolve(target)
        raise UnsafePath(
            f"{display_path(target)} is a link to {where or os.readlink(target)}, outside the repository "
            "(or inside .git): "
            f"a release only reads and writes the project's own {name}; replace the link with the file"
        )
    return target


def dist_entry(dist: Path, name: str) -> Path:
    """``dist / name``, an entry of a release (its folder, zip, ``SHA256SUMS``), refused unless it resolves
    directly inside ``dist``: a ``/`` or ``..`` in ``name``, or a link to elsewhere. Raises :class:`UnsafePath`.
    """
    target = dist / name
    real, top = resolve(target), resolve(dist)
    if real is None or real.parent != top:
        raise UnsafePath(
            f"{display_path(target)} resolves to {real or 'nothing'}, outside {display_path(dist)}; "
            "a release is only ever written into the dist folder"
        )
    return target


def extract_tree(archive: bytes, destination: Path, folders: Sequence[str], label: str) -> None:
    """Unpack the members of the tar ``archive`` (``git archive``) under ``folders`` into ``destination``.

    Other members are skipped. A link that leads out of the tree (absolute, or
    through ``..``), or any other member tar's ``data`` filter refuses, is a
    :class:`UnsafePath` naming the member (``label`` says where it comes from).
    """
    wanted = [PurePosixPath(f) for f in folders]

    def member(info: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        name = PurePosixPath(info.name)
        if not any(w == PurePosixPath(".") or w == name or w in name.parents for w in wanted):
            return None
        try:
            return tarfile.data_filter(info, path)
        except tarfile.FilterError as e:
            target = f" -> {info.linkname}" if info.issym() or info.islnk() else ""
            raise UnsafePath(
                f"{label}: refused {info.name}{target}: {e}; a package read from git may not link outside the tree"
            ) from e

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter=member)
