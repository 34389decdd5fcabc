"""Generate the ISO reference tables from pycountry.

Writes ``datapackage/data/countries.csv`` (ISO 3166-1) and
``datapackage/data/currencies.csv`` (ISO 4217) in canonical form. The tables are
never typed by hand: rerun this script after upgrading pycountry.

Example::

    python scripts/reference.py            # rewrite both tables
    python scripts/reference.py --check    # exit 1 when they are stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pycountry

from intergov.fmt import render_csv

DATA = Path(__file__).resolve().parent.parent / "datapackage" / "data"


def countries() -> list[list[str]]:
    """Rows of the countries table: alpha-3, alpha-2, numeric, name."""
    rows = [[c.alpha_3, c.alpha_2, c.numeric, c.name] for c in pycountry.countries]
    return [["country_code", "alpha_2_code", "numeric_code", "name"], *sorted(rows)]


def currencies() -> list[list[str]]:
    """Rows of the currencies table: alphabetic code, numeric code, name."""
    rows = [[c.alpha_3, c.numeric, c.name] for c in pycountry.currencies]
    return [["currency_code", "numeric_code", "name"], *sorted(rows)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale tables, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, rows in (("countries", countries()), ("currencies", currencies())):
        path = DATA / f"{name}.csv"
        text = render_csv(rows)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            tmp = path.with_suffix(".csv.tmp")
            tmp.write_text(text, encoding="utf-8", newline="")
            tmp.replace(path)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
