"""Images and PDF attachments uploaded for an article: checked, cleaned, stored beside it.

Photos come from phones in villages: they carry GPS in their EXIF, a rotation
flag instead of rotated pixels, 12 to 50 megapixels and sometimes a HEIC
container. Every image is opened by its content (never its name), refused
before decoding when its header claims too many pixels, turned upright, and
re-encoded from its pixels alone into a fresh image, so no metadata field
(EXIF, GPS, XMP, ICC, comments, PNG text chunks) can survive by being
forgotten in a list. Output is JPEG (quality 85, progressive) for photos and
PNG for images with transparency or few colours (charts, logos, scans of
forms): both open everywhere the county's readers are (old Android WebViews,
WeChat's browser, Word documents the staff paste into), which WebP still
does not promise.

PDFs are checked by their bytes only (no PDF library): the magic, a size
limit, a complete file, no encryption, and a best-effort screen for
JavaScript and launch actions.

Files are stored content-addressed beside the article
(``column/2026-12/<article>-files/<sha256>.jpg``) so the Markdown stays
self-contained and the same upload twice is one file.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import shutil
import tempfile
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Literal

from PIL import Image, ImageCms, ImageOps

from learning_app.errors import Refused
from site_builder.drafts import path_problem

MB = 1024 * 1024
MAX_IMAGE_BYTES = 20 * MB  # a 50 MP phone JPEG is 10-15 MB; HEIC half that
MAX_PDF_BYTES = 20 * MB
# 50 MP admits the 48-50 MP modes of current phones (8064x6048, 8160x6120);
# decoded as RGB that is 150 MB, the most one upload may cost a worker.
MAX_PIXELS = 50_000_000
MAX_WIDTH = 1600  # the site's content column is 800 CSS px: sharp on 2x screens
MAX_HEIGHT = 16_000  # after scaling: a long infographic fits, a 1-pixel-wide ribbon does not
JPEG_QUALITY = 85
MAX_ALT_CHARS = 150  # NewsMedia.alt holds 200; screen readers read 1-2 sentences well
PALETTE_COLOURS = 256  # at most this many colours: PNG, lossless and small

ALLOWED = "JPEG、PNG、WebP、HEIC"
# Pillow plugins that may open an upload. Naming them keeps every other
# decoder (EPS runs Ghostscript, TIFF, PSD, ...) away from hostile bytes.
_FORMATS = ["JPEG", "PNG", "WEBP"]
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
                b"mif1", b"msf1")

try:  # HEIC (iPhone's default) needs libheif; the wheel bundles it
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF_SUPPORTED = False

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class _Payload:
    """What a stored file needs of its bytes: a content hash (the file name) and a size."""

    data: bytes

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class CleanImage(_Payload):
    """An image re-encoded from its pixels only: safe to publish as it is."""

    data: bytes
    extension: Literal["jpg", "png"]
    width: int
    height: int
    mime: str
    source_format: str  # what the upload really was: JPEG, PNG, WEBP, HEIF
    stem: str  # safe_stem of the uploaded name (for display, never for paths)
    animated: bool = False  # the upload had several frames; only the first is kept
    kind: Literal["image"] = "image"


@dataclass(frozen=True)
class CleanPdf(_Payload):
    """A PDF that passed the byte checks; stored as uploaded."""

    data: bytes
    stem: str
    extension: Literal["pdf"] = "pdf"
    mime: str = "application/pdf"
    kind: Literal["pdf"] = "pdf"


# -- names ---------------------------------------------------------------------


def _basename(filename: str) -> str:
    # Browsers on Windows have sent full paths ("C:\\Users\\...\\a.jpg").
    return re.split(r"[\\/]", filename or "")[-1]


def _display_name(filename: str, default: str) -> str:
    """The uploaded name as quoted in a message: no path, no control characters."""
    name = "".join(c for c in _basename(filename) if c.isprintable())
    return name[:60] or default


def _mb(size: int) -> str:
    return f"{size / MB:.0f} MB" if size >= MB else f"{size // 1024} KB"


def safe_stem(filename: str) -> str:
    """A file stem safe anywhere: lowercase ASCII letters, digits and single
    hyphens, then 8 hex digits of the whole original name so that two Chinese
    names (which keep no ASCII) stay apart. No path parts, no dots, no control
    characters, never empty, at most 49 characters."""
    base = _basename(filename)
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    ascii_part = unicodedata.normalize("NFKC", stem).encode("ascii", "ignore").decode()
    ascii_part = re.sub(r"[^a-z0-9]+", "-", ascii_part.lower()).strip("-")[:40].strip("-")
    tag = hashlib.sha256((filename or "").encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{ascii_part}-{tag}" if ascii_part else tag


# -- images --------------------------------------------------------------------


_OTHER_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"GIF8", "GIF 动图"),
    (b"BM", "BMP 位图"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"%PDF-", "PDF 文件（请作为附件上传）"),
    (b"PK\x03\x04", "压缩包或 Office 文档"),
    (b"\xd0\xcf\x11\xe0", "Office 文档"),
    (b"8BPS", "Photoshop 文件"),
)


def _what_else(data: bytes) -> str | None:
    """A name for a common file that is not an image we take, for the message."""
    for magic, name in _OTHER_KINDS:
        if data.startswith(magic):
            return name
    head = data[:256].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "SVG 矢量图"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "AVIF 图片"
    return None


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _open(data: bytes, name: str) -> Image.Image:
    """Open by content, header only: nothing is decoded yet."""
    formats = [*_FORMATS, "HEIF"] if HEIF_SUPPORTED else _FORMATS
    try:
        # Pillow raises above twice its MAX_IMAGE_PIXELS (caught below); our own,
        # lower limit is checked on the header right after. (Its warning is left
        # alone: turning warnings into errors changes global state, unsafe in threads.)
        return Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError:
        raise Refused(413, f"图片“{name}”的像素太多（超过系统允许的上限），"
                           "可能是恶意构造的文件，已拒绝。") from None
    except Exception:  # hostile bytes may raise anything from a plugin's parser
        if _is_heif(data) and not HEIF_SUPPORTED:
            raise Refused(400, f"“{name}”是 HEIC 格式的照片，本系统暂不能读取。请在手机上"
                               "把相机格式改为“兼容性最佳”，或先转换为 JPEG 再上传。") from None
        other = _what_else(data)
        if other:
            raise Refused(400, f"“{name}”是{other}，不是可以上传的照片。"
                               f"只接受 {ALLOWED} 格式的图片。") from None
        raise Refused(400, f"“{name}”不是图片，或者图片已损坏。"
                           f"只接受 {ALLOWED} 格式的图片。") from None


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block: treat as upright, it is dropped anyway
        return 1


def _target_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    if width <= max_width:
        return width, height
    return max_width, max(1, round(height * max_width / width))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels converted from their ICC profile to sRGB, so that dropping the
    profile keeps the colours (iPhone photos are Display P3; print CMYK JPEGs
    would otherwise come out inverted or dull)."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode in ("L", "LA"):
            return image  # a grey profile changes tone, not hue: not worth the risk
        output = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=output) or image
    except Exception:  # a broken or exotic profile: keep the pixels as they are
        return image


def _normalise_mode(image: Image.Image) -> Image.Image:
    """RGB, RGBA, L or LA: what JPEG and PNG both take."""
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16-bit and float greys: scale to 8 bits (a plain convert clips to white).
        high = 65535 if mode.startswith("I;16") else max(1, image.getextrema()[1] or 1)
        return image.convert("F").point(lambda v: v * 255 / high).convert("L")
    if mode in ("P", "L", "RGB") and "transparency" in image.info:
        return image.convert("RGBA")  # a transparent colour (PNG tRNS): real alpha
    if mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if mode in ("PA", "RGBa", "La"):
        return image.convert("RGBA")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV


def _drop_opaque_alpha(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA"):
        low, _ = image.getchannel("A").getextrema()
        if low == 255:
            return image.convert("RGB" if image.mode == "RGBA" else "L")
    return image


def sanitize_image(data: bytes, filename: str, *, max_width: int = MAX_WIDTH,
                   max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_IMAGE_BYTES
                   ) -> CleanImage:
    """The upload as a clean JPEG or PNG, or Refused with the reason in Chinese.

    The real type comes from the content; the name is only quoted in messages.
    An animated WebP or PNG keeps its first frame (``animated`` says so, for the
    editor to be told). A HEIC photo needs pillow-heif; without it it is
    refused with advice to convert."""
    name = _display_name(filename, "图片")
    if len(data) > max_bytes:
        raise Refused(413, f"图片“{name}”有 {_mb(len(data))}，超过了 {_mb(max_bytes)} 的上限。"
                           "请压缩后再上传。")
    if not data:
        raise Refused(400, f"“{name}”是空文件，请重新选择图片。")
    source = _open(data, name)
    with source:
        fmt = source.format or ""
        width, height = source.size
        if width < 1 or height < 1:
            raise Refused(400, f"“{name}”的尺寸无效，图片已损坏。")
        # Before decoding: the header's claim alone decides (a 100 KB PNG can
        # claim 30000x30000, which would take gigabytes to decode).
        if width * height > max_pixels:
            raise Refused(413, f"图片“{name}”有 {width}×{height} 像素，超过系统允许的 "
                               f"{max_pixels // 1_000_000} 百万像素上限。请缩小后再上传。")
        orientation = _orientation(source)
        upright_w, upright_h = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
        if _target_size(upright_w, upright_h, max_width)[1] > MAX_HEIGHT:
            raise Refused(413, f"图片“{name}”太长（{upright_w}×{upright_h}），缩放后仍超过 "
                               f"{MAX_HEIGHT} 像素高。请裁剪或分成几张图片上传。")
        # An MPO's or HEIC's other images are depth maps and previews, not frames.
        animated = fmt in ("PNG", "WEBP") and bool(getattr(source, "is_animated", False))
        if fmt in ("JPEG", "MPO"):
            # Decode a JPEG at 1/2, 1/4 or 1/8 scale when that still covers the
            # output: a 50 MP photo then costs a few MB instead of 150 MB.
            scale = min(1.0, max_width / upright_w)
            source.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
        try:
            source.load()
            image = ImageOps.exif_transpose(source)  # a copy, upright
        except Image.DecompressionBombError:
            raise Refused(413, f"图片“{name}”的像素太多，已拒绝。") from None
        except Exception:
            raise Refused(400, f"图片“{name}”已损坏或不完整，无法读取。请重新导出后再上传。"
                          ) from None
        image.info.setdefault("icc_profile", source.info.get("icc_profile"))
    image = _drop_opaque_alpha(_normalise_mode(_to_srgb(image)))
    size = _target_size(image.width, image.height, max_width)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    # The output is built from raw pixels into a new image: whatever metadata the
    # upload carried (and whatever Pillow copies along in .info) has no way in.
    pixels = Image.frombytes(image.mode, image.size, image.tobytes())
    keep_lossless = pixels.mode in ("RGBA", "LA") or pixels.getcolors(PALETTE_COLOURS)
    out = io.BytesIO()
    if keep_lossless:
        pixels.save(out, format="PNG", optimize=True)
        extension, mime = "png", "image/png"
    else:
        pixels.save(out, format="JPEG", quality=JPEG_QUALITY, progressive=True,
                    optimize=True, subsampling="4:2:0")
        extension, mime = "jpg", "image/jpeg"
    return CleanImage(data=out.getvalue(), extension=extension, width=pixels.width,
                      height=pixels.height, mime=mime, source_format=fmt,
                      stem=safe_stem(filename), animated=animated)


# -- PDF -----------------------------------------------------------------------


_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_STREAM = re.compile(rb"stream\r?\n")
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Names that make a reader run code, open another program or carry a file.
_ACTIVE = {b"JavaScript": "JavaScript 脚本", b"JS": "JavaScript 脚本",
           b"Launch": "启动外部程序的动作", b"EmbeddedFile": "内嵌文件",
           b"RichMedia": "富媒体（Flash）内容"}
# Encodings the screen can't read through: a dictionary packed with one of them
# (an object stream) would hide the names above. Word, WPS and printers to PDF
# write FlateDecode (and DCT, JPX, CCITT, JBIG2 for pictures), not these.
_UNREADABLE = {name: f"无法检查内容的编码（{name.decode()}）" for name in (
    b"ASCIIHexDecode", b"ASCII85Decode", b"LZWDecode", b"RunLengthDecode", b"AHx", b"A85",
    b"LZW", b"RL")}
_IN_DICTIONARIES = {**_ACTIVE, **_UNREADABLE}
# Long enough not to turn up by chance in binary data (/JS would in a few percent
# of large files, a three-letter name now and then): looked for everywhere,
# streams included, so a dictionary can't hide inside what only looks like a
# stream ("(stream\n)" in a string), nor in an object stream stored uncompressed
# or named with escapes.
_ANYWHERE = {name: text for name, text in _IN_DICTIONARIES.items() if len(name) > 3}
_OBJSTM_BUDGET = 64 * MB  # bytes unpacked from one object stream
_INFLATE_BUDGET = 512 * MB  # bytes unpacked from all streams of a file
_PIECE = 16 * 1024  # compressed bytes fed at a time (at most ~16 MB out)


class _TooMuch(Exception):
    """More unpacked than the budget: the rest can't be checked."""


def _names(raw: bytes) -> bytes:
    """Names as a reader reads them: "/J#61vaScript" is "/JavaScript"."""
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _pdf_parts(data: bytes) -> tuple[bytes, list[bytes]]:
    """The file outside stream bodies (where dictionaries live), and the raw
    bodies of object streams (compressed dictionaries, PDF 1.5+)."""
    outside: list[bytes] = []
    objstms: list[bytes] = []
    pos = 0
    for match in _STREAM.finditer(data):
        if match.start() < pos:
            continue  # the word "stream" inside a body already skipped
        head = data[pos:match.start()]
        if head.endswith(b"end"):
            continue  # "endstream"
        end = data.find(b"endstream", match.end())
        if end < 0:
            break
        outside.append(head)
        if b"/ObjStm" in _names(head):
            objstms.append(data[match.end():end])
        pos = end + len(b"endstream")
    outside.append(data[pos:])
    return b"\n".join(outside), objstms


def _inflate(body: bytes, budget: int) -> bytes:
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(body, budget)
    except zlib.error:
        return b""
    if inflater.unconsumed_tail:
        raise _TooMuch
    return text


def _inflated_streams(data: bytes) -> Iterator[bytes]:
    """What every "stream" keyword's bytes inflate to (where they do), in pieces
    that overlap a little, so a name cut in two is whole in one of them."""
    view = memoryview(data)
    budget = _INFLATE_BUDGET
    for match in _STREAM.finditer(data):
        if data[max(0, match.start() - 3):match.start()] == b"end":
            continue
        inflater = zlib.decompressobj()
        tail = b""
        for at in range(match.end(), len(data), _PIECE):
            try:
                out = inflater.decompress(view[at:at + _PIECE])
            except zlib.error:
                break
            budget -= len(out)
            if budget < 0:
                raise _TooMuch
            if out:
                yield tail + out
                tail = out[-64:]
            if inflater.eof:
                break


def _active_content(text: bytes, names: dict[bytes, str] = _IN_DICTIONARIES) -> str | None:
    for match in _NAME.finditer(text):
        raw = match.group(1)
        # "/J#61vaScript" is "/JavaScript": names may hide behind #xx escapes.
        name = _names(raw)
        if name in names:
            return names[name]
    return None


def check_pdf(data: bytes, filename: str, *, max_bytes: int = MAX_PDF_BYTES) -> CleanPdf:
    """The PDF as uploaded, or Refused with the reason in Chinese.

    Checked without a PDF library: ``%PDF-x.y`` at the start (not merely
    somewhere: no polyglots), ``%%EOF`` within the last 1024 bytes (a
    complete upload), no ``/Encrypt`` (a reader would need a password; even a
    "restricted" PDF is refused, the office can print it to a plain PDF), and
    no JavaScript, launch actions or embedded files in the dictionaries,
    including those packed in object streams (compressed or not), and none of
    the longer of those names anywhere, inflated streams included; no object
    packed in an encoding the screen can't read, nor more packed data than it
    can unpack. That screen is best effort, not a proof (a stream predictor, for
    one, is not undone): a PDF is served as a download, never as the site's
    HTML."""
    name = _display_name(filename, "附件")
    if len(data) > max_bytes:
        raise Refused(413, f"附件“{name}”有 {_mb(len(data))}，超过了 {_mb(max_bytes)} 的上限。"
                           "请压缩或拆分后再上传。")
    if not data:
        raise Refused(400, f"“{name}”是空文件，请重新选择。")
    if not _PDF_HEADER.match(data):
        other = _what_else(data)
        what = f"是{other}" if other and not other.startswith("PDF") else "不是 PDF 文件"
        raise Refused(400, f"“{name}”{what}。附件只接受 PDF，请先导出为 PDF 再上传。")
    if b"%%EOF" not in data[-1024:]:
        raise Refused(400, f"PDF“{name}”不完整（可能上传中断或文件已损坏），请重新导出后再上传。")
    outside, objstms = _pdf_parts(data)
    if b"/Encrypt" in outside:
        raise Refused(400, f"PDF“{name}”已加密或设有权限密码，读者可能无法打开。"
                           "请导出（或打印）为未加密的 PDF 后再上传。")
    try:
        # Dictionaries: outside the streams, and in object streams (compressed, or
        # stored as they are). Then the rarer names anywhere, raw and inflated.
        texts = [(outside, _IN_DICTIONARIES)]
        texts += [(_inflate(body, _OBJSTM_BUDGET) or body, _IN_DICTIONARIES)
                  for body in objstms]
        texts.append((data, _ANYWHERE))
        found = next((active for text, names in texts
                      if (active := _active_content(text, names))), None)
        found = found or next((active for text in _inflated_streams(data)
                               if (active := _active_content(text, _ANYWHERE))), None)
    except _TooMuch:
        found = "过多的压缩内容，无法完成安全检查"
    if found:
        raise Refused(400, f"PDF“{name}”含有{found}，出于安全原因不能发布。"
                           "请用“打印为 PDF”重新生成后再上传。")
    return CleanPdf(data=data, stem=safe_stem(filename))


# -- alt text and Markdown -----------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_FILE_NAME = re.compile(r"^\S+\.(jpe?g|png|webp|heic|heif|gif|bmp|pdf)$", re.IGNORECASE)


def require_alt(alt: str) -> str:
    """The image's description for readers who cannot see it: required, one
    line, at most MAX_ALT_CHARS characters, and not just the file's name."""
    text = unicodedata.normalize("NFC", alt or "")
    if _CONTROL.search(text):
        raise Refused(400, "图片说明里有不可见的控制字符，请重新输入。")
    text = " ".join(text.split())  # newlines and runs of spaces: one space
    if not text:
        raise Refused(400, "请填写图片说明（替代文字）：用一句话描述图片内容，"
                           "供视障读者和图片加载失败时阅读。")
    if len(text) > MAX_ALT_CHARS:
        raise Refused(400, f"图片说明有 {len(text)} 个字，最多 {MAX_ALT_CHARS} 个字。"
                           "请只描述图片内容，详细文字写进正文。")
    if _FILE_NAME.match(text):
        raise Refused(400, "图片说明不能只是文件名，请用一句话描述图片内容。")
    return text


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()>#+\-.!|])")


def markdown_escape(text: str) -> str:
    """Markdown punctuation backslash-escaped, ``&`` and ``<`` as entities: an
    alt text or link title stays text; it cannot close the brackets, start a
    link or an attribute list of its own, or open an HTML tag."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def image_markdown(alt: str, path: str) -> str:
    return f"![{markdown_escape(require_alt(alt))}]({path})"


def pdf_markdown(title: str, path: str) -> str:
    return f"[{markdown_escape(' '.join(title.split()))}（PDF）]({path})"


# -- storage -------------------------------------------------------------------


def _article_parts(article_path: str) -> tuple[str, ...]:
    # Where an article may be is the build's own rule (drafts.path_problem), so a
    # file is only ever stored beside a path the site would publish.
    if path_problem(article_path or "") is not None or "\x00" in (article_path or ""):
        raise Refused(400, "文章路径无效，附件没有保存。")
    return PurePosixPath(article_path).parts


def store_beside(content_dir: Path, article_path: str, clean: CleanImage | CleanPdf) -> str:
    """Write the file into ``<article-stem>-files/`` next to the article, under
    ``content_dir``, atomically (a temporary file, then a rename: a build or a
    reader never sees half a file), and return the path to write in the
    article's Markdown (relative to the article, as MkDocs resolves it).

    The name is the content's SHA-256 (16 hex digits): the same upload twice is
    one file, and nothing the uploader typed reaches the file system."""
    parts = _article_parts(article_path)
    folder_name = f"{PurePosixPath(parts[-1]).stem}-files"
    root = Path(content_dir).resolve()
    folder = root.joinpath(*parts[:-1], folder_name)
    # A symlinked directory on the way must not carry the write outside content/:
    # checked on the deepest existing part before creating anything, then again.
    existing = folder
    while not existing.exists() and existing != root:
        existing = existing.parent
    if not existing.resolve().is_relative_to(root):
        raise Refused(400, "文章路径指向内容目录之外，附件没有保存。")
    folder.mkdir(parents=True, exist_ok=True)
    if not folder.resolve().is_relative_to(root):
        raise Refused(400, "文章路径指向内容目录之外，附件没有保存。")
    name = f"{clean.digest[:16]}.{clean.extension}"
    target = folder / name
    if not (target.is_file() and not target.is_symlink()
            and hashlib.sha256(target.read_bytes()).hexdigest() == clean.digest):
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(clean.data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temp, 0o644)  # served by the web server, like the rest of the site
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return f"{folder_name}/{name}"


def gather_beside(content_dir: Path, article_path: str, stored: list[str]) -> list[Path]:
    """Copy into the article's ``<stem>-files/`` any of its uploads (content-relative
    paths) stored beside an earlier path: a column draft follows its date to
    another month's folder, and its Markdown links are relative. The files
    created (to remove again if publishing fails)."""
    parts = _article_parts(article_path)
    root = Path(content_dir).resolve()
    folder = root.joinpath(*parts[:-1], f"{PurePosixPath(parts[-1]).stem}-files")
    created: list[Path] = []
    for rel in stored:
        source = (root / rel).resolve()
        target = folder / source.name
        if (source.parent == folder or target.exists() or not source.is_file()
                or not source.is_relative_to(root)):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.resolve().is_relative_to(root):
            raise Refused(400, "文章路径指向内容目录之外，附件没有保存。")
        shutil.copyfile(source, target)
        created.append(target)
    return created
