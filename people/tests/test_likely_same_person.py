"""The duplicate-suggestion selector used by intake (rules I4, E4)."""

from people.selectors import likely_same_person
from people.services import person_create

VALID_ID = "11010519491231002X"  # GB 11643 example: female, born 1949-12-31


def _person(cast, station=None, **data):
    station = station or cast.station
    id_number = data.pop("id_number", "")
    return person_create(by=cast.head, station=station, data=data, id_number=id_number)


def test_i4_same_id_number_is_shown_first_even_with_another_name(cast):
    by_name = _person(cast, name="王芳", sex="女", birth_year_est=1950)
    by_id = _person(cast, name="王小芳", sex="女", id_number=VALID_ID)
    result = likely_same_person(user=cast.reception, name="王芳", sex="女", birth_year=1949, id_number=VALID_ID)
    assert [c["uuid"] for c in result] == [by_id.uuid, by_name.uuid]
    assert result[0]["same_id"] and "身份证号相同" in result[0]["reasons"][0]


def test_i4_homophone_names_match_through_pinyin(cast):
    other = _person(cast, name="章三", sex="男", birth_year_est=1980)
    result = likely_same_person(user=cast.reception, name="张三", sex="男", birth_year=1982)
    assert [c["person"] for c in result] == [other]
    assert any("读音相同" in r for r in result[0]["reasons"])


def test_i4_incompatible_sex_or_birth_year_is_not_suggested(cast):
    _person(cast, name="张三", sex="女", birth_year_est=1980)
    _person(cast, name="张三", sex="男", birth_year_est=1960)
    assert likely_same_person(user=cast.reception, name="张三", sex="男", birth_year=1980) == []


def test_hole2_files_at_other_stations_are_found_but_show_only_station_and_masked_name(cast):
    elsewhere = _person(cast, station=cast.other_station, name="张三", sex="男", birth_year_est=1980,
                        marks="左臂纹身")
    result = likely_same_person(user=cast.reception, name="张三", sex="男", birth_year=1980)
    assert len(result) == 1
    found = result[0]
    assert found["person"] is None and not found["in_scope"]
    # hole 2: the holding station and a masked name; no file number, sex or birth year
    assert (found["name"], found["file_no"], found["station_name"]) == ("张*", "", "乳源瑶族自治县救助管理站")
    assert found["sex"] == "" and found["birth_year"] is None
    assert "左臂纹身" not in str(found) and elsewhere.file_no not in str(found)


def test_exclude_leaves_out_the_file_being_edited(cast):
    me = _person(cast, name="张三", sex="男")
    assert likely_same_person(user=cast.reception, name="张三", exclude=me) == []


def test_provisional_names_are_not_matched_by_name(cast):
    _person(cast, name="", sex="男")
    assert likely_same_person(user=cast.reception, name="无名氏-英德站-2026-001") == []
