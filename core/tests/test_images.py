"""THE image intake (core.images): pixel cap before decoding, re-encoding, EXIF/GPS stripped, orientation
applied, clear Chinese messages (issue 8, hole 6)."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageFile

from core.images import take_document, take_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 12000) -> bytes:
    """A valid greyscale PNG of ``side``² pixels that compresses to ~140 KB (the probe's file)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * side
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def gps_jpeg(size=(60, 30), orientation: int = 6) -> bytes:
    """A JPEG with a GPS position, a camera model and an orientation tag (rotate 90° clockwise to view)."""
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows where "up" went
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Model] = "SENTINEL-CAMERA"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (23.0, 41.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (113.0, 3.0, 0.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=95)
    return buf.getvalue()


def upload(content: bytes, name="p.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def assert_clean(content: bytes) -> None:
    """No EXIF (so no GPS, camera or orientation), a fresh JPEG."""
    assert content[:3] == b"\xff\xd8\xff"
    assert b"Exif" not in content and b"SENTINEL" not in content
    with Image.open(io.BytesIO(content)) as img:
        assert img.format == "JPEG" and not img.getexif() and "exif" not in img.info


def test_gps_jpeg_fixture_really_carries_gps():
    with Image.open(io.BytesIO(gps_jpeg())) as img:
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"


def test_exif_with_gps_is_stripped_and_the_orientation_is_applied():
    clean = take_image(upload(gps_jpeg(size=(60, 30), orientation=6)))
    assert_clean(clean.content)
    assert (clean.width, clean.height) == (30, 60)  # turned upright, then the tag dropped
    with Image.open(io.BytesIO(clean.content)) as img:
        top = img.convert("RGB").getpixel((15, 5))
        assert top[2] > top[0]  # the blue left half is now on top


def test_a_140kb_png_of_12000_by_12000_pixels_is_refused_before_any_pixel_is_decoded(monkeypatch):
    content = bomb_png()
    assert len(content) < 200 * 1024

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ValidationError) as err:
        take_image(upload(content, "bomb.png"), field="photo")
    message = err.value.message_dict["photo"][0]
    assert "尺寸过大" in message and "百万像素" in message


def test_the_pixel_cap_is_a_setting_checked_on_the_header(settings):
    settings.GUITU_MAX_IMAGE_PIXELS = 1_000_000
    buf = io.BytesIO()
    Image.new("L", (1200, 1000)).save(buf, "PNG")
    with pytest.raises(ValidationError, match="尺寸过大（1200×1000 像素），不能超过 1 百万像素"):
        take_image(upload(buf.getvalue(), "a.png"))


def test_large_photos_are_scaled_down_and_transparent_pngs_flattened():
    buf = io.BytesIO()
    Image.new("RGBA", (4000, 1000), (0, 0, 0, 0)).save(buf, "PNG")
    clean = take_image(upload(buf.getvalue(), "a.png"), max_side=1600)
    assert (clean.width, clean.height) == (1600, 400)
    with Image.open(io.BytesIO(clean.content)) as img:
        assert img.mode == "RGB" and img.getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize(("content", "message"), [
    (b"not an image at all", "不是有效的图片，只接受 JPEG、PNG 或 WebP"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "不是有效的图片"),
    (gps_jpeg(size=(600, 400))[:2500], "已损坏或无法识别"),
    (b"", "空文件"),
])
def test_bad_files_get_a_clear_chinese_message(content, message):
    with pytest.raises(ValidationError, match=message):
        take_image(upload(content), label="照片")


def test_too_many_bytes_are_refused_before_opening(settings):
    with pytest.raises(ValidationError, match=r"照片过大（.*KB），不能超过 1 MB"):
        take_image(upload(b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 1)), max_bytes=1024 * 1024)


def test_documents_accept_pdf_as_sent_and_images_through_the_same_intake():
    pdf = take_document(upload(b"%PDF-1.4\n%%EOF\n", "a.pdf"), field="scan", label="复印件")
    assert pdf.ext == "pdf" and pdf.content_type == "application/pdf"
    image = take_document(upload(gps_jpeg()), field="scan", label="复印件")
    assert image.ext == "jpg"
    assert_clean(image.content)
    with pytest.raises(ValidationError, match="复印件不是有效的图片或 PDF"):
        take_document(upload(b"MZ\x90\x00binary", "x.exe"), field="scan", label="复印件")


def test_a_truncated_upload_is_refused_even_after_weasyprint_relaxed_pillow():
    import weasyprint  # noqa: F401 - importing it sets ImageFile.LOAD_TRUNCATED_IMAGES = True

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    with pytest.raises(ValidationError, match="已损坏或无法识别"):
        take_image(upload(gps_jpeg(size=(600, 400))[:2500]))
