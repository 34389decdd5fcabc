"""Generate the ISO reference tables from pycountry.

Writes ``datapackage/data/countries.csv`` (ISO 3166-1) and
``datapackage/data/currencies.csv`` (ISO 4217) in canonical form. The tables are
never typed by hand: rerun this script after upgrading pycountry. Their columns
are the fields of ``schemas/countries.json`` and ``schemas/currencies.json``;
each field is filled from the pycountry attribute :data:`ATTRIBUTES` names.

Example::

    python scripts/reference.py            # rewrite both tables
    python scripts/reference.py --check    # exit 1 when they are stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pycountry

from intergov.fmt import canonical_text, render_csv, write_atomic
from intergov.schema import field_names

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "datapackage" / "data"
SCHEMAS = ROOT / "schemas"

#: Table -> field name -> the pycountry attribute that fills it.
ATTRIBUTES = {
    "countries": {"country_code": "alpha_3", "alpha_2_code": "alpha_2", "numeric_code": "numeric", "name": "name"},
    "currencies": {"currency_code": "alpha_3", "numeric_code": "numeric", "name": "name"},
}
#: Table -> the pycountry database it is generated from.
DATABASES = {"countries": pycountry.countries, "currencies": pycountry.currencies}


def schema(table: str) -> dict:
    """The table's Table Schema, from ``schemas/<table>.json``."""
    return json.loads((SCHEMAS / f"{table}.json").read_text(encoding="utf-8"))


def table_text(table: str) -> str:
    """The table as canonical CSV text: a row per pycountry record, columns as the schema's fields."""
    table_schema = schema(table)
    names = field_names(table_schema)
    unknown = [n for n in names if n not in ATTRIBUTES[table]]
    if unknown:
        raise SystemExit(f"schemas/{table}.json has fields {unknown} that scripts/reference.py cannot fill")
    rows = [[getattr(record, ATTRIBUTES[table][n]) for n in names] for record in DATABASES[table]]
    return canonical_text(render_csv([names, *rows]), table_schema, f"{table}.csv")


def write(path: Path, text: str) -> None:
    """Replace ``path`` atomically (:func:`intergov.fmt.write_atomic`), creating it when missing."""
    write_atomic(path, text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale tables, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for table in ATTRIBUTES:
        path = DATA / f"{table}.csv"
        text = table_text(table)
        if path.exists() and path.read_bytes() == text.encode("utf-8"):
            continue
        stale.append(path)
        if not args.check:
            write(path, text)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
