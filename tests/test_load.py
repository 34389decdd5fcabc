"""``from intergov import load`` (:mod:`intergov.reader`): verified, typed frames of a release; tampering refused."""

from __future__ import annotations

import importlib
import json
import shutil
import types
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from intergov import schema as ts
from intergov.reader import LoadError, TamperedError
from test_build import build_release


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release(tmp_path_factory.mktemp("load"))


@pytest.fixture
def copy(release: Path, tmp_path: Path) -> Path:
    """A copy of the release folder the test may tamper with."""
    return shutil.copytree(release, tmp_path / release.name)


def schemas(release: Path) -> dict[str, dict]:
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: r["schema"] for r in descriptor["resources"] if r["format"] == "csv"}


def test_importable_from_the_package() -> None:
    from intergov import load

    assert callable(load)


def test_callable_even_after_the_module_is_imported() -> None:
    import intergov.reader  # the module that holds it has its own name, so it cannot shadow the function
    from intergov import load

    assert callable(load) and callable(intergov.load)
    assert load is intergov.load is intergov.reader.load


def test_no_module_is_called_load() -> None:
    import intergov

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("intergov.load")
    assert isinstance(intergov.load, types.FunctionType), "still the function, not a module in disguise"


def test_one_typed_frame_per_table(release: Path) -> None:
    from intergov import load

    frames = load(release)
    expected = schemas(release)
    assert list(frames) == list(expected)
    for name, frame in frames.items():
        schema = expected[name]
        assert list(frame.columns) == ts.field_names(schema)
        assert {c: str(t) for c, t in frame.dtypes.items()} == {
            f["name"]: str(pd.Series(dtype=ts.pandas_dtype(f)).dtype) for f in ts.fields(schema)
        }, name
        ts.pandera_schema(schema, name=name).validate(frame)  # the house's typed-frame contract, constraints too
    assert frames["currency_conversions"]["applies_on"].dtype == "datetime64[s]"
    assert frames["contracts"]["contract_count"].dtype == "Int64"


def test_zip_folder_and_descriptor_agree(release: Path) -> None:
    from intergov import load

    by_folder = load(release)
    for other in (load(release.parent / f"{release.name}.zip"), load(release / "datapackage.json")):
        assert list(other) == list(by_folder)
        for name, frame in by_folder.items():
            pd.testing.assert_frame_equal(other[name], frame)


def test_tampered_file_is_refused(copy: Path) -> None:
    from intergov import load

    csv = copy / "data" / "agreements.csv"
    csv.write_bytes(csv.read_bytes().replace(b"programme", b"programmf", 1))
    with pytest.raises(TamperedError, match=r"data/agreements\.csv does not match the release"):
        load(copy)


def test_tampered_parquet_of_same_size_is_refused(copy: Path) -> None:
    from intergov import load

    parquet = copy / "data" / "exchange_rates.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    with pytest.raises(TamperedError, match=r"exchange_rates\.parquet .*download the release again"):
        load(copy)


def test_tampered_zip_is_refused(release: Path, tmp_path: Path) -> None:
    from intergov import load

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(release.parent / f"{release.name}.zip") as source, zipfile.ZipFile(tampered, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("figures.csv"):
                data = data.replace(b"exact", b"about", 1)
            out.writestr(info, data)
    with pytest.raises(TamperedError, match=r"figures\.csv"):
        load(tampered)


def test_missing_file_is_refused(copy: Path) -> None:
    from intergov import load

    (copy / "data" / "people.parquet").unlink()
    with pytest.raises(TamperedError, match="incomplete"):
        load(copy)


def test_a_source_package_is_not_a_release(tmp_path: Path) -> None:
    from conftest import copy_package
    from intergov import load

    with pytest.raises(LoadError, match="not a built release"):
        load(copy_package(tmp_path))
    with pytest.raises(LoadError, match="no release at"):
        load(tmp_path / "nowhere")
    (tmp_path / "not.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    with pytest.raises(LoadError, match=r"no single datapackage\.json"):
        load(tmp_path / "not.zip")
