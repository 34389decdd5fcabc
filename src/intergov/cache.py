"""Remember the findings of the descriptor checks that need frictionless-py, while their input stays the same.

Checking ``datapackage.json`` against the Data Package profile, and each
Table Schema against its profile, imports frictionless-py and runs its
validators: about 0.2 s on every run, for JSON files that rarely change. Their
findings are kept on disk, keyed by everything they depend on: the JSON
checked, the path findings show, and the code that checks it (Python,
intergov's own modules, the libraries installed with frictionless-py). A run
where none of that changed reads them back and never imports frictionless-py;
any change recomputes them. JSON naming a profile file is checked every time
(a profile URL, or one outside the package, is refused before this:
:func:`intergov.paths.reference_problems`).

The folder is ``$INTERGOV_CACHE_DIR``, else ``$XDG_CACHE_HOME/intergov``,
else ``~/.cache/intergov``; an empty ``INTERGOV_CACHE_DIR`` turns the cache
off. Each checked file has one entry (its latest result), written atomically;
an entry that cannot be read, or was written for other input, is recomputed,
and a folder that cannot be written is left alone.

Used by :func:`intergov.package.load`::

    findings = cache.findings("descriptor", shown, descriptor, lines, lambda: _profile_findings(...))
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from intergov.findings import Finding

#: Bump when the shape of an entry changes.
_FORMAT = 2

#: The profiles frictionless-py knows without reading anything (``Package``/``Resource.metadata_validate``).
_PACKAGE_PROFILES = ("data-package", "tabular-data-package")
_RESOURCE_PROFILES = ("data-resource", "tabular-data-resource")


def folder(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where entries are kept, or ``None`` when the cache is off.

    >>> folder({"INTERGOV_CACHE_DIR": ""}) is None, folder({"XDG_CACHE_HOME": "/c"}).as_posix()
    (True, '/c/intergov')
    """
    chosen = environ.get("INTERGOV_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]) / "intergov"
    try:
        return Path.home() / ".cache" / "intergov"
    except (RuntimeError, KeyError):  # no home folder to be found: no cache
        return None


def findings(
    kind: str, place: str, document: Any, lines: Mapping[tuple, int], compute: Callable[[], list[Finding]]
) -> list[Finding]:
    """The findings ``compute`` gives for ``document``, checked as ``kind`` at ``place``; remembered.

    ``place`` is the file as findings show it (and, for a schema written inside
    the descriptor, where in it); ``document`` the JSON checked and ``lines``
    the line of each of its values. A document that names a profile
    frictionless-py would read (:func:`self_contained`) is checked every time.
    """
    where = folder()
    if where is None or not self_contained(document):
        return compute()
    entry = where / f"{_digest(kind, place)}.json"
    try:
        key = _digest(str(_FORMAT), _code(), kind, place, json.dumps([document, list(lines.items())]))
    except (RecursionError, ValueError):  # JSON nested too deeply to write back: checked every time
        return compute()
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
        if stored["key"] == key:
            return [_finding(f) for f in stored["findings"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no entry yet, or one that cannot be used: recompute
    found = compute()
    _write(entry, {"key": key, "findings": [f.to_dict() for f in found]})
    return found


def self_contained(document: Any) -> bool:
    """Whether checking ``document`` (a descriptor or a Table Schema) needs nothing but itself.

    frictionless-py knows two ``profile`` names for a package and two for a
    resource; any other ``profile`` (a URL too) it reads from a file or
    fetches, and that can change while the document does not. (``$schema``
    only names a version: it is never fetched.)

    >>> self_contained({"profile": "data-package", "resources": [{"profile": "tabular-data-resource"}]})
    True
    >>> self_contained({"resources": [{"profile": "my-profile.json"}]}), self_contained({"profile": "data-resource"})
    (False, False)
    """
    resources = document.get("resources") if isinstance(document, dict) else None
    entries = {id(r) for r in resources if isinstance(r, dict)} if isinstance(resources, list) else set()
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            known = _PACKAGE_PROFILES if value is document else _RESOURCE_PROFILES if id(value) in entries else ()
            for key, item in value.items():
                if key == "profiles" or (key == "profile" and item not in known):
                    return False
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return True


def _finding(stored: dict) -> Finding:
    """A finding as stored; its value is already shortened (``Finding`` would shorten it again)."""
    finding = Finding(**{**stored, "value": None})
    object.__setattr__(finding, "value", stored["value"])
    return finding


def _write(entry: Path, stored: dict) -> None:
    """Write ``stored`` to ``entry`` in one step (a reader sees the old entry or the new); give up quietly.

    Unlike :func:`intergov.fmt.write_atomic`, nothing is flushed to disk: an
    entry lost in a crash is only computed again.
    """
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(stored, out)
        os.replace(temporary, entry)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _digest(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


@cache
def _code() -> str:
    """What identifies the checking code: Python, intergov's own modules, and the libraries installed with it.

    Read from the file system (intergov's module sizes and modification
    times, the names of the distributions installed beside frictionless-py,
    which carry their versions: frictionless-py, jsonschema and the validators
    they use) rather than by importing anything.
    """
    ours = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(__file__).parent.glob("*.py"))
    spec = find_spec("frictionless")
    installed = []
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        installed = [str(site), *sorted(p.name for p in site.glob("*.dist-info"))]
    return json.dumps([sys.version, ours, installed])
