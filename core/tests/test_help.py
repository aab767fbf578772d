"""帮助: the operating guides of docs/ rendered inside the application, reachable from each page."""

import pytest
from django.urls import reverse

from core.helpdocs import GUIDES, guide_for_path, render_markdown

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("guide", GUIDES, ids=[g.slug for g in GUIDES])
def test_every_guide_renders_as_a_page(cast, client_for, guide):
    response = client_for(cast.carer).get(reverse("help_page", args=[guide.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>" in body and 'id="help-guide"' in body and "```" not in body


def test_each_page_links_to_its_sections_guide(cast, client_for):
    page = client_for(cast.tracer).get(reverse("tracing:home")).content.decode()
    assert reverse("help_page", args=["tracing"]) + "?from=%2Ftracing%2F" in page
    page = client_for(cast.carer).get(reverse("stay:board")).content.decode()
    assert reverse("help_page", args=["station"]) in page
    assert guide_for_path("/deadlines/").slug == "deadlines" and guide_for_path("/people/x/").slug == "station"


def test_the_back_link_only_returns_to_this_site(cast, client_for):
    client = client_for(cast.carer)
    ok = client.get(reverse("help_page", args=["station"]), {"from": "/stay/"}).content.decode()
    assert 'href="/stay/">返回' in ok
    for evil in ("javascript:alert(1)", "//evil.example/", "https://evil.example/"):
        body = client.get(reverse("help_page", args=["station"]), {"from": evil}).content.decode()
        assert "evil" not in body and "javascript:" not in body


def test_help_requires_login_and_unknown_guides_are_404(client, cast, client_for):
    assert client.get(reverse("help_page", args=["station"])).status_code == 302
    assert client_for(cast.carer).get(reverse("help_page", args=["nope"])).status_code == 404


def test_the_renderer_escapes_html_and_keeps_only_safe_links():
    html = render_markdown("# 标题\n\n<script>x</script> **粗** `代码` [ok](/stay/) [bad](javascript:alert(1))\n\n"
                           "- 一\n- 二\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>粗</strong>" in html and "<code>代码</code>" in html and '<a href="/stay/">ok</a>' in html
    assert "javascript" not in html.split("bad")[0][-40:] and 'href="javascript' not in html
    assert "<ul><li>一</li>" in html.replace("\n", "") and "<th>a</th>" in html and "<td>2</td>" in html


def test_every_page_has_a_favicon(cast, client_for, client):
    from django.urls import reverse

    assert 'rel="icon"' in client_for(cast.carer).get(reverse("stay:board")).content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_print_pages_have_a_way_back_to_where_the_user_came_from(cast, client_for):
    from stay.tests.factories import admitted_episode

    ep = admitted_episode(cast)
    url = reverse("people:print_file", args=[ep.person.uuid])
    back = f"/people/{ep.person.uuid}/"
    body = client_for(cast.head).get(url, HTTP_REFERER=f"http://testserver{back}").content.decode()
    assert f'href="http://testserver{back}">← 返回' in body
    body = client_for(cast.head).get(url, HTTP_REFERER="https://evil.example/x").content.decode()
    assert "evil.example" not in body and 'href="/">← 返回' in body


def test_the_menu_reaches_the_intake_list_and_the_clue_stat_opens_the_clue_inbox(cast, client_for):
    page = client_for(cast.reception).get(reverse("intake:list")).content.decode()
    assert f'href="{reverse("intake:list")}"' in page and "新增求助登记" in page
    tracing_home = client_for(cast.tracer).get(reverse("tracing:home")).content.decode()
    assert f'href="{reverse("announcements:clue_inbox")}">待处理公告线索' in tracing_home
