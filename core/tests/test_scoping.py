"""The scoping ladder: own organisation, a department's subtree, a regional centre's region."""

import pytest

from core.models import Organisation
from core.scoping import division_prefix, get_scoped_or_404, scoped, visible_org_ids


def test_division_prefix_strips_trailing_zero_pairs():
    assert division_prefix("440000") == "44"
    assert division_prefix("441800") == "4418"
    assert division_prefix("441881") == "441881"
    assert division_prefix("441881001") == "441881001"


@pytest.mark.django_db
def test_a_station_user_sees_only_their_own_organisation(cast):
    assert visible_org_ids(cast.reception) == {cast.station.pk}


@pytest.mark.django_db
def test_a_county_department_sees_its_supervised_subtree(cast):
    assert visible_org_ids(cast.county_supervisor) == {cast.county_dept.pk, cast.station.pk}


@pytest.mark.django_db
def test_the_city_department_sees_the_whole_city_subtree_but_not_another_city(cast):
    ids = visible_org_ids(cast.city_supervisor)
    assert {cast.city_station.pk, cast.county_dept.pk, cast.station.pk, cast.hospital.pk, cast.panel.pk} <= ids
    assert cast.other_station.pk not in ids and cast.other_dept.pk not in ids


@pytest.mark.django_db
def test_a_regional_centre_sees_the_organisations_in_its_region(cast):
    ids = visible_org_ids(cast.city_reception)
    assert {cast.station.pk, cast.police.pk, cast.hospital.pk} <= ids
    assert cast.other_station.pk not in ids


@pytest.mark.django_db
def test_it_hides_other_counties_organisations(cast):
    assert list(scoped(Organisation.objects.all(), cast.outsider)) == [cast.other_station]
    from django.http import Http404

    with pytest.raises(Http404):
        get_scoped_or_404(Organisation.objects.all(), cast.outsider, uuid=cast.station.uuid)


@pytest.mark.django_db
def test_anonymous_users_see_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    assert not scoped(Organisation.objects.all(), AnonymousUser()).exists()
