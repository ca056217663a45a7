"""Stored articles written out as a file: `newscrawl export`.

JSON Lines (one object per article, the crawl's own fields plus what the store
adds), CSV for spreadsheet programs (UTF-8 with a byte-order mark, which Excel
needs to read UTF-8; one row per article; lists and objects as JSON text), or
Parquet through the optional extra (`pip install 'newscrawl[parquet]'`, pyarrow)
with lists as lists. Rows are read and written in batches, so an export of a
large store holds one batch in memory; the file appears whole or not at all (it
is written beside its name and renamed at the end; through a symbolic link, beside
the file it points to). A pipe or a device (`-o /dev/stdout`) is written as it is.
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from newscrawl.replacing import is_stream, output_file
from newscrawl.storage import ArticleStore

__all__ = ["FORMATS", "PARQUET_EXTRA", "ExportError", "export_articles", "format_of"]

FORMATS = ("jsonl", "csv", "parquet")
PARQUET_EXTRA = "pip install 'newscrawl[parquet]'"
# Rows per Parquet row group: a few MB of text, well within memory.
PARQUET_BATCH = 1000
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


class ExportError(ValueError):
    """An export that cannot be done; the message says why, in one line."""


def format_of(path: str, given: str | None) -> str:
    """The format to write: `given`, or the one `path`'s suffix names."""
    if given is not None:
        if given not in FORMATS:
            raise ExportError(f"unknown format {given!r}: jsonl, csv or parquet")
        return given
    found = _SUFFIXES.get(Path(path).suffix.lower())
    if found is None:
        raise ExportError(f"give --format jsonl, csv or parquet (from {path!r} it is not clear)")
    return found


def _require_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ExportError(f"a Parquet export needs pyarrow: {PARQUET_EXTRA}") from None
    return pyarrow


def export_articles(
    store: ArticleStore,
    output: str,
    fmt: str,
    site: str | None = None,
    since: str | None = None,
    unique: bool = False,
) -> int:
    """Write the store's articles (see ArticleStore.articles) to `output` ("-":
    standard output, not for Parquet) as `fmt`. Returns how many were written."""
    if fmt == "parquet":
        pyarrow = _require_pyarrow()
        if output == "-":
            raise ExportError("a Parquet file cannot go to standard output: give -o FILE")
        if is_stream(Path(output)):  # its writer seeks back, which a pipe cannot
            raise ExportError(
                f"a Parquet file cannot go to a pipe or a device ({output}): give -o FILE"
            )
    records = store.articles(site, since, unique)
    if output == "-":
        return _write_text(records, sys.stdout, fmt)
    with _output(Path(output)) as partial:
        if fmt == "parquet":
            return _write_parquet(records, partial, pyarrow)
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with partial.open("w", encoding=encoding, newline="") as out:
            return _write_text(records, out, fmt)


@contextlib.contextmanager
def _output(path: Path) -> Iterator[Path]:
    """Where to write `path` (see output_file): a file that replaces it once
    written in full, or the pipe or device it is."""
    try:
        with output_file(path) as partial:
            yield partial
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_text(records: Iterable[dict[str, Any]], out: IO[str], fmt: str) -> int:
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.writer(out)
    writer.writerow(ArticleStore.EXPORT_COLUMNS)
    for record in records:
        writer.writerow([_cell(record[name]) for name in ArticleStore.EXPORT_COLUMNS])
        count += 1
    return count


def _cell(value: Any) -> Any:
    """A CSV cell: lists and objects as JSON text, nothing as an empty cell."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _write_parquet(records: Iterable[dict[str, Any]], path: Path, pa: Any) -> int:
    import pyarrow.parquet as pq

    types = {
        "authors": pa.list_(pa.string()),
        "cleaning": pa.map_(pa.string(), pa.int64()),
        "word_count": pa.int64(),
        "version": pa.int64(),
    }
    schema = pa.schema(
        [(name, types.get(name, pa.string())) for name in ArticleStore.EXPORT_COLUMNS]
    )
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            record["cleaning"] = sorted(record["cleaning"].items())
            batch.append(record)
            if len(batch) == PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
