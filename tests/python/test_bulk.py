"""Bulk paths: import from dicts, Products, JSON Lines and CSV paths and DataFrames, with
progress callbacks and a tqdm bar; the rejections of tests/unit/catalog_import_test.cpp."""

import decimal
import io
import json

import pytest

import commerce
from conftest import last_seq


def rec(i, **extra):
    r = {"id": "p%d" % i, "title": "Product %d" % i, "brand": "Acme",
         "variants": [{"sku": "S%d" % i, "price": 100 + i, "currency": "USD"}]}
    r.update(extra)
    return r


def test_import_from_dicts_and_products_with_rejections(engine):
    engine.catalog.upsert_category("shoes", "Shoes")
    records = [rec(i) for i in range(5)]
    records[2] = {"id": "bad", "title": "T", "variants": [{"sku": "SB", "price": 1}], "colour": "red"}
    records.append(rec(9, category_ids=["shoes"], variants=[{"sku": "S9", "price_decimal": decimal.Decimal("49.99")}]))
    records.append(commerce.Product(id="obj", title="From an object",
                                    variants=[{"sku": "OBJ", "price": {"minor": 5, "currency": "EUR"}}]))
    report = engine.catalog.import_products(iter(records))  # any iterable, read once
    assert (report.records, report.imported, report.rejected) == (7, 6, 1)
    r = report.rejections[0]
    assert (r.line, r.field) == (3, "colour") and r.reason
    assert engine.catalog.get_by_sku("S9").variants[0].price == commerce.Money(4999, "USD")
    assert engine.catalog.get("obj").variants[0].price.currency == "EUR"
    assert [p.id for p in engine.catalog.iter_by_category("shoes")] == ["p9"]
    with pytest.raises(TypeError):
        engine.catalog.import_products([1, 2])
    with pytest.raises(TypeError):
        commerce.import_products(engine.catalog, {"id": "p"})  # one dict is not an iterable of records


def test_import_paths_and_file_errors(engine, tmp_path):
    jl = tmp_path / "c.jsonl"
    jl.write_text("".join(json.dumps(rec(i)) + "\n" for i in range(30)))
    calls = []
    report = engine.catalog.import_file(jl, progress=calls.append)
    assert report.imported == 30 and calls and calls[-1].imported == 30
    assert calls[-1].bytes_read == calls[-1].bytes_total == jl.stat().st_size
    csv = tmp_path / "c.csv"
    csv.write_text("product_id,sku,title,price,options,attributes\n"
                   "tee,TEE-S,Tee,19.99,size=S,\n"
                   "tee,TEE-M,Tee,19.99,size=M,\n"
                   "mug,MUG,Mug,abc,,\n")
    r = commerce.import_products(engine.catalog, str(csv))
    assert (r.imported, r.rejected) == (1, 1)
    assert len(engine.catalog.get("tee").variants) == 2
    # the same files again: nothing changed, so nothing is written and no event appended
    seq = last_seq(engine)
    again = engine.catalog.import_csv(csv)
    assert (again.imported, again.unchanged) == (1, 1)
    again = engine.catalog.import_jsonl(jl, progress=calls.append)
    assert (again.imported, again.unchanged) == (30, 30) and calls[-1].unchanged == 30
    assert last_seq(engine) == seq and engine.catalog.get("p3").version == 1
    before = last_seq(engine)
    with pytest.raises(commerce.NotFound, match="missing.jsonl"):
        engine.catalog.import_file(tmp_path / "missing.jsonl")
    d = tmp_path / "a-directory.jsonl"
    d.mkdir()
    with pytest.raises(commerce.InvalidArgument, match="directory"):
        engine.catalog.import_file(d)
    no_ext = tmp_path / "catalog"
    no_ext.write_text(json.dumps(rec(99)) + "\n")
    for kwargs in ({}, {"format": "xml"}, {"format": "jsonl", "default_currency": "XXZ"}):
        with pytest.raises(commerce.InvalidArgument):
            engine.catalog.import_file(no_ext, **kwargs)
    with pytest.raises(commerce.Error):
        engine.catalog.import_file(no_ext, format="jsonl", mapping_path=tmp_path / "no-such-mapping.json")
    with pytest.raises(commerce.InvalidArgument, match="max_rejections"):
        engine.catalog.import_file(no_ext, format="jsonl", max_rejections=2_000_000)
    assert last_seq(engine) == before
    assert engine.catalog.import_file(no_ext, format="jsonl").imported == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert engine.catalog.import_file(empty).records == 0


def test_progress_callback_errors_are_raised_after_the_import(engine):
    def boom(p):
        raise RuntimeError("stop the bar")

    with pytest.raises(RuntimeError, match="stop the bar"):
        engine.catalog.import_products([rec(i) for i in range(1500)], progress=boom)
    # The import itself completed: every valid record is durable.
    assert engine.catalog.stats().products == 1500


def test_progress_bar_with_tqdm(engine, capsys):
    pytest.importorskip("tqdm")
    report = engine.catalog.import_products([rec(i) for i in range(2500)], progress=True)
    assert report.imported == 2500
    err = capsys.readouterr().err
    assert "imported=2500" in err or "100%" in err


def test_import_from_dataframes(engine):
    pd = pytest.importorskip("pandas")
    # One row per variant, the CSV columns; prices in major units as text or Decimal.
    variants = pd.DataFrame({
        "product_id": ["tee", "tee", "mug"], "sku": ["TEE-S", "TEE-M", "MUG"], "title": ["Tee", "Tee", "Mug"],
        "price": [decimal.Decimal("19.99"), decimal.Decimal("21.50"), decimal.Decimal("9.99")],
        "brand": ["Acme", "Acme", None], "options": ["size=S", "size=M", ""]})
    r = engine.catalog.import_products(variants)
    assert (r.imported, r.rejected) == (2, 0)
    assert [v.price.minor for v in engine.catalog.get("tee").variants] == [1999, 2150]
    # One row per product, the native columns; missing values left out.
    products = pd.DataFrame([rec(1), rec(2, description="two"), {**rec(3), "brand": float("nan")}])
    r = engine.catalog.import_products(products)
    assert (r.imported, r.rejected) == (3, 0)
    assert engine.catalog.get("p2").description == "two" and engine.catalog.get("p3").brand == ""
    bad = pd.DataFrame([rec(4), {"id": "p5", "title": "", "variants": [{"sku": "S5", "price": 1}]}])
    r = engine.catalog.import_products(bad)
    assert (r.imported, r.rejected) == (1, 1) and r.rejections[0].line == 2


def test_import_from_memory_bytes_str_and_file_objects(engine, tmp_path):
    """Imports from memory go through the one streaming importer (Catalog.start_import):
    the same reports as a file import, no temporary file (issue 16)."""
    jsonl = "".join(json.dumps(rec(i)) + "\n" for i in range(10))
    r = engine.catalog.import_products(jsonl.encode())  # bytes: content, format by first byte
    assert (r.records, r.imported, r.rejected) == (10, 10, 0)
    r = engine.catalog.import_data(jsonl)  # str content
    assert (r.imported, r.unchanged) == (10, 10)
    array = json.dumps([rec(i, title="Array %d" % i) for i in range(10, 13)]).encode()
    assert engine.catalog.import_data(bytearray(array)).imported == 3
    assert engine.catalog.get("p11").title == "Array 11"
    csv = ("product_id,sku,title,price,options,attributes\n"
           "tee,TEE-S,Tee,19.99,size=S,\n"
           "tee,TEE-M,Tee,19.99,size=M,\n"
           "mug,MUG,Mug,abc,,\n")
    r = commerce.import_data(engine.catalog, memoryview(csv.encode()))
    assert (r.imported, r.rejected) == (1, 1) and r.rejections[0].line == 4
    path = tmp_path / "c.jsonl"
    path.write_text(jsonl)
    calls = []
    with open(path, "rb") as f:  # a binary file object, read in chunks
        r = engine.catalog.import_products(f, progress=calls.append)
    assert r.imported == 10 and calls and calls[-1].records == 10
    with open(path, encoding="utf-8") as f:  # and a text one
        assert engine.catalog.import_data(f, format="jsonl").imported == 10
    # The same counts as import_file of the same bytes, and no file left anywhere.
    assert engine.catalog.import_file(path).imported == r.imported


def test_start_import_streams_chunks_split_anywhere(engine):
    engine.catalog.upsert_category("shoes", "Shoes")
    text = "".join(json.dumps(rec(i, title="Chaussure n°%d ✓" % i), ensure_ascii=False) + "\n"
                   for i in range(50)).encode()
    text += b'{"id": "bad", "title": "", "variants": []}\n'
    stream = engine.catalog.start_import(format="jsonl", expected_bytes=len(text))
    for i in range(0, len(text), 7):  # mid-line and mid-character
        stream.write(text[i:i + 7])
    seen = stream.progress()
    assert seen.bytes_total == len(text)
    report = stream.finish()
    assert (report.records, report.imported, report.rejected) == (51, 50, 1)
    assert report.rejections[0].line == 51 and stream.rejections()[0].line == 51
    assert engine.catalog.get("p7").title == "Chaussure n°7 ✓"
    with pytest.raises(commerce.FailedPrecondition):
        stream.write(b"{}")
    with pytest.raises(commerce.FailedPrecondition):
        stream.finish()


def test_import_from_memory_rejects_bad_input_and_writes_nothing(engine):
    before = last_seq(engine)
    with pytest.raises(commerce.InvalidArgument):
        engine.catalog.import_data(b"colour,size\nred,M\n", format="csv")  # no product_id, sku... columns
    with pytest.raises(commerce.InvalidArgument):
        engine.catalog.import_data(b'{"id": "p1"} trailing', format="json")  # not an array
    for kwargs in ({"format": "xml"}, {"default_currency": "XXZ"}, {"max_rejections": 2_000_000}):
        with pytest.raises(commerce.InvalidArgument):
            engine.catalog.start_import(**kwargs)
    with pytest.raises(commerce.InvalidArgument, match="mapping file"):
        engine.catalog.start_import(mapping_path="/no/such/mapping.json")
    with pytest.raises(TypeError):
        engine.catalog.import_data(12345)
    stream = engine.catalog.start_import(format="jsonl")
    with pytest.raises(TypeError):
        stream.write(12345)
    with pytest.raises(commerce.InvalidArgument, match="UTF-8"):
        stream.write("\ud800")  # a lone surrogate is not text
    stream.cancel()
    with pytest.raises(commerce.FailedPrecondition):
        stream.write(b"{}")
    assert stream.finish().cancelled
    assert last_seq(engine) == before

    def broken():
        yield rec(1)
        raise ValueError("the source failed")

    with pytest.raises(ValueError, match="the source failed"):
        engine.catalog.import_products(broken())
