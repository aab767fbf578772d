"""Rule E3 in a real browser (Debian chromium): a 12-year-old girl is collected by her mother; the
receptionist checks the mother's ID and copy and picks two witnesses from the station's supervision panel
(members in term, chosen from the roster — no free text); the departure shows both names.

Screenshot under artifacts/: e3-01-departure-form.png."""

import io
import re

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_child_leaves_with_her_mother_before_two_panel_witnesses(
    page, live_server, login, artifacts_dir, settings, tmp_path
):
    from PIL import Image

    from core.testing import PASSWORD, make_cast
    from deadlines.tests.conftest import admit
    from leaving.models import Departure
    from oversight.tests.panel import make_panel

    settings.MEDIA_ROOT = str(tmp_path)
    cast = make_cast()
    panel = make_panel(cast)
    birth = timezone.localdate().replace(year=timezone.localdate().year - 12, month=1, day=15)
    episode = admit(cast, timezone.now(), name="小红", birth_date=birth)
    copy = tmp_path / "id.png"
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buf, "PNG")
    copy.write_bytes(buf.getvalue())

    login(page, cast.reception.username, PASSWORD)
    page.goto(f"{live_server.url}/leaving/episodes/{episode.uuid}/new/")
    page.select_option("select[name=exit_type]", "family")
    page.fill("input[name=claimant_name]", "李母")
    page.fill("input[name=claimant_id_number]", "11010519491231002X")
    page.set_input_files("input[name=claimant_id_copy]", str(copy))
    page.fill("input[name=claimant_relationship]", "母亲")
    page.fill("input[name=claimant_phone]", "13800000000")
    options = page.locator("select[name=witness_1] option").all_inner_texts()
    assert any("陈监督" in o for o in options) and any("林监督" in o for o in options)
    page.select_option("select[name=witness_1]", str(panel[0].uuid))
    page.select_option("select[name=witness_2]", str(panel[1].uuid))
    page.screenshot(path=str(artifacts_dir / "e3-01-departure-form.png"), full_page=True)
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/leaving/[0-9a-f-]+/$|/people/"))
    departure = Departure.objects.get(episode=episode)
    assert [w.membership for w in departure.panel_witnesses.all()] == [panel[0], panel[1]]
    assert "陈监督" in page.content() and "林监督" in page.content()
