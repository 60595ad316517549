"""Opening an uploaded XLSX without letting it take the server down.

An XLSX is a zip of XML parts, and openpyxl trusts it: 3 MB can unpack to
900 MB, a small shared-strings table can hold millions of entries (all
loaded at once), a sheet without a ``<dimension>`` is parsed whole just to
size it, and ``<row r="5000000"/>`` makes it hand out five million blank
rows. So nothing reaches openpyxl before ``check_xlsx`` has

1. read the zip's directory: entry count, names, encryption, the declared
   sizes (total and per part) and the compression ratio; then
2. read every part through a bounded stream (never trusting the declared
   size alone) and scanned its bytes: no DOCTYPE or entities, UTF-8 only;
   in a worksheet the rows (by count and by their ``r`` numbers, blank ones
   included), the bytes of each row and outside the rows, the columns named
   in cell references, and the ``<dimension>`` claim; in the shared-strings
   table the entries;

each against ``FileLimits``, stopping at the first limit crossed, with a
Chinese message that says what is wrong and what the limit is. The scan
runs at C speed (a few byte searches and one regex match per row): a
fraction of a second for a 100,000-member roster, against openpyxl's ten.
``xlsx_rows`` then streams the first sheet with openpyxl in read-only mode,
under the same row limit and time budget, so whatever the scan can't see
(a row count hidden by odd markup) is still cut off. Both the roster import
and the 题库 import read through here.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from openpyxl import load_workbook

from learning_app.errors import SheetRejected
from learning_app.imports.limits import Deadline, FileLimits, megabytes, rejected

NOT_XLSX = "文件不是有效的 .xlsx 表格（可在 Excel/WPS 中打开后重新另存为 .xlsx）"
CHUNK = 1024 * 1024
SHEET, STRINGS, OTHER, BINARY = "sheet", "strings", "other", "binary"
ROOTS = {b"worksheet": SHEET, b"sst": STRINGS}
NAME = rb"(?:[A-Za-z_][\w.-]*:)?"  # an element name's optional namespace prefix
ROOT = re.compile(rb"<(?![?!])" + NAME + rb"([A-Za-z_][\w.-]*)")
DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
# Plain <row …> is what every writer uses; a prefixed one (<x:row>) costs a slower search.
ROW_TAG = re.compile(rb"<row\b([^>]*)>")
ANY_ROW_TAG = re.compile(rb"<" + NAME + rb"row\b([^>]*)>")
DATA_TAG = re.compile(rb"<(/?)" + NAME + rb"sheetData\b([^>]*)>")
DIMENSION_TAG = re.compile(rb"<" + NAME + rb"dimension\b([^>]*)>")
ROW_NUMBER = re.compile(rb"\sr\s*=\s*[\"']([^\"']*)")
DIMENSION_REF = re.compile(rb"\sref\s*=\s*[\"']([^\"']*)")
# A cell reference of two or three letters: the only ones that can pass 26 columns.
# (Odd spellings that slip past only cost time, which the time budget bounds.)
WIDE_CELLS = (re.compile(rb' r="([A-Za-z]{2,3})\d'), re.compile(rb" r='([A-Za-z]{2,3})\d"))
CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
STRING_OPENERS = (b"<si>", b"<si ", b"<si/", b":si>", b":si ", b":si/")
DTD = (b"<!DOCTYPE", b"<!ENTITY")


def too_many_rows(limits: FileLimits, row: int | None = None) -> SheetRejected:
    at = f"（第{row:,}行）" if row else ""
    return rejected(f"表格超过{limits.max_rows:,}行{at}，空行也计算在内；请删去表格末尾多余的"
                    "空行，或分成几个文件导入")


def too_many_columns(limits: FileLimits, row: int) -> SheetRejected:
    return rejected(f"第{row:,}行超过{limits.max_columns}列，请删去多余的列", row=row)


def column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index


class _PartScan:
    """One part's bytes, chunk by chunk. Its kind comes from its content (the root
    element), not its name: openpyxl follows the workbook's links, whatever the
    part is called. Each chunk is cut after its last ``<`` so no tag is split."""

    def __init__(self, part: str, limits: FileLimits) -> None:
        self.part = part
        self.limits = limits
        self.kind: str | None = None
        self.byte_limit = max(limits.max_sheet_bytes, limits.max_strings_bytes,
                              limits.max_part_bytes)
        self.carry = b""
        self.offset = 0  # bytes of the part before ``carry``
        self.rows = 0
        self.row = 0  # the current row's number, as openpyxl counts it
        self.row_start: int | None = None  # offset of the current row's tag
        self.data_start: int | None = None  # offset of <sheetData>
        self.data_end: int | None = None  # offset of </sheetData>
        self.strings = 0

    def feed(self, chunk: bytes, final: bool = False) -> None:
        data = self.carry + chunk
        if self.kind is None:
            self._start(data, final)
            if self.kind is None:
                self.carry = data
                return
        if self.kind == BINARY:
            self.carry, self.offset = b"", self.offset + len(data)
            return
        cut = len(data) if final else data.rfind(b"<")
        if cut <= 0:
            cut = len(data) if len(data) > CHUNK else 0  # no tag to split: a long text
        region, self.carry = data[:cut], data[cut:]
        if region:
            self._region(region)
        self.offset += len(region)

    def _start(self, data: bytes, final: bool) -> None:
        if len(data) < 4096 and not final:
            return  # wait for enough bytes to see the declaration and the root
        head = data[:4096]
        if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
            raise rejected("文件中的部件使用了不支持的文字编码，请在 Excel/WPS 中重新另存为 .xlsx")
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            self.kind = BINARY  # media, printer settings: only their size matters
            self.byte_limit = self.limits.max_part_bytes
            return
        encoding = DECLARED_ENCODING.search(head)
        if b"\x00" in head or (encoding and encoding.group(1).lower() not in (b"utf-8",
                                                                             b"utf8")):
            # Excel, WPS and LibreOffice write UTF-8; another encoding would hide
            # the markup from the byte scan below.
            raise rejected("文件中的部件使用了不支持的文字编码，请在 Excel/WPS 中重新另存为 .xlsx")
        root = ROOT.search(head)
        self.kind = ROOTS.get(root.group(1), OTHER) if root else OTHER
        self.byte_limit = {SHEET: self.limits.max_sheet_bytes,
                           STRINGS: self.limits.max_strings_bytes}.get(
                               self.kind, self.limits.max_part_bytes)

    def _region(self, region: bytes) -> None:
        if any(marker in region for marker in DTD):
            # OOXML parts never carry a DTD; one here is an entity-expansion attempt.
            raise rejected("文件中含有正常表格不会有的 XML 文档类型声明（DOCTYPE/ENTITY），已拒绝")
        # Rows and strings are counted in every XML part, whatever its root says:
        # openpyxl reads rows from whatever part the workbook links as a sheet.
        # (The root only decides the byte limit; no other part holds <row> or <si>.)
        self._sheet(region)
        self.strings += sum(region.count(opener) for opener in STRING_OPENERS)
        if self.strings > self.limits.max_strings:
            raise rejected(f"文件中的文字条目超过{self.limits.max_strings:,}条，"
                           "请分成几个文件导入")

    def _sheet(self, region: bytes) -> None:
        limits, offset = self.limits, self.offset
        if self.data_start is None and b"dimension" in region:
            for match in DIMENSION_TAG.finditer(region):
                self._dimension(match.group(1))
        data_tags = list(DATA_TAG.finditer(region)) if b"sheetData" in region else []
        for match in data_tags:  # <sheetData> comes before its rows
            closing, attrs = match.groups()
            if not closing:
                self.data_start = offset + match.start()
                if self.data_start > limits.max_sheet_extra_bytes:
                    raise self._extra()
                if attrs.rstrip().endswith(b"/"):
                    self.data_end = self.data_start
        rows = ANY_ROW_TAG if b":row" in region else ROW_TAG
        for match in rows.finditer(region):
            self._row(offset + match.start(), match.group(1))
        for match in data_tags:  # and </sheetData> after them
            if match.group(1):
                self.data_end = offset + match.start()
                self._end_row(self.data_end)
        for wide in WIDE_CELLS:
            for match in wide.finditer(region):
                if column_index(match.group(1).decode()) > limits.max_columns:
                    raise too_many_columns(limits, self.row or 1)
        end = offset + len(region)
        if self.row_start is not None and end - self.row_start > limits.max_row_bytes:
            raise self._long_row()
        if self.data_end is not None and end - self.data_end > limits.max_sheet_extra_bytes:
            raise self._extra()

    def _row(self, at: int, attrs: bytes) -> None:
        limits = self.limits
        self._end_row(at)
        number = ROW_NUMBER.search(attrs)
        try:
            self.row = int(number.group(1)) if number else self.row + 1
        except ValueError:
            raise rejected(NOT_XLSX) from None
        self.rows += 1
        if self.row < 1:
            raise rejected(NOT_XLSX)
        if self.row > limits.max_rows or self.rows > limits.max_rows:
            raise too_many_rows(limits, self.row)
        self.row_start = at

    def _end_row(self, at: int) -> None:
        if self.row_start is not None and at - self.row_start > self.limits.max_row_bytes:
            raise self._long_row()
        self.row_start = None

    def _long_row(self) -> SheetRejected:
        return rejected(f"第{self.row:,}行的内容超过{megabytes(self.limits.max_row_bytes)}，"
                        "请检查这一行是否有多余的列或内容", row=self.row)

    def _extra(self) -> SheetRejected:
        return rejected(f"工作表中表格以外的内容（合并单元格、链接、格式等）超过"
                        f"{megabytes(self.limits.max_sheet_extra_bytes)}，"
                        "请去掉格式后重新另存为 .xlsx")

    def _dimension(self, attrs: bytes) -> None:
        # The writer's own claim of the used range, e.g. A1:H100001. A wrong
        # small claim is harmless: the rows themselves are counted as they come.
        ref = DIMENSION_REF.search(attrs)
        last = CELL_REF.fullmatch(ref.group(1).decode("ascii", "replace").split(":")[-1]) \
            if ref else None
        if last is None:
            return
        rows, columns = int(last.group(2)), column_index(last.group(1))
        if rows > self.limits.max_rows or columns > self.limits.max_columns:
            raise rejected(f"工作表声明的范围是{rows:,}行×{columns}列，超过上限（"
                           f"{self.limits.max_rows:,}行、{self.limits.max_columns}列）；"
                           "请删去多余的空行空列，或分成几个文件导入")

    def finish(self) -> None:
        self.feed(b"", final=True)
        if self.kind != BINARY:
            self._end_row(self.data_end if self.data_end is not None else self.offset)


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or "\\" in name or ".." in parts or ":" in name
            or any(ord(char) < 32 or ord(char) == 127 for char in name))


def _check_directory(infos: list[zipfile.ZipInfo], limits: FileLimits) -> None:
    """What the zip says about itself: refused here, nothing has been unpacked yet."""
    if len(infos) > limits.max_entries:
        raise rejected(f"文件内部有{len(infos):,}个部件，超过上限{limits.max_entries}个，"
                       "不像正常的表格文件")
    names: set[str] = set()
    for info in infos:
        if _unsafe_name(info.filename):
            raise rejected("文件内部含有不安全的路径（如“../”或绝对路径），已拒绝")
        if info.filename in names:
            raise rejected("文件内部有重名的部件，不像正常的表格文件")
        names.add(info.filename)
        if info.flag_bits & 0x1:
            raise rejected("文件已加密，请在 Excel/WPS 中去掉密码后另存为 .xlsx")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_bytes:
        raise rejected(f"文件解压后有{megabytes(declared)}，超过上限"
                       f"{megabytes(limits.max_total_bytes)}；请分成几个文件导入")
    biggest = max(limits.max_sheet_bytes, limits.max_strings_bytes, limits.max_part_bytes)
    for info in infos:
        if info.file_size > biggest:
            raise rejected(f"文件中的部件 {info.filename} 解压后有{megabytes(info.file_size)}，"
                           f"超过上限{megabytes(biggest)}")
        _check_ratio(info.filename, info.file_size, info.compress_size, limits)


def _check_ratio(part: str, size: int, packed: int, limits: FileLimits) -> None:
    if size >= limits.ratio_floor_bytes and size > limits.max_ratio * max(packed, 1):
        raise rejected(f"文件中的部件 {part} 压缩比异常（约{size // max(packed, 1):,}倍，上限"
                       f"{limits.max_ratio}倍），疑似“压缩炸弹”，已拒绝")


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: FileLimits,
               deadline: Deadline, total: int) -> int:
    """Read one part through a bounded stream; returns the running total of bytes."""
    scan = _PartScan(info.filename, limits)
    read = 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            read += len(chunk)
            total += len(chunk)
            scan.feed(chunk)
            if read > scan.byte_limit:
                raise rejected(f"文件中的部件 {info.filename} 解压后超过上限"
                               f"{megabytes(scan.byte_limit)}")
            if total > limits.max_total_bytes:
                raise rejected(f"文件解压后超过上限{megabytes(limits.max_total_bytes)}；"
                               "请分成几个文件导入")
            deadline.check()
    scan.finish()
    _check_ratio(info.filename, read, info.compress_size, limits)
    return total


def check_xlsx(data: bytes, limits: FileLimits, deadline: Deadline | None = None) -> None:
    """Refuse (SheetRejected) an XLSX that is no zip, or would cross a limit when parsed."""
    deadline = deadline or Deadline(limits.seconds)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise rejected(NOT_XLSX) from None
    with archive:
        infos = archive.infolist()
        _check_directory(infos, limits)
        total = 0
        for info in infos:
            try:
                total = _scan_part(archive, info, limits, deadline, total)
            except SheetRejected:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                    RuntimeError, ValueError):
                # A bad checksum, an unknown compression or broken XML.
                raise rejected(NOT_XLSX) from None


def xlsx_rows(data: bytes, limits: FileLimits, deadline: Deadline | None = None
              ) -> Iterator[tuple[int, list[Any]]]:
    """The first worksheet's rows as (row number, values), blank rows included.

    Checked by ``check_xlsx`` first; then streamed by openpyxl (read-only), so
    memory stays flat however long the sheet, under the same row limit and
    time budget.
    """
    deadline = deadline or Deadline(limits.seconds)
    check_xlsx(data, limits, deadline)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a broken upload can fail in the zip, XML or openpyxl layers
        raise rejected(NOT_XLSX) from None
    try:
        if not workbook.worksheets:
            raise rejected("表格中没有工作表")
        sheet = workbook.worksheets[0]
        # Some writers store a wrong <dimension>; trusting it would cut rows off.
        # The real rows were bounded by the scan above.
        sheet.reset_dimensions()  # type: ignore[union-attr]
        rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
        for number, row in enumerate(rows, start=1):
            if number > limits.max_rows:
                raise too_many_rows(limits, number)
            deadline.check()  # every row: one may be a megabyte of cells
            yield number, list(row)
    except SheetRejected:
        raise
    except Exception:  # the sheet's XML is parsed lazily, row by row
        raise rejected(NOT_XLSX) from None
    finally:
        workbook.close()
