"""Issue 15: a form with several mistakes shows all of them at once — the form's own checks and the service's
rules in one pass — and a redisplayed form says that a chosen file must be chosen again."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from intake.models import Belonging
from intake.tests.test_views import form_data
from people.models import Episode, Person

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (120, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def test_n6_n1_registration_shows_form_and_service_mistakes_in_one_save(cast, client_for):
    data = form_data(channel="phone", id_number="110101199001011234", decision="eligible", living_by_vagrancy=None)
    response = client_for(cast.reception).post(reverse("intake:new"), {**data, "photo": _png()})
    page = response.content.decode()
    assert response.status_code == 200
    assert "校验位错误" in page  # the form: a bad ID number …
    assert "录音编号" in page  # … the service: a phone request needs its recording (rule N6) …
    assert "须同时满足四项条件" in page  # … and the N1 conditions — all in the same answer
    assert "请重新选择文件" in page  # the chosen photo must be chosen again, next to its input
    assert not Person.objects.exists() and not Episode.objects.exists()


def test_i2_belongings_show_every_rows_mistake_in_one_save(cast, client_for, episode):
    data = {"items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0",
            "items-0-item": "", "items-0-quantity": "1", "items-0-description": "黑色双肩包",
            "items-1-item": "手机", "items-1-quantity": "0",
            "items-2-item": "", "items-2-quantity": "1"}
    page = client_for(cast.reception).post(reverse("intake:belonging_add", args=[episode.uuid]), data)
    body = page.content.decode()
    assert "请填写物品名称" in body and "数量至少为1" in body
    assert not Belonging.objects.exists()
