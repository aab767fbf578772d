"""Inputs the fuzzer sends: times without a zone, dates at the ends of the calendar — a Chinese message, never a 500."""

import pytest

from oversight.tests.panel import make_panel

pytestmark = pytest.mark.django_db


def test_a_time_without_zone_is_local_and_far_dates_are_refused_cleanly(client_for, cast):
    panel = make_panel(cast)
    client = client_for(cast.panel_member)
    meeting = client.post(f"/api/v1/oversight/panels/{cast.station.uuid}/meetings", {
        "held_at": "2026-01-05T10:00:00", "topic": "例会", "minutes": "纪要",
        "attendees": [str(panel[0].uuid), str(panel[1].uuid)]}, content_type="application/json")
    assert meeting.status_code in (201, 400), meeting.content
    future = client.post(f"/api/v1/oversight/panels/{cast.station.uuid}/meetings", {
        "held_at": "9999-12-31T23:59:59", "topic": "例会", "minutes": "纪要", "attendees": []},
        content_type="application/json")
    assert future.status_code == 400
    head = client_for(cast.head)
    incident = head.post("/api/v1/incidents/", {"station": str(cast.station.uuid), "kind": "injury",
                                                "occurred_at": "0001-01-01T00:00:00", "title": "t", "description": "d"},
                         content_type="application/json")
    assert incident.status_code in (201, 400)
    sup = client_for(cast.county_supervisor)
    user = panel[0].member
    far = sup.post(f"/api/v1/oversight/panels/{cast.city_station.uuid}/members", {
        "member": str(user.uuid), "employer": "x", "term_start": "9999-12-31"}, content_type="application/json")
    assert far.status_code in (400, 403, 404)
