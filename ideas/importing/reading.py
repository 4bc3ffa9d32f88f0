"""An upload's bytes as tables of text, or a clear refusal: not UTF-8, not CSV, empty, a
zip without ideas.csv, columns missing or unknown."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from forum.errors import Invalid

ZIP_MAGIC = b"PK\x03\x04"
IDEAS_FILE, COMMENTS_FILE = "ideas.csv", "comments.csv"


@dataclass(frozen=True)
class Table:
    """One CSV file: its name, its header (lower-cased, trimmed) and its rows, each with
    the line it starts on."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]

    def records(self) -> list[tuple[int, dict[str, str]]]:
        return [(line, dict(zip(self.header, cells, strict=False))) for line, cells in self.rows]


def unpack(data: bytes, comments: bytes | None, max_bytes: int) -> tuple[bytes, bytes | None]:
    """The ideas file and the comments file of an upload: a CSV (and maybe a second CSV of
    comments), or a zip holding ideas.csv and maybe comments.csv."""
    if not data:
        raise Invalid("The file is empty: choose the CSV file to import.", field="file")
    if not data.startswith(ZIP_MAGIC):
        return data, comments or None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename.rsplit("/", 1)[-1].lower(): info for info in archive.infolist()
                   if not info.is_dir()}
        if IDEAS_FILE not in members:
            raise Invalid("The zip file has no ideas.csv: put ideas.csv (and, if you have "
                          "comments, comments.csv) in it.", field="file")
        wanted = [members[name] for name in (IDEAS_FILE, COMMENTS_FILE) if name in members]
        if sum(info.file_size for info in wanted) > max_bytes:
            raise Invalid(f"The files in the zip are larger than {max_bytes // 1_000_000} MB "
                          "unpacked: split the import.", field="file")
        found = [archive.read(info) for info in wanted]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError):
        raise Invalid("The file starts like a zip file but cannot be opened as one.",
                      field="file") from None
    return found[0], found[1] if len(found) > 1 else comments or None


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is fine), or a refusal that says what it is instead."""
    if not data.strip():
        raise Invalid(f"{name} is empty: it needs a header line and a row per item.",
                      field="file")
    if b"\x00" in data[:65536]:
        raise Invalid(f"{name} is not a CSV text file (it holds binary data).", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("cp1252")
            hint = (" It looks like Windows-1252 (what Excel writes for plain “CSV”): "
                    "save it as “CSV UTF-8” instead.")
        except UnicodeDecodeError:
            pass
        raise Invalid(f"{name} is not UTF-8 text (line {line} has a byte UTF-8 does not "
                      f"allow).{hint}", field="file") from None


def read_table(data: bytes, name: str) -> Table:
    """The CSV's header and non-empty rows."""
    text = decode(data, name)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [column.strip().lower() for column in next(reader, [])]
        rows = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise Invalid(f"{name} is not valid CSV: {error}.", field="file") from None
    if not any(header):
        raise Invalid(f"{name} has no header line: its first line must name the columns.",
                      field="file")
    if not rows:
        raise Invalid(f"{name} has a header but no rows below it.", field="file")
    return Table(name, header, rows)


def check_columns(table: Table, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """Every required column there, and no column the format does not know."""
    missing = [column for column in required if column not in table.header]
    unknown = [column for column in table.header if column not in (*required, *optional)]
    duplicated = sorted({column for column in table.header if table.header.count(column) > 1})
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown {', '.join(repr(column) for column in unknown)}")
    if duplicated:
        problems.append(f"named twice: {', '.join(duplicated)}")
    if problems:
        raise Invalid(f"{table.name} has the wrong columns ({'; '.join(problems)}). "
                      f"Its columns are: {', '.join(required)} (required) and "
                      f"{', '.join(optional)}.", field="file")
