import pytest

from guitu_match import divisions
from guitu_match.normalise import (
    Place,
    fuzzy_pinyin,
    marks_tokens,
    name_features,
    normalise_dialect,
    parse_name,
    parse_place,
    split_surname,
    surname_readings,
)


def test_i4_homophone_surnames_zhang_share_pinyin():
    a, b = name_features("张伟"), name_features("章伟")
    assert a["name_py"] == b["name_py"] == "zhang wei"
    assert a["name_fz"] == b["name_fz"]
    assert a["name_full"] != b["name_full"]


def test_i4_homophone_surnames_li_share_pinyin():
    assert name_features("李明")["names_py"][0] == name_features("黎明")["names_py"][0] == "li ming"


@pytest.mark.parametrize(
    "surname, reading",
    [
        ("单", "shan"),
        ("曾", "zeng"),
        ("解", "xie"),
        ("仇", "qiu"),
        ("区", "ou"),
        ("查", "zha"),
        ("朴", "piao"),
        ("覃", "qin"),
    ],
)
def test_i4_surname_reads_with_surname_table(surname, reading):
    assert surname_readings(surname)[0] == reading
    assert name_features(surname + "强")["surname_py"] == reading


def test_i4_heteronyms_keep_everyday_reading_too():
    # 单 written by someone who heard "dan" still meets 单 read as the surname "shan".
    readings = name_features("单雄信")["names_py"]
    assert "shan xiong xin" in readings and "dan xiong xin" in readings
    # 乐 as a given-name character: le / yue both kept.
    assert {"zhang le", "zhang yue"} <= set(name_features("张乐")["names_py"])


@pytest.mark.parametrize(
    "name, sur, given",
    [("欧阳娜娜", "欧阳", "娜娜"), ("司马光", "司马", "光"), ("诸葛亮", "诸葛", "亮"), ("张三", "张", "三")],
)
def test_compound_surnames_are_split(name, sur, given):
    assert split_surname(name) == (sur, given)


@pytest.mark.parametrize(
    "raw, surname, given",
    [
        ("老张", "张", None),
        ("小王", "王", None),
        ("小明", None, "明"),
        ("阿强", None, "强"),
        ("明儿", None, "明"),
        ("张某", "张", None),
        ("李XX", "李", None),
    ],
)
def test_i4_nicknames_and_placeholders(raw, surname, given):
    p = parse_name(raw)
    assert (p.surname, p.given) == (surname, given)


def test_i4_only_surname_has_no_full_name():
    f = name_features("老张")
    assert f["name_full"] is None and f["surname_fz"] == "zan" and f["name_fz"] is None


def test_alias_readings_join_the_name_keys():
    f = name_features("张晓明", ["小明"])
    assert "zan min" in f["names_fz"]  # surname + nickname's given name


def test_fuzzy_pinyin_merges_flat_and_retroflex_and_nasal_finals():
    assert fuzzy_pinyin("zhang sheng") == fuzzy_pinyin("zan sen")
    assert fuzzy_pinyin("liu ning") == fuzzy_pinyin("niu lin")


def test_empty_name_gives_nothing():
    assert name_features(None)["names_fz"] is None
    assert name_features("  ")["name_py"] is None


def test_place_full_address_resolves_to_county():
    assert parse_place("河南省周口市郸城县汲冢镇张庄村") == Place("410000", "411600", "411625")


def test_place_short_form_without_suffix_is_found():
    # cpca alone finds no county for 郸城.
    assert parse_place("河南郸城").county == "411625"


def test_place_bare_ambiguous_district_is_not_guessed():
    # cpca alone says 长春 for a bare 朝阳区.
    assert parse_place("朝阳区") == Place()
    assert parse_place("北京朝阳区").county == "110105"
    assert parse_place("吉林省长春市朝阳区").county == "220104"


def test_place_ambiguous_district_keeps_common_province():
    assert parse_place("江苏省鼓楼区").province == "320000"


def test_place_newer_district_missing_from_cpca():
    assert parse_place("河南省淮阳区").county == "411603"


def test_place_old_names_map_to_current_code():
    assert parse_place("淮阳县").county == "411603"
    assert parse_place("襄樊市樊城区").county == "420606"


def test_place_province_or_city_only():
    assert parse_place("广东省") == Place("440000")
    assert parse_place("周口") == Place("410000", "411600")


def test_place_from_retired_code_uses_successor():
    assert Place.from_code("411626").county == "411603"
    assert Place.from_code("garbage") == Place()


def test_divisions_iterator_is_ordered_with_parents_first():
    seen = set()
    items = list(divisions.iter_divisions())
    assert len(items) > 3000
    for d in items:
        assert len(d.code) == 6 and d.level in divisions.LEVELS
        if d.parent_code:
            assert d.parent_code in seen
        seen.add(d.code)
    assert divisions.get_division("411625").name == "郸城县"
    assert divisions.full_name("411625") == "河南省周口市郸城县"
    assert "411626" not in seen and "411603" in seen


def test_dialect_normalisation():
    assert normalise_dialect("广东话") == normalise_dialect("粤语") == "粤语"
    assert normalise_dialect("河南口音") == normalise_dialect("河南话") == "中原官话"
    assert normalise_dialect("") is None


def test_marks_tokens_are_normalised_part_kind_and_side():
    assert {"k:缺指", "p:手:缺指", "s:左手:缺指", "p:眉:疤", "s:右眉:疤"} <= set(marks_tokens("左手缺一指，右眉有疤"))
    assert marks_tokens(None) is None
