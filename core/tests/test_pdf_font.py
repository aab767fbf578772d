"""PDF generation refuses to run without a CJK font rather than print every character as a box."""

import pytest

from core import printing

pytestmark = pytest.mark.django_db


def test_pdf_refuses_without_a_cjk_font_with_a_chinese_message(cast, client_for, monkeypatch):
    from django.urls import reverse

    from stay.tests.factories import admitted_episode

    ep = admitted_episode(cast)
    monkeypatch.setattr(printing, "cjk_font_available", lambda: False)
    with pytest.raises(printing.NoCJKFont):
        printing.render_pdf("<p>中文</p>", base_url="/")
    response = client_for(cast.head).get(reverse("people:print_file", args=[ep.person.uuid]), {"format": "pdf"})
    assert response.status_code == 503 and "中文字体" in response.content.decode()


def test_the_test_machine_has_a_cjk_font():
    assert printing.cjk_font_available()  # make sysdeps installs fonts-noto-cjk
