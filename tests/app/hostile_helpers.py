"""Hostile spreadsheets, built by hand (the test suite's and bench/hostile_files.py's).

Each is a real zip with a minimal workbook around the part that attacks; the
big ones are written streaming through zipfile, so a 400 MB sheet costs the
test a few seconds of zlib and a few MB of disk. Nothing here parses them.
"""

from __future__ import annotations

import random
import struct
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
HEADER = ["党员编号", "姓名", "手机号", "所在组织编码"]

CONTENT_TYPES = (
    f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="党员" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>')
EMPTY_STRINGS = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"/>'


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def text_cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row_xml(number: int, cells: Iterable[str]) -> str:
    return f'<row r="{number}">{"".join(text_cell(cell) for cell in cells)}</row>'


def sheet_start(dimension: str | None = None) -> str:
    claim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{claim}'
            "<sheetData>")


SHEET_END = "</sheetData></worksheet>"


def write_xlsx(path: Path, sheet: Iterable[str | bytes], *,
               strings: Iterable[str | bytes] = (EMPTY_STRINGS,),
               extra: dict[str, str] | None = None, level: int = 6) -> Path:
    """A workbook whose one sheet is the concatenated ``sheet`` pieces, streamed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, pieces in (("xl/sharedStrings.xml", strings), ("xl/worksheets/sheet1.xml",
                                                                  sheet)):
            with archive.open(name, "w") as out:
                for piece in pieces:
                    out.write(piece.encode() if isinstance(piece, str) else piece)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return path


def plain_sheet(rows: Iterable[list[str]], dimension: str | None = None) -> Iterator[str]:
    yield sheet_start(dimension)
    yield row_xml(1, HEADER)
    for number, cells in enumerate(rows, start=2):
        yield row_xml(number, cells)
    yield SHEET_END


def zip_bomb(path: Path, unpacked: int = 400 * 1024 * 1024) -> Path:
    """A sheet of ``unpacked`` bytes of the same row, packed about 300 to 1."""
    row = row_xml(2, ["QC0001", "张三", "13900000000", "QC-LQ-01"]).encode() * 2000
    pieces = (row for _ in range(unpacked // len(row)))
    return write_xlsx(path, [sheet_start().encode(), *pieces, SHEET_END.encode()], level=1)


def lying_bomb(path: Path, unpacked: int = 64 * 1024 * 1024) -> Path:
    """A bomb whose zip directory claims the sheet unpacks to 1 KB."""
    zip_bomb(path, unpacked)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    # (signature, offset of the uncompressed size, of the name's length, of the name)
    for signature, size_at, length_at, name_at in ((b"PK\x03\x04", 22, 26, 30),
                                                    (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, start + length_at)[0]
            if data[start + name_at:start + name_at + length] == name:
                struct.pack_into("<I", data, start + size_at, 1024)
            start += 4
    path.write_bytes(bytes(data))
    return path


def shared_strings_bomb(path: Path, count: int = 1_000_000) -> Path:
    """``count`` short distinct strings: a few MB packed, hundreds of MB in openpyxl."""
    def strings() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{count}">'
        for start in range(0, count, 10_000):
            yield "".join(f"<si><t>s{n:x}</t></si>" for n in range(start, min(start + 10_000,
                                                                              count)))
        yield "</sst>"

    sheet = [sheet_start(), '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', SHEET_END]
    return write_xlsx(path, sheet, strings=strings())


def blank_rows(path: Path, count: int = 5_000_000) -> Path:
    """A header, one member, then ``count`` blank rows, each written out."""
    def pieces() -> Iterator[str]:
        yield sheet_start()
        yield row_xml(1, HEADER)
        yield row_xml(2, ["QC0001", "张三", "13900000000", "QC-LQ-01"])
        for start in range(3, count + 3, 10_000):
            yield "".join(f'<row r="{n}"/>' for n in range(start, min(start + 10_000,
                                                                        count + 3)))
        yield SHEET_END
    return write_xlsx(path, pieces())


def far_row(path: Path, number: int = 5_000_000) -> Path:
    """Two rows, the second numbered ``number``: openpyxl pads the gap with blank rows."""
    return write_xlsx(path, [sheet_start(), row_xml(1, HEADER),
                             row_xml(number, ["QC0001", "张三", "", "QC-LQ-01"]), SHEET_END])


def claimed_rows(path: Path, number: int = 5_000_000) -> Path:
    """A sheet whose <dimension> claims ``number`` rows (it holds two)."""
    return write_xlsx(path, plain_sheet([["QC0001", "张三", "", "QC-LQ-01"]],
                                        dimension=f"A1:D{number}"))


def wide_row(path: Path, cells: int = 200_000) -> Path:
    """One row of ``cells`` cells (random numbers, so the zip can't tell): openpyxl
    builds a row whole before handing it out."""
    rng = random.Random(7)
    values = "".join(f"<c><v>{rng.randrange(10**9)}</v></c>" for _ in range(cells))
    return write_xlsx(path, [sheet_start(), row_xml(1, HEADER), '<row r="2">', values,
                             "</row>", SHEET_END])


def entity_bomb(path: Path) -> Path:
    """"Billion laughs" in the sheet's XML."""
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
                     for n in range(1, 10))
           + f']><worksheet xmlns="{MAIN}"><sheetData><row r="1">'
           '<c t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    return write_xlsx(path, [lol])


def traversal(path: Path) -> Path:
    """A workbook with one more part, named to climb out of any folder it is unpacked in."""
    return write_xlsx(path, plain_sheet([]), extra={"../../../tmp/evil.xml": "<x/>"})


def not_a_zip(path: Path) -> Path:
    path.write_bytes(b"PK\x03\x04" + bytes(random.Random(3).randbytes(4096)))
    return path


def big_cell(path: Path, size: int = 200 * 1024) -> Path:
    """A member whose name is ``size`` characters: more than any cell may hold."""
    rng = random.Random(5)
    name = "".join(rng.choices("张王李赵刘陈杨黄周吴", k=size))
    return write_xlsx(path, plain_sheet([["QC0001", name, "", "QC-LQ-01"]]))
