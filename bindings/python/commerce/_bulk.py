"""Bulk paths: products in from memory (bytes, str, file objects, dicts, Products,
DataFrames) and from files; orders and events out to DataFrames. Every import goes through
the engine's one importer: a file is read by Catalog.import_file, anything else is streamed
into Catalog.start_import chunk by chunk (no temporary file), so the validation, rejections
and group-committed writes are exactly those of a file import and of the server's import
route. pandas is imported only when a DataFrame is asked for.
"""

import collections.abc
import datetime
import decimal
import io
import json
import os

from ._commerce import Product

_UTC = datetime.timezone.utc

# What is handed to ImportStream.write at a time: large enough that the GIL is released for
# real work, small enough that memory stays bounded whatever the input's size.
CHUNK_BYTES = 1 << 20


def _json_default(o):
    # numpy integers (from DataFrames), Decimals (price_decimal="49.99" wants text).
    if isinstance(o, decimal.Decimal):
        return format(o, "f")
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError("%s is not JSON serializable" % type(o).__name__)


def _is_dataframe(obj):
    mod = type(obj).__module__ or ""
    return mod.startswith("pandas") and type(obj).__name__ == "DataFrame"


def import_products(catalog, source, *, format=None, progress=None, default_currency="USD", max_rejections=1000,
                    mapping_path=""):
    """Imports products into catalog from:

    - a path (str or os.PathLike): a JSON Lines, JSON array or CSV file, read by the C++
      importer directly (format: 'jsonl', 'json', 'csv'; default by extension);
    - bytes (or bytearray, memoryview): the content of such a file, streamed in; and a file
      object opened for reading (binary or text), read chunk by chunk — format 'auto' by
      default: the first byte that is not blank decides;
    - an iterable of dicts in the native schema (docs/catalog.md: id, title, variants with
      sku and price in minor units or price_decimal, ...) or of Product objects, streamed in as
      JSON Lines as the iterable yields them;
    - a pandas DataFrame: one row per variant with the CSV columns (product_id, sku, title,
      price in major units, ...), or one row per product with the native columns (id,
      title, variants, ...).

    Returns the ImportReport: valid records are imported (durable on return), invalid ones
    listed in rejections with their line — for an iterable or DataFrame, the 1-based record
    (or CSV data row + 1) — field and reason. progress: a callable taking ImportProgress, or
    True for a progress bar (tqdm when installed). Raises only for a problem with the
    source itself. A str is always a path: catalog.import_data(text) imports a str's content.
    """
    opts = dict(default_currency=default_currency, max_rejections=max_rejections, mapping_path=mapping_path,
                progress=progress)
    if isinstance(source, (str, os.PathLike)):
        return catalog.import_file(source, format=format or "auto", **opts)
    if isinstance(source, (bytes, bytearray, memoryview)) or hasattr(source, "read"):
        return import_data(catalog, source, format=format or "auto", **opts)
    if _is_dataframe(source):
        if "product_id" in source.columns and "sku" in source.columns:
            text = io.StringIO()
            source.to_csv(text, index=False)
            return import_data(catalog, text.getvalue(), format="csv", **opts)
        records = (
            {k: v for k, v in row.items() if not _is_missing(v)} for row in source.to_dict(orient="records")
        )
        return _import_records(catalog, records, opts)
    if isinstance(source, collections.abc.Mapping) or not isinstance(source, collections.abc.Iterable):
        raise TypeError("import_products takes a path, bytes, a file object, an iterable of dicts or Products, "
                        "or a DataFrame; got %s" % type(source).__name__)
    return _import_records(catalog, source, opts)


def import_data(catalog, data, *, format="auto", progress=None, default_currency="USD", max_rejections=1000,
                mapping_path=""):
    """Imports the content of a JSON Lines, JSON array or CSV file held in memory — bytes,
    bytearray, memoryview or str — or read from a file object (binary or text), through
    Catalog.start_import: no temporary file. format 'auto': the first byte that is not blank
    decides ('[' a JSON array, '{' JSON Lines, anything else CSV). Returns the ImportReport
    as import_file does; raises InvalidArgument when the input is broken beyond one record."""
    if hasattr(data, "read"):
        chunks = iter(lambda: data.read(CHUNK_BYTES), data.read(0))
        size = 0
    elif isinstance(data, (bytes, bytearray, memoryview, str)):
        view = memoryview(data).cast("B") if not isinstance(data, str) else data
        size = len(view) if not isinstance(data, str) else 0
        chunks = (view[i:i + CHUNK_BYTES] for i in range(0, len(view), CHUNK_BYTES))
    else:
        raise TypeError("import_data takes bytes, str or a file object, not %s" % type(data).__name__)
    return _stream(catalog, chunks, format, size, dict(default_currency=default_currency,
                                                       max_rejections=max_rejections,
                                                       mapping_path=mapping_path, progress=progress))


def _is_missing(v):
    if v is None:
        return True
    try:
        return v != v  # NaN
    except Exception:
        return False


def _import_records(catalog, records, opts):
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode

    def line(rec):
        if isinstance(rec, collections.abc.Mapping):
            return encode(rec) + "\n"
        if isinstance(rec, Product):
            return rec.to_json(False) + "\n"
        raise TypeError("import_products: a record is a dict or a Product, not %s" % type(rec).__name__)

    def chunks():
        batch, size = [], 0
        for rec in records:
            text = line(rec)
            batch.append(text)
            size += len(text)
            if size >= CHUNK_BYTES:
                yield "".join(batch)
                batch, size = [], 0
        if batch:
            yield "".join(batch)

    return _stream(catalog, chunks(), "jsonl", 0, opts)


def _stream(catalog, chunks, fmt, size, opts):
    """Feeds chunks to one ImportStream and returns its report. An exception from the source
    (or a progress callback) cancels the import — what was written so far is kept and
    durable — and is raised."""
    from ._api import progress_reporter

    opts = dict(opts)
    opts["mapping_path"] = os.fspath(opts["mapping_path"]) if opts["mapping_path"] else ""
    opts["progress"] = progress_reporter(opts["progress"], "import")
    stream = catalog.start_import(format=fmt, expected_bytes=size, **opts)
    try:
        for chunk in chunks:
            stream.write(chunk)
    except BaseException:
        stream.cancel()
        try:
            stream.finish()
        except Exception:
            pass  # the source's own error is the one to raise
        raise
    return stream.finish()


# --- Exports ---------------------------------------------------------------------------


def _money(m, money):
    if money == "minor":
        return m.minor
    if money == "decimal":
        return m.to_decimal()
    raise ValueError("money must be 'minor' (integer minor units) or 'decimal' (Decimal), not %r" % (money,))


def _ts(ms):
    return datetime.datetime.fromtimestamp(ms / 1000.0, _UTC)


def _frame(rows, columns, time_columns, money_columns, money):
    import pandas as pd

    df = pd.DataFrame.from_records(rows, columns=columns)
    for c in time_columns:
        df[c] = pd.to_datetime(df[c], unit="ms", utc=True)
    if money == "minor":
        for c in money_columns:
            df[c] = df[c].astype("int64")
    return df


ORDER_COLUMNS = ["order_id", "customer_id", "status", "currency", "subtotal", "tax", "shipping", "total",
                 "items", "lines", "shipments", "region", "country", "created_at", "updated_at",
                 "idempotency_key", "version"]
ORDER_LINE_COLUMNS = ["order_id", "customer_id", "status", "created_at", "line_no", "sku", "product_id", "title",
                      "quantity", "unit_price", "line_total", "currency"]


def orders_to_dataframe(orders, *, money="minor"):
    """One row per order: order_id, customer_id, status (its name), currency, subtotal,
    tax, shipping, total (int64 minor units, or Decimal with money='decimal'), items
    (units), lines, shipments, region, country, created_at / updated_at (UTC timestamps),
    idempotency_key, version."""
    rows = []
    for o in orders:
        a = o.shipping_address
        rows.append((o.id, o.customer_id, str(o.status), o.currency, _money(o.subtotal, money),
                     _money(o.tax, money), _money(o.shipping, money), _money(o.total, money),
                     sum(l.quantity for l in o.lines), len(o.lines), len(o.shipments), a.region, a.country,
                     o.created_at_ms, o.updated_at_ms, o.idempotency_key, o.version))
    return _frame(rows, ORDER_COLUMNS, ["created_at", "updated_at"], ["subtotal", "tax", "shipping", "total"],
                  money)


def order_lines_to_dataframe(orders, *, money="minor"):
    """One row per order line: order_id, customer_id, status, created_at (UTC), line_no
    (from 1), sku, product_id, title, quantity, unit_price, line_total (int64 minor units,
    or Decimal with money='decimal'), currency."""
    rows = []
    for o in orders:
        status = str(o.status)
        for i, l in enumerate(o.lines, 1):
            rows.append((o.id, o.customer_id, status, o.created_at_ms, i, l.sku, l.product_id, l.title, l.quantity,
                         _money(l.unit_price, money), _money(l.line_total, money), l.unit_price.currency))
    return _frame(rows, ORDER_LINE_COLUMNS, ["created_at"], ["unit_price", "line_total"], money)


def events_to_dataframe(events):
    """One row per event: seq, type, subject, time (UTC), data (the JSON text)."""
    rows = [(e.seq, e.type, e.subject, e.time_ms, e.data) for e in events]
    return _frame(rows, ["seq", "type", "subject", "time", "data"], ["time"], [], "minor")
