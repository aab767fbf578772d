"""The one way a stored file (photo, scan, signed document) leaves the system: after the caller's scope check,
through :func:`private_file` — a missing file is a 404, never a 500; the response is never cached by the
browser or a proxy (``private, no-store``) and never sniffed into another type (``nosniff``)."""

from django.http import FileResponse, Http404

_TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg", "jpeg": "image/jpeg",
          "pdf": "application/pdf"}


def content_type_of(name: str, default: str = "image/jpeg") -> str:
    """The content type of a stored file by its extension (images are re-encoded to JPEG on intake)."""
    return _TYPES.get(name.rsplit(".", 1)[-1].lower(), default) if "." in name else default


def private_file(field_file, *, filename: str | None = None, content_type: str | None = None,
                 missing: str = "文件不存在。") -> FileResponse:
    """Stream ``field_file`` to an authorised user (the caller has already checked scope and logged the read)."""
    if not field_file:
        raise Http404(missing)
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(missing) from exc
    response = FileResponse(handle, filename=filename or field_file.name.rsplit("/", 1)[-1],
                            content_type=content_type or content_type_of(field_file.name))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
