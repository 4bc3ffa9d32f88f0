"""Segments read through a memory map: the same bytes as the file, and pages given back."""

from __future__ import annotations

import os
from pathlib import Path

from forum.search.mapped import MappedFile, MappedStorage, ViewFile, release_pages


def resident_kb(path: Path) -> int:
    """This process's resident kilobytes of `path`'s mapping (from /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:
            inside = fields[-1] == str(path)
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_a_segment_reads_as_its_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 64 + b"line one\nline two\n"
    (tmp_path / "MAIN_x.seg").write_bytes(data)
    opened = MappedStorage(str(tmp_path)).open_file("MAIN_x.seg")
    assert isinstance(opened, MappedFile)
    assert opened.get(10, 5) == data[10:15]
    part = opened.subset(256, 512)
    assert isinstance(part, ViewFile) and part.get(0, 4) == data[256:260]
    assert list(part.get_array(0, "H", 2)) == [int.from_bytes(data[256:258], "big"),
                                               int.from_bytes(data[258:260], "big")]
    opened.seek(len(data) - 18)
    assert opened.read(9) == b"line one\n" and opened.tell() == len(data) - 9
    assert opened.file.readline() == b"line two\n"
    opened.seek(-4, os.SEEK_END)
    assert opened.read() == b"two\n"
    opened.close()


def test_pages_read_are_given_back_after_a_search(tmp_path: Path) -> None:
    path = tmp_path / "MAIN_y.seg"
    path.write_bytes(os.urandom(8 * 1024 * 1024))
    opened = MappedStorage(str(tmp_path)).open_file("MAIN_y.seg")
    for offset in range(0, 8 * 1024 * 1024, 4096):
        opened.get(offset, 1)
    assert resident_kb(path) >= 7 * 1024
    release_pages()
    assert resident_kb(path) < 1024
    assert opened.get(4096, 3) == path.read_bytes()[4096:4099]  # still readable
    opened.close()


def test_other_files_are_read_as_plain_files(tmp_path: Path) -> None:
    (tmp_path / "_MAIN_1.toc").write_bytes(b"toc")
    opened = MappedStorage(str(tmp_path)).open_file("_MAIN_1.toc")
    assert not isinstance(opened, ViewFile) and opened.read() == b"toc"
    opened.close()
