"""PDFs (issue 8, hole 7): long text renders in linear time, in a worker process with a hard time limit."""

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from core import printing
from core.models import Organisation
from core.printing import PdfError, render_pdf
from people.models import Person

CJK = "救助管理站流浪乞讨人员自述家住河南省周口市郸城县口音较重说话不清楚"


def _file_html(marks: str) -> str:
    station = Organisation(name="英德市救助管理站", code="YDZ")
    person = Person(name="张三", file_no="YDZ-2026-00001", registered_by=station, marks=marks)
    return render_to_string(
        "people/print_file.html",
        {
            "person": person,
            "episodes": [],
            "transitions": [],
            "contacts": [],
            "printed_at": timezone.now(),
            "as_pdf": True,
        },
    )


def test_hole7_a_10000_character_unbroken_note_prints_as_a_pdf():
    text = (CJK * 400)[:10000]
    pdf = render_pdf(_file_html(text), base_url="/")  # the default limit; minutes before the fix
    assert pdf.startswith(b"%PDF")


def test_hole7_print_tables_use_the_fixed_layout_that_keeps_long_text_linear():
    html = _file_html("x")
    assert "table-layout: fixed" in html and "overflow-wrap: anywhere" in html


def test_hole7_a_render_past_the_time_limit_is_killed_and_the_next_one_works():
    # Automatic layout of a flex item measures unbroken Chinese quadratically: far beyond half a second.
    slow = f"<div style='display:flex'><div>{CJK * 300}</div><div>{CJK * 300}</div></div>"
    with pytest.raises(PdfError, match="秒被中止"):
        render_pdf(slow, base_url="/", timeout=0.5)
    assert printing._worker.proc is None  # killed, CPU free again
    assert render_pdf("<p>归途</p>", base_url="/").startswith(b"%PDF")


@pytest.mark.django_db
def test_hole7_a_pdf_that_cannot_be_made_in_time_gets_a_chinese_page(cast, client_for, settings):
    from people.services import person_create

    person = person_create(by=cast.reception, station=cast.station, data={"name": "张三"})
    settings.GUITU_PDF_TIMEOUT_SECONDS = 0.001
    response = client_for(cast.reception).get(f"/people/{person.uuid}/print/?format=pdf")
    assert response.status_code == 503
    assert "PDF" in response.content.decode() and "网页打印" in response.content.decode()
