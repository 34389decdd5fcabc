"""A built release reads in other tools: frictionless, pyarrow, pandas, DuckDB, with the declared types and rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq
import pytest

from intergov import schema as ts
from test_build import build_release

#: DuckDB's name of each Arrow type the release uses.
DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.decimal128(ts.DECIMAL_PRECISION, ts.DECIMAL_SCALE): f"DECIMAL({ts.DECIMAL_PRECISION},{ts.DECIMAL_SCALE})",
}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release(tmp_path_factory.mktemp("interop"))


def tables(release: Path) -> list[dict]:
    """The CSV resources of the release (one per table)."""
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    return [r for r in descriptor["resources"] if r["format"] == "csv"]


def csv_as_arrow(release: Path, resource: dict) -> pa.Table:
    """The CSV file read by pyarrow's own CSV reader, typed by the declared Arrow schema."""
    schema = resource["schema"]
    types = {f["name"]: ts.arrow_type(f) for f in ts.fields(schema)}
    options = pv.ConvertOptions(
        column_types=types,
        null_values=list(ts.missing_values(schema)),
        strings_can_be_null=True,
        true_values=["true"],
        false_values=["false"],
    )
    return pv.read_csv(release / resource["path"], convert_options=options)


def test_frictionless_validate_passes(release: Path) -> None:
    frictionless = Path(sys.executable).with_name("frictionless")
    done = subprocess.run(
        [str(frictionless), "validate", "datapackage.json"], cwd=release, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "INVALID" not in done.stdout


def test_pyarrow_reads_the_declared_types_and_the_csv_rows(release: Path) -> None:
    for resource in tables(release):
        parquet = pq.read_table(release / "data" / f"{resource['name']}.parquet")
        declared = ts.arrow_schema(resource["schema"])
        assert parquet.schema.types == declared.types, resource["name"]
        assert parquet.schema.names == declared.names
        assert parquet.equals(csv_as_arrow(release, resource).cast(parquet.schema)), resource["name"]


def test_pandas_reads_the_declared_types_and_the_csv_rows(release: Path) -> None:
    for resource in tables(release):
        frame = pd.read_parquet(release / "data" / f"{resource['name']}.parquet", dtype_backend="pyarrow")
        expected = {f["name"]: pd.ArrowDtype(ts.arrow_type(f)) for f in ts.fields(resource["schema"])}
        assert frame.dtypes.to_dict() == expected, resource["name"]
        text = pd.read_csv(release / resource["path"], dtype=str, keep_default_na=False)
        assert len(frame) == len(text)
        key = ts.primary_key(resource["schema"])
        assert frame[key].astype(str).values.tolist() == text[key].values.tolist()


def test_duckdb_reads_the_declared_types_and_row_counts(release: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect() as db:
        for resource in tables(release):
            parquet = str(release / "data" / f"{resource['name']}.parquet")
            columns = db.execute("DESCRIBE SELECT * FROM read_parquet(?)", [parquet]).fetchall()
            declared = [(f["name"], DUCKDB_TYPES[ts.arrow_type(f)]) for f in ts.fields(resource["schema"])]
            assert [(c[0], c[1]) for c in columns] == declared, resource["name"]
            (rows,) = db.execute("SELECT count(*) FROM read_parquet(?)", [parquet]).fetchone()
            assert rows == csv_as_arrow(release, resource).num_rows, resource["name"]


def test_duckdb_sees_exact_decimals(release: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect() as db:
        parquet = str(release / "data" / "exchange_rates.parquet")
        (rate,) = db.execute("SELECT rate FROM read_parquet(?) WHERE rate_id = 'cbar-usd-2018'", [parquet]).fetchone()
    assert str(rate) == "1.700000000"
