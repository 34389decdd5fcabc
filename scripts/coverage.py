"""Write the coverage table (bodies by pair of countries, sessions, figures) into README.md.

The table sits between the markers ``<!-- coverage -->`` and ``<!-- /coverage -->``; ``--check`` exits 1
when it is stale, without writing. Each release's own README carries the same table, built from its data.

Example::

    python scripts/coverage.py          # rewrite the table
    python scripts/coverage.py --check  # is it current?
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from intergov import coverage
from intergov.fmt import write_atomic

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "datapackage" / "data"
README = ROOT / "README.md"
START, END = "<!-- coverage -->\n", "<!-- /coverage -->"


def table() -> str:
    """The coverage table of the package in ``datapackage/``."""
    frames = {
        name: pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("bodies", "sessions", "figures")
    }
    return coverage.markdown(coverage.pairs(frames))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the table in README.md is stale")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    new = head + START + table() + END + tail
    if new == text:
        print("README.md: coverage table current")
        return 0
    if args.check:
        print("README.md: coverage table stale; run python scripts/coverage.py")
        return 1
    write_atomic(README, new.encode("utf-8"))
    print("README.md: coverage table written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
