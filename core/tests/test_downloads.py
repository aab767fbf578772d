"""core.downloads.private_file: the one way a stored file is served (issue 8: photos only to authorised users)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import Http404

from core.downloads import content_type_of, private_file


class _Holder:
    pass


def _field_file(name):
    from people.models import PersonPhoto

    return FieldFile(_Holder(), PersonPhoto._meta.get_field("image"), name)


def test_a_stored_file_is_served_uncached_and_unsniffed(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("x/scan.pdf", ContentFile(b"%PDF-1.4\n"))
    response = private_file(_field_file(name), filename="申请.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n"


def test_a_missing_or_empty_file_is_a_404_with_the_callers_message(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(Http404, match="照片文件不存在"):
        private_file(_field_file("gone/never.jpg"), missing="照片文件不存在。")
    with pytest.raises(Http404, match="没有"):
        private_file(_field_file(""), missing="没有文件。")


def test_content_types_by_extension():
    assert content_type_of("a/b.PNG") == "image/png" and content_type_of("a/b") == "image/jpeg"
    assert content_type_of("x.bin", "application/octet-stream") == "application/octet-stream"
