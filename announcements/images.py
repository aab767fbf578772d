"""Image handling for the public side: re-encode to a plain JPEG (no EXIF, no GPS, bounded size).

Everything a member of the public sends or receives passes through :func:`clean_jpeg`, so no original
file (with its metadata, or a crafted payload) is ever stored from or served to the public.
"""

import io

from PIL import Image, ImageOps

PUBLIC_FORMATS = {"JPEG", "PNG", "WEBP"}


class NotAnImage(ValueError):
    pass


def clean_jpeg(fileobj, max_side: int, quality: int = 82) -> bytes:
    """The image in ``fileobj`` as a fresh JPEG no larger than ``max_side`` pixels, without metadata."""
    try:
        fileobj.seek(0)
        with Image.open(fileobj) as probe:
            fmt = probe.format
            probe.verify()
        fileobj.seek(0)
        img = Image.open(fileobj)
        if fmt not in PUBLIC_FORMATS:
            raise NotAnImage(fmt)
        img.draft("RGB", (max_side, max_side))  # fast JPEG downscale while decoding
        img = ImageOps.exif_transpose(img)  # keep the orientation, then drop the EXIF with it
        img = img.convert("RGB")
        img.thumbnail((max_side, max_side))
    except NotAnImage:
        raise
    except Exception as exc:  # Pillow raises many types for broken files
        raise NotAnImage(str(exc)) from exc
    finally:
        try:
            fileobj.seek(0)
        except Exception:  # noqa: S110 - closed or unseekable; nothing to restore
            pass
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)  # no exif= argument: metadata is dropped
    return out.getvalue()
