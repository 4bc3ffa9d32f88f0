"""Zip archives streamed as they are built, and the JSON and CSV written into them.

Nothing here holds a whole file in memory: rows are read a batch at a time (keyset
pages), written into the zip entry, and the compressed bytes go to the client as soon as
a chunk is full. `zipfile` writes to a stream that cannot seek by putting each entry's
sizes in a data descriptor after its data, which every unzip tool reads.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, Select

BATCH = 1000  # rows per statement
CHUNK_BYTES = 64 * 1024  # compressed bytes sent at a time
# Cells a spreadsheet would run as a formula (OWASP's list, with tab and carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so that Excel reads the CSV as UTF-8

Entry = tuple[str, Callable[[Connection], Iterable[str]]]


def spreadsheet_cell(value: object) -> str:
    """A value as a spreadsheet should show it (never as a formula it would run)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def keyset(connection: Connection, statement: Select[Any], key: Column[Any] | Any,
           size: int | None = None) -> Iterator[Sequence[Any]]:
    """The rows of `statement` in batches of `size`, ordered by the unique `key`, each
    batch a statement of its own that starts after the last key of the one before (so
    the 100th batch costs what the first did, and no cursor stays open between them)."""
    size = size or BATCH
    column = key.__clause_element__() if hasattr(key, "__clause_element__") else key
    last = None
    while True:
        page = statement.order_by(key).limit(size)
        if last is not None:
            page = page.where(key > last)
        rows = connection.execute(page).all()
        if not rows:
            return
        yield rows
        last = rows[-1]._mapping[column]
        if len(rows) < size:
            return


def json_array(records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """A JSON array, one record per line, written as the records come."""
    yield "["
    separator = "\n"
    for record in records:
        yield separator + json.dumps(record, default=_json_value, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    raise TypeError(f"not JSON: {type(value).__name__}")


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]], *,
             bom: bool = True) -> Iterator[str]:
    """CSV with a byte order mark (unless told) and a header, every cell through
    `spreadsheet_cell`, a batch of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    writer.writerow(columns)
    for count, row in enumerate(rows, 1):
        writer.writerow([spreadsheet_cell(value) for value in row])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class _Sink:
    """A write-only stream that keeps what was written until it is taken (it has no
    `tell`, so zipfile treats it as unseekable)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def stream_zip(engine: Engine, entries: Iterable[Entry]) -> Iterator[bytes]:
    """A zip of `entries` (name, text pieces read through a connection) as bytes in
    chunks. The server reads the body after the view has returned, outside its contexts:
    the rows come through a connection of the body's own."""
    sink = _Sink()
    with engine.connect() as connection, \
            zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        for name, pieces in entries:
            with archive.open(name, "w", force_zip64=True) as entry:
                for piece in pieces(connection):
                    entry.write(piece.encode())
                    if sink.size >= CHUNK_BYTES:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
