"""THE image intake: every uploaded image goes through :func:`take_image` (issue 8, item 6).

Person photos, report photos, claimants' ID-copy scans, police answers' attachments, public clue photos:
whatever the source, an upload is

1. checked for its byte size (``max_bytes``) without reading it;
2. opened *lazily* — Pillow reads only the header — and refused when its format is not JPEG/PNG/WebP or
   when width × height exceeds ``GUITU_MAX_IMAGE_PIXELS``, BEFORE any pixel is decoded: a 140 KB PNG
   declaring 12000 × 12000 pixels costs a header read, not 400 MB of RAM;
3. decoded (JPEGs straight at a reduced scale), turned upright from its EXIF orientation, flattened to RGB
   and scaled down to ``max_side``;
4. re-encoded as a fresh JPEG without any metadata: EXIF (GPS position, camera, time), XMP, ICC and
   comments are gone, and so is any payload appended to the original file.

Only the re-encoded bytes are ever stored. Scans that may also be PDFs go through :func:`take_document`,
which sends images through the same path and checks PDFs by their header.

Messages are Chinese and name the field, so forms and the API show them as they are.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageFile, ImageOps

#: Formats accepted from users; anything else (GIF, BMP, TIFF, SVG, HEIC …) is refused.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_LABEL = "JPEG、PNG 或 WebP"
JPEG_QUALITY = 88


def max_pixels() -> int:
    return int(getattr(settings, "GUITU_MAX_IMAGE_PIXELS", 50_000_000))


def default_max_side() -> int:
    return int(getattr(settings, "GUITU_IMAGE_MAX_SIDE", 3000))


def default_max_bytes() -> int:
    return int(getattr(settings, "GUITU_MAX_PHOTO_BYTES", 8 * 1024 * 1024))


def _install_pillow_guard() -> None:
    # Defence in depth for any other Pillow use in the process (the face engine reading stored photos):
    # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that (take_image refuses at the cap itself).
    Image.MAX_IMAGE_PIXELS = max_pixels()
    ImageFile.LOAD_TRUNCATED_IMAGES = False


_install_pillow_guard()


@dataclass(frozen=True)
class CleanDocument:
    """An accepted upload: re-encoded image bytes (JPEG, no metadata) or a PDF checked by its header."""

    content: bytes
    ext: str
    content_type: str

    @property
    def size(self) -> int:
        return len(self.content)

    def as_file(self, name: str = "photo") -> ContentFile:
        """A file object for a FileField, named ``<name>.<ext>`` whatever the upload was called."""
        stem = name.rsplit(".", 1)[0] if "." in name else name
        return ContentFile(self.content, name=f"{stem or 'file'}.{self.ext}")


@dataclass(frozen=True)
class CleanImage(CleanDocument):
    """A re-encoded image: upright, at most ``max_side`` pixels a side."""

    width: int
    height: int
    source_format: str


def _mb(n: int) -> str:
    value = n / 1024 / 1024
    return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _check_bytes(upload, *, field: str, label: str, max_bytes: int) -> None:
    if upload is None:
        raise _refuse(field, f"请选择要上传的{label}。")
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    if size == 0:
        raise _refuse(field, f"{label}是空文件，请重新选择。")
    if size > max_bytes:
        raise _refuse(field, f"{label}过大（{size // 1024} KB），不能超过 {_mb(max_bytes)} MB。")


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def take_image(upload, *, field: str = "image", label: str = "照片", max_bytes: int | None = None,
               max_side: int | None = None, quality: int = JPEG_QUALITY) -> CleanImage:
    """Check and re-encode one uploaded image; raise ``ValidationError({field: 中文说明})`` when refused.

    ``upload`` is any file object (Django upload, ninja ``UploadedFile``, ``BytesIO``, an opened FieldFile).
    """
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    max_side = default_max_side() if max_side is None else max_side
    _check_bytes(upload, field=field, label=label, max_bytes=max_bytes)
    not_an_image = f"上传的{label}不是有效的图片，只接受 {ACCEPTED_LABEL} 格式的图片。"
    cap = max_pixels()
    try:
        upload.seek(0)
        img = Image.open(upload, formats=ACCEPTED_FORMATS)  # lazy: reads the header only
        try:
            width, height = img.size
            if width <= 0 or height <= 0 or width * height > cap:
                raise _refuse(field, f"{label}尺寸过大（{width}×{height} 像素），不能超过 {cap // 1_000_000} 百万像素，"
                                     "请缩小后再上传。")
            source_format = img.format or ""
            if source_format == "JPEG":
                img.draft("RGB", (max_side, max_side))  # decode at 1/2…1/8 scale when much larger
            img.seek(0)  # first frame of an animated WebP
            # WeasyPrint and face_recognition set this to True when imported; a broken upload must be refused.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            img.load()
            upright = ImageOps.exif_transpose(img)
            rgb = _flatten(upright)
            rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            # No exif=, icc_profile= or comment=: nothing of the original's metadata is written.
            rgb.save(out, "JPEG", quality=quality, optimize=True)
            result = CleanImage(content=out.getvalue(), ext="jpg", content_type="image/jpeg", width=rgb.width,
                                height=rgb.height, source_format=source_format)
        finally:
            img.close()
    except ValidationError:
        raise
    except Image.UnidentifiedImageError as exc:
        raise _refuse(field, not_an_image) from exc
    except Image.DecompressionBombError as exc:  # Pillow's own guard (twice the cap) fired while opening
        raise _refuse(field, f"{label}尺寸过大（超过 {cap // 1_000_000} 百万像素），请缩小后再上传。") from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, TypeError, IndexError, KeyError) as exc:
        # Pillow raises all of these for truncated or malformed files.
        raise _refuse(field, f"{label}已损坏或无法识别，请重新上传。") from exc
    finally:
        try:
            upload.seek(0)
        except (OSError, ValueError, AttributeError):
            pass
    return result


def take_document(upload, *, field: str, label: str, max_bytes: int | None = None,
                  max_side: int | None = None) -> CleanDocument:
    """A scan that may be an image or a PDF (claimants' ID copies, police answers' attachments).

    Images go through :func:`take_image` (re-encoded, no metadata); a PDF is accepted by its header and
    stored as sent (it is only ever served to authorised staff as a download).
    """
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    _check_bytes(upload, field=field, label=label, max_bytes=max_bytes)
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        content = upload.read()
        upload.seek(0)
        return CleanDocument(content=content, ext="pdf", content_type="application/pdf")
    try:
        image = take_image(upload, field=field, label=label, max_bytes=max_bytes, max_side=max_side)
    except ValidationError as exc:
        message = exc.message_dict.get(field, [""])[0]
        if "不是有效的图片" in message:
            raise _refuse(field, f"上传的{label}不是有效的图片或 PDF，只接受 {ACCEPTED_LABEL} 图片或 PDF 文件。") from exc
        raise
    return image


def reencode_jpeg(fileobj, *, max_side: int, quality: int = 82) -> bytes:
    """Re-encode a stored image for display (e.g. the public board's photos): same path, smaller size."""
    return take_image(fileobj, field="image", label="照片", max_bytes=max(default_max_bytes(), 64 * 1024 * 1024),
                      max_side=max_side, quality=quality).content
