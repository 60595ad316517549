"""Uploaded images and PDFs: real type, bombs, orientation, metadata, storage.

Plain functions, no app: every file is built here with Pillow or by hand.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile
from PIL.JpegImagePlugin import JpegImageFile
from PIL.PngImagePlugin import PngInfo

from learning_app.errors import Refused
from learning_app.newsroom import media
from learning_app.newsroom.media import (
    CleanImage,
    check_pdf,
    image_markdown,
    pdf_markdown,
    require_alt,
    safe_stem,
    sanitize_image,
    store_beside,
)

GPS_IFD = 0x8825
ORIENTATION = 0x0112
ARTICLE = "column/2026-12/cunmin-yishi.md"


# -- helpers -------------------------------------------------------------------


def noisy(width: int, height: int) -> Image.Image:
    """A photo-like image: far more than 256 colours, so it stays a JPEG."""
    return Image.merge("RGB", [
        Image.linear_gradient("L").resize((width, height)),
        Image.effect_noise((width, height), 80),
        Image.radial_gradient("L").resize((width, height)),
    ])


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    exif[0x0110] = "SecretModel X"  # Model
    exif[0x0132] = "2026:11:03 09:15:00"  # DateTime
    exif[GPS_IFD] = {1: "N", 2: (32.0, 35.0, 12.5), 3: "E", 4: (105.0, 13.0, 48.25)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif


def jpeg(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, **params)
    return out.getvalue()


def png(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **params)
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The JPEG segment markers up to the image data (APPn, COM, DQT, ...)."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        pos += 2 + length
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append(data[pos + 4:pos + 8])
        pos += 12 + length
    return chunks


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few hundred bytes whose header claims width x height."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + png_chunk(b"IEND", b""))


def s15fixed16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def icc_xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + s15fixed16(x) + s15fixed16(y) + s15fixed16(z)


def swapped_primaries_profile() -> bytes:
    """An RGB display profile (ICC v2) whose red primary is sRGB's blue and the
    reverse: pixels stored as pure red under it are blue to the eye."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # gamma 2.2
    text = b"swapped\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 79
    tags = [(b"desc", desc), (b"wtpt", icc_xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", icc_xyz(0.1431, 0.0606, 0.7141)),
            (b"gXYZ", icc_xyz(0.3851, 0.7169, 0.0971)),
            (b"bXYZ", icc_xyz(0.4361, 0.2225, 0.0139)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + b"lcms" + struct.pack(">I", 0x02100000)
              + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 28
              + s15fixed16(0.9642) + s15fixed16(1.0) + s15fixed16(0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + body


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any image gets decoded."""
    def refuse_load(self: ImageFile.ImageFile) -> None:
        raise AssertionError("the image was decoded before its size was checked")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_load)


def refusal(call: object, *args: object, **kwargs: object) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


# -- metadata ------------------------------------------------------------------


def test_gps_and_every_metadata_field_are_gone_from_the_stored_file(tmp_path: Path) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = jpeg(noisy(320, 240), exif=gps_exif(), icc_profile=icc,
                  comment=b"shot at village committee", xmp=b"<x:xmpmeta>SecretXmp</x:xmpmeta>")
    before = Image.open(io.BytesIO(upload))
    assert before.getexif().get_ifd(GPS_IFD)  # the upload really carries GPS
    assert b"SecretPhoneMaker" in upload and b"SecretXmp" in upload

    clean = sanitize_image(upload, "IMG_2034.JPG")
    relative = store_beside(tmp_path, ARTICLE, clean)
    stored = (tmp_path / "column/2026-12" / relative).read_bytes()

    assert stored == clean.data
    after = Image.open(io.BytesIO(stored))
    assert after.format == "JPEG"
    assert not after.getexif()
    assert not after.getexif().get_ifd(GPS_IFD)
    assert "exif" not in after.info and "icc_profile" not in after.info
    assert "comment" not in after.info and "xmp" not in after.info
    # No APP1 (EXIF, XMP), APP2 (ICC) or COM segment at all; APP0 is the JFIF header.
    markers = jpeg_markers(stored)
    assert 0xE1 not in markers and 0xE2 not in markers and 0xFE not in markers
    for secret in (b"Exif", b"SecretPhoneMaker", b"SecretModel", b"village", b"SecretXmp",
                   b"2026:11:03"):
        assert secret not in stored


def test_bytes_appended_after_the_image_do_not_survive() -> None:
    # A JPEG that is also an HTML page or a zip (a polyglot) stays only a JPEG.
    payload = b"<html><script>alert(document.cookie)</script></html>PK\x03\x04"
    clean = sanitize_image(jpeg(noisy(64, 48)) + payload, "poly.jpg")
    assert b"script" not in clean.data and b"PK\x03\x04" not in clean.data


def test_png_text_chunks_exif_and_icc_are_stripped() -> None:
    info = PngInfo()
    info.add_text("Comment", "secret-text")
    info.add_text("Location", "secret-zipped " * 20, zip=True)
    info.add_itxt("Description", "secret-international 村委会")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGBA", (40, 30), (200, 30, 30, 128))
    upload = png(image, pnginfo=info, exif=gps_exif(), icc_profile=icc)
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= set(png_chunks(upload))

    clean = sanitize_image(upload, "logo.png")

    assert clean.extension == "png"
    assert set(png_chunks(clean.data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert b"secret" not in clean.data
    assert Image.open(io.BytesIO(clean.data)).getpixel((0, 0)) == (200, 30, 30, 128)


def test_colours_are_converted_to_srgb_before_the_profile_is_dropped() -> None:
    # A wide-gamut phone photo (Display P3) would look dull or wrong once its
    # profile is gone, unless its pixels are converted first.
    upload = png(Image.new("RGB", (20, 20), (255, 0, 0)), icc_profile=swapped_primaries_profile())

    clean = sanitize_image(upload, "p3.png")

    after = Image.open(io.BytesIO(clean.data))
    assert "icc_profile" not in after.info
    red, _, blue = after.convert("RGB").getpixel((10, 10))
    assert blue > 200 and red < 50


def test_heic_with_gps_comes_out_as_a_clean_jpeg() -> None:
    pytest.importorskip("pillow_heif")
    out = io.BytesIO()
    noisy(96, 64).save(out, format="HEIF", exif=gps_exif().tobytes(), quality=90)
    upload = out.getvalue()
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(GPS_IFD)

    clean = sanitize_image(upload, "IMG_0001.HEIC")

    assert clean.source_format == "HEIF" and clean.extension == "jpg"
    assert (clean.width, clean.height) == (96, 64)
    assert not Image.open(io.BytesIO(clean.data)).getexif()
    assert b"SecretPhoneMaker" not in clean.data


def test_heic_without_libheif_is_refused_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pillow_heif")
    out = io.BytesIO()
    noisy(32, 32).save(out, format="HEIF")
    monkeypatch.setattr(media, "HEIF_SUPPORTED", False)

    refused = refusal(sanitize_image, out.getvalue(), "IMG_0002.HEIC")

    assert refused.status == 400
    assert "HEIC" in refused.message and "JPEG" in refused.message


# -- orientation and size --------------------------------------------------------


def test_orientation_6_is_applied_to_the_pixels_and_the_tag_is_gone() -> None:
    # Stored sideways: red on the left, blue on the right; tag 6 says "turn 90° clockwise".
    image = Image.new("RGB", (60, 40), (220, 0, 0))
    image.paste((0, 0, 220), (30, 0, 60, 40))
    upload = jpeg(image, exif=gps_exif(orientation=6))

    clean = sanitize_image(upload, "sideways.jpg")

    assert (clean.width, clean.height) == (40, 60)
    upright = Image.open(io.BytesIO(clean.data)).convert("RGB")
    assert upright.size == (40, 60)
    red, _, blue = upright.getpixel((20, 5))
    assert red > 150 and blue < 80  # the left edge is now the top
    red, _, blue = upright.getpixel((20, 55))
    assert blue > 150 and red < 80
    assert ORIENTATION not in upright.getexif()


def test_a_wide_image_is_scaled_to_max_width_keeping_its_aspect() -> None:
    upload = jpeg(noisy(4000, 1000))

    clean = sanitize_image(upload, "panorama.jpg")
    assert (clean.width, clean.height) == (1600, 400)
    assert Image.open(io.BytesIO(clean.data)).size == (1600, 400)

    narrower = sanitize_image(upload, "panorama.jpg", max_width=800)
    assert (narrower.width, narrower.height) == (800, 200)


def test_a_sideways_photo_is_scaled_by_its_upright_width() -> None:
    upload = jpeg(noisy(3200, 2400), exif=gps_exif(orientation=6))

    clean = sanitize_image(upload, "portrait.jpg")

    assert (clean.width, clean.height) == (1600, 2133)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 MP, decoded whole, is 90 MB of RGB; the draft decodes a quarter of each side.
    upload = jpeg(Image.new("RGB", (6400, 4800), (30, 120, 200)))
    decoded: list[tuple[int, int]] = []
    load = JpegImageFile.load

    def spy(self: JpegImageFile) -> object:
        decoded.append(self.size)
        return load(self)

    monkeypatch.setattr(JpegImageFile, "load", spy)
    clean = sanitize_image(upload, "big.jpg")

    assert (clean.width, clean.height) == (1600, 1200)
    assert decoded and max(decoded) <= (1600, 1200)


def test_a_small_image_is_not_enlarged() -> None:
    clean = sanitize_image(jpeg(noisy(300, 200)), "small.jpg")
    assert (clean.width, clean.height) == (300, 200)


# -- the real type -------------------------------------------------------------


def test_a_png_named_jpg_is_taken_as_png_and_stored_as_png(tmp_path: Path) -> None:
    chart = Image.new("RGB", (50, 50), (255, 255, 255))
    chart.paste((200, 0, 0), (10, 10, 40, 40))

    clean = sanitize_image(png(chart), "chart.jpg")
    relative = store_beside(tmp_path, ARTICLE, clean)

    assert clean.source_format == "PNG"
    assert (clean.extension, clean.mime) == ("png", "image/png")
    assert relative.endswith(".png")
    assert (tmp_path / "column/2026-12" / relative).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_jpeg_named_png_is_taken_as_jpeg() -> None:
    clean = sanitize_image(jpeg(noisy(80, 60)), "photo.png")
    assert clean.source_format == "JPEG" and clean.extension == "jpg"
    assert clean.data[:3] == b"\xff\xd8\xff"


def pillow_file(format: str) -> bytes:
    out = io.BytesIO()
    noisy(40, 30).save(out, format=format)
    return out.getvalue()


@pytest.mark.parametrize(("data", "expected"), [
    (b"This is a meeting note, not a photo.\n" * 40, "不是图片"),
    # Real files Pillow itself could open: only the four accepted formats may be.
    (pillow_file("GIF"), "GIF"),
    (pillow_file("BMP"), "BMP"),
    (pillow_file("TIFF"), "TIFF"),
    (pillow_file("ICO"), "不是图片"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)'
     b"</script></svg>", "SVG"),
    (b"%PDF-1.7\n" + b"0" * 100, "PDF"),
])
def test_a_file_that_is_not_an_accepted_image_is_refused(data: bytes, expected: str) -> None:
    refused = refusal(sanitize_image, data, "photo.png")
    assert refused.status == 400
    assert expected in refused.message and "photo.png" in refused.message


def test_a_multi_picture_jpeg_from_a_phone_is_accepted() -> None:
    out = io.BytesIO()
    noisy(64, 48).save(out, format="MPO", save_all=True, append_images=[noisy(32, 24)])
    clean = sanitize_image(out.getvalue(), "IMG_3001.JPG")
    assert clean.source_format == "MPO" and (clean.width, clean.height) == (64, 48)
    assert clean.extension == "jpg" and b"MPF" not in clean.data and not clean.animated


def test_the_name_quoted_in_a_refusal_has_no_path_or_control_characters() -> None:
    refused = refusal(sanitize_image, b"plain text", "C:\\fakepath\\a\nb\x00\u202e.png")
    assert "“ab.png”" in refused.message


def test_a_truncated_jpeg_is_refused_as_damaged() -> None:
    upload = jpeg(noisy(400, 300))
    refused = refusal(sanitize_image, upload[: len(upload) // 2], "cut.jpg")
    assert refused.status == 400 and "损坏" in refused.message


def test_an_animated_webp_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (40, 40), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], lossless=True)

    clean = sanitize_image(out.getvalue(), "moving.webp")

    assert clean.animated and clean.source_format == "WEBP"
    assert Image.open(io.BytesIO(clean.data)).convert("RGB").getpixel((20, 20)) == (255, 0, 0)


# -- bombs and limits ------------------------------------------------------------


def test_a_decompression_bomb_is_refused_quickly_without_decoding(no_decoding: None) -> None:
    bomb = png_claiming(30_000, 30_000)
    assert len(bomb) < 1000

    started = time.monotonic()
    refused = refusal(sanitize_image, bomb, "bomb.png")

    assert refused.status == 413 and "像素" in refused.message
    assert time.monotonic() - started < 2


def test_pixels_over_our_limit_are_refused_from_the_header(no_decoding: None) -> None:
    # 63 MP: under Pillow's own bomb threshold (89 MP), over ours (50 MP).
    refused = refusal(sanitize_image, png_claiming(9000, 7000), "big.png")
    assert refused.status == 413 and "9000×7000" in refused.message

    refused = refusal(sanitize_image, png_claiming(2000, 1000), "mid.png", max_pixels=1_000_000)
    assert refused.status == 413


def test_a_ribbon_too_tall_after_scaling_is_refused(no_decoding: None) -> None:
    refused = refusal(sanitize_image, png_claiming(2, 40_000), "ribbon.png")
    assert refused.status == 413 and "太长" in refused.message


def test_too_many_bytes_are_refused_before_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("opened a file over the byte limit")

    monkeypatch.setattr(Image, "open", no_open)
    refused = refusal(sanitize_image, b"\xff\xd8\xff" + b"\x00" * 2048, "huge.jpg",
                      max_bytes=1024)
    assert refused.status == 413 and "上限" in refused.message
    assert refusal(sanitize_image, b"", "empty.jpg").status == 400


# -- PDF -----------------------------------------------------------------------


def make_pdf(extra: bytes = b"", trailer: bytes = b"") -> bytes:
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R" + extra
            + b" >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
            + b"3 0 obj\n<< /Length 12 >>\nstream\nBT /JS 1 ET\nendstream\nendobj\n"
            + b"trailer\n<< /Root 1 0 R" + trailer + b" >>\n%%EOF\n")


def test_a_plain_pdf_is_accepted_as_it_is() -> None:
    data = make_pdf()
    clean = check_pdf(data, "2026年工作要点.pdf")
    assert clean.data == data and clean.extension == "pdf" and clean.mime == "application/pdf"


@pytest.mark.parametrize("data", [
    b"PK\x03\x04" + b"\x00" * 100,  # a .docx renamed
    b"Hello, this is text with %PDF-1.7 inside\n%%EOF\n",  # magic not at the start
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
])
def test_a_pdf_with_the_wrong_magic_is_refused(data: bytes) -> None:
    refused = refusal(check_pdf, data, "文件.pdf")
    assert refused.status == 400 and "PDF" in refused.message


def test_pdf_limits_truncation_and_encryption() -> None:
    assert refusal(check_pdf, make_pdf(), "a.pdf", max_bytes=100).status == 413
    truncated = make_pdf()[:-20]
    assert "不完整" in refusal(check_pdf, truncated, "a.pdf").message
    encrypted = make_pdf(trailer=b" /Encrypt 9 0 R")
    assert "加密" in refusal(check_pdf, encrypted, "a.pdf").message


@pytest.mark.parametrize("extra", [
    b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
    b" /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>",  # hex-escaped names
    b" /OpenAction << /S /Launch /F (cmd.exe) >>",
])
def test_a_pdf_with_active_content_is_refused(extra: bytes) -> None:
    refused = refusal(check_pdf, make_pdf(extra), "a.pdf")
    assert refused.status == 400 and "安全" in refused.message


def test_javascript_packed_in_an_object_stream_is_found() -> None:
    packed = zlib.compress(b"4 0 << /S /JavaScript /JS (app.alert(1)) >>")
    body = (b" >>\nendobj\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode "
            b"/Length " + str(len(packed)).encode() + b" >>\nstream\n" + packed
            + b"\nendstream\nendobj\n6 0 obj\n<< /Dummy 1")
    refused = refusal(check_pdf, make_pdf(body), "a.pdf")
    assert "JavaScript" in refused.message


# -- storage -------------------------------------------------------------------


def test_store_beside_writes_next_to_the_article_atomically(tmp_path: Path) -> None:
    clean = sanitize_image(jpeg(noisy(64, 48)), "IMG_1.jpg")

    relative = store_beside(tmp_path, ARTICLE, clean)

    assert relative == f"cunmin-yishi-files/{clean.digest[:16]}.jpg"
    folder = tmp_path / "column/2026-12/cunmin-yishi-files"
    assert [p.name for p in folder.iterdir()] == [relative.split("/")[1]]  # no temp file left
    assert store_beside(tmp_path, ARTICLE, clean) == relative  # the same upload: one file
    assert len(list(folder.iterdir())) == 1
    assert image_markdown("村民代表在会上发言", relative) == f"![村民代表在会上发言]({relative})"


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    clean = check_pdf(make_pdf(), "a.pdf")

    def broken_replace(source: str, target: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(media.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store_beside(tmp_path, ARTICLE, clean)
    assert list((tmp_path / "column/2026-12/cunmin-yishi-files").iterdir()) == []


@pytest.mark.parametrize("article_path", [
    "../outside.md",
    "column/../../outside.md",
    "column/2026-12/../../../outside.md",
    "/etc/cron.d/job.md",
    "column\\..\\..\\outside.md",
    "column/2026-12/a.md\x00.png",
    "column/2026-12/article.html",
    "article.md",
    "column/2026-12/.hidden.md",
    "",
])
def test_store_beside_refuses_traversal(tmp_path: Path, article_path: str) -> None:
    content = tmp_path / "content"
    content.mkdir()
    clean = check_pdf(make_pdf(), "a.pdf")

    refused = refusal(store_beside, content, article_path, clean)

    assert refused.status == 400
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("link", ["column/2026-12/cunmin-yishi-files", "column/2026-12",
                                  "column"])
def test_store_beside_refuses_a_symlink_out_of_content(tmp_path: Path, link: str) -> None:
    content, outside = tmp_path / "content", tmp_path / "outside"
    (content / link).parent.mkdir(parents=True, exist_ok=True)
    outside.mkdir()
    (content / link).symlink_to(outside)
    clean = check_pdf(make_pdf(), "a.pdf")

    assert refusal(store_beside, content, ARTICLE, clean).status == 400
    assert list(outside.iterdir()) == []  # not even a directory made out there


# -- names and alt text ------------------------------------------------------------


def test_safe_stem_keeps_no_path_and_no_strange_characters() -> None:
    for name in ("../../etc/passwd", "C:\\Users\\wang\\My Photo (2).JPG", "a\x00b\nc.jpg",
                 "村委会照片.jpg", ".htaccess", "", "x" * 500 + ".png"):
        stem = safe_stem(name)
        assert stem and len(stem) <= 49
        assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in stem), stem
    assert safe_stem("C:\\Users\\wang\\My Photo (2).JPG").startswith("my-photo-2-")
    assert safe_stem("村委会照片.jpg") != safe_stem("党员大会.jpg")


def test_alt_text_is_required_one_line_and_not_too_long() -> None:
    assert require_alt("  村民代表\n在会上   发言 ") == "村民代表 在会上 发言"
    for bad in ("", "   \n\t ", "字" * 151, "IMG_2034.JPG", "说明\x00", "a\u202eb"):
        refused = refusal(require_alt, bad)
        assert refused.status == 400 and "图片说明" in refused.message
    assert require_alt("字" * 150) == "字" * 150


def test_markdown_cannot_be_broken_out_of_by_alt_or_title() -> None:
    markdown = pytest.importorskip("markdown")
    render = markdown.Markdown(extensions=["tables", "attr_list", "md_in_html"]).convert
    html = render(image_markdown("x](javascript:alert(1)) <img src=x onerror=alert(1)>",
                                 "a-files/b.jpg"))
    assert html.count("<img") == 1 and 'src="a-files/b.jpg"' in html
    assert "javascript:alert(1)) &lt;img" in html  # inside the alt attribute, as text
    html = render(pdf_markdown("<script>alert(1)</script> [x](javascript:y)", "a-files/c.pdf"))
    assert "<script" not in html and html.count("<a ") == 1 and 'href="a-files/c.pdf"' in html


def test_clean_image_knows_its_digest_and_size() -> None:
    clean = sanitize_image(jpeg(noisy(30, 20)), "a.jpg")
    assert isinstance(clean, CleanImage) and clean.size == len(clean.data)
    assert len(clean.digest) == 64
