"""Render a :class:`~intergov.diff.PackageDiff`: text, Markdown or JSON, as a summary or in full.

The comparison is :mod:`intergov.diff`'s; this module only shows it. Every
value taken from the data is escaped by :mod:`intergov.report.markdown`'s
``text`` and ``code``, so a cell can neither break a Markdown table nor inject
markup.

>>> from intergov.diff import PackageDiff
>>> render(PackageDiff("v0.1.0", "HEAD", "0.1.0", "0.1.0"))
'v0.1.0 (0.1.0) -> HEAD (0.1.0): no differences\\n'
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from intergov.diff import PackageDiff
from intergov.messages import plural
from intergov.report.markdown import code, text

#: Bump when the JSON shape of :func:`document` changes incompatibly.
SHAPE_VERSION = 1

FORMATS = ("text", "markdown", "json")
VIEWS = ("summary", "full")


def document(diff: PackageDiff, *, view: str = "summary") -> dict[str, Any]:
    """The diff as plain data; the full view adds every added, removed and changed row."""
    tables = []
    for t in diff.changed_tables:
        entry: dict[str, Any] = {
            "name": t.name,
            "key": list(t.key),
            "added": len(t.added),
            "removed": len(t.removed),
            "changed": len(t.changed),
        }
        if view == "full":
            entry["rows"] = {
                "added": list(t.added),
                "removed": list(t.removed),
                "changed": [{"key": list(r.key), "cells": [asdict(c) for c in r.cells]} for r in t.changed],
            }
        tables.append(entry)
    return {
        "version": SHAPE_VERSION,
        "old": {"label": diff.old, "version": diff.old_version},
        "new": {"label": diff.new, "version": diff.new_version},
        "identical": diff.identical,
        "level": str(diff.level),
        "changes": [c.to_dict() for c in diff.changes()],
        "tables": tables,
    }


def render(diff: PackageDiff, fmt: str = "text", *, view: str = "summary") -> str:
    """The diff as ``text``, ``markdown`` or ``json``, in the ``summary`` or ``full`` view."""
    if fmt not in FORMATS or view not in VIEWS:
        raise ValueError(f"unknown format {fmt!r} or view {view!r}; formats: {FORMATS}, views: {VIEWS}")
    if fmt == "json":
        return json.dumps(document(diff, view=view), indent=2, ensure_ascii=False) + "\n"
    return (_markdown if fmt == "markdown" else _text)(diff, full=view == "full")


def verdict(diff: PackageDiff) -> str:
    """One line: identical, or the bump the changes need."""
    if diff.identical:
        return "no differences"
    return f"{plural(len(diff.changes()), 'change')}; needs a {diff.level} version bump"


def _key_text(key: tuple[str, ...]) -> str:
    return ", ".join(key)


def _text(diff: PackageDiff, *, full: bool) -> str:
    lines = [f"{diff.old} ({diff.old_version}) -> {diff.new} ({diff.new_version}): {verdict(diff)}"]
    changed = diff.changed_tables
    if changed:
        width = max(len(t.name) for t in changed)
        lines += ["", f"{'table':<{width}}  {'added':>7}  {'removed':>7}  {'changed':>7}"]
        lines += [f"{t.name:<{width}}  {len(t.added):>7}  {len(t.removed):>7}  {len(t.changed):>7}" for t in changed]
    if not diff.identical:
        lines += ["", "changes:"]
        lines += [f"  {c.level!s:<5}  {c}" for c in diff.changes()]
    if full:
        for t in changed:
            lines += ["", f"{t.name} (key: {_key_text(t.key) or 'whole row'}):"]
            lines += [f"  + {_key_text(t.key_of(row))}" for row in t.added]
            lines += [f"  - {_key_text(t.key_of(row))}" for row in t.removed]
            for row in t.changed:
                lines.append(f"  ~ {_key_text(row.key)}")
                lines += [f"      {c.field}: {c.old!r} -> {c.new!r}" for c in row.cells]
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    """A value in a Markdown table cell: a code span (:func:`intergov.report.markdown.code`), or *(empty)*."""
    return code(value) if value else "*(empty)*"


def _markdown(diff: PackageDiff, *, full: bool) -> str:
    lines = [
        f"## Changes from {code(diff.old)} ({text(diff.old_version)}) to {code(diff.new)} ({text(diff.new_version)})",
        "",
        "No differences." if diff.identical else f"Needs a **{diff.level}** version bump.",
    ]
    changed = diff.changed_tables
    if changed:
        lines += ["", "| table | added | removed | changed |", "|---|---:|---:|---:|"]
        lines += [f"| {code(t.name)} | {len(t.added)} | {len(t.removed)} | {len(t.changed)} |" for t in changed]
    if not diff.identical:
        lines += ["", "### Changes", ""]
        lines += [
            f"- **{c.level}** " + (f"{code(c.table)}: {text(c.message)}" if c.table else text(c.message))
            for c in diff.changes()
        ]
    if full:
        for t in changed:
            lines += ["", f"### {code(t.name)}"]
            if t.added or t.removed:
                lines.append("")
            lines += [f"- added: {_cell(_key_text(t.key_of(row)))}" for row in t.added]
            lines += [f"- removed: {_cell(_key_text(t.key_of(row)))}" for row in t.removed]
            if t.changed:
                lines += ["", "| key | field | old | new |", "|---|---|---|---|"]
                lines += [
                    f"| {_cell(_key_text(r.key))} | {code(c.field)} | {_cell(c.old)} | {_cell(c.new)} |"
                    for r in t.changed
                    for c in r.cells
                ]
    return "\n".join(lines) + "\n"
