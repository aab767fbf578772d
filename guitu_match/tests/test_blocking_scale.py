"""Issue 14 at scale: blocks too large to score whole online are cut by a cheap pre-score, finest
agreement first — never skipped whole — and a pair agreeing on the full name is never cut (rule T7:
every report is compared with everyone in care)."""

import pytest

from guitu_match import index as gi
from guitu_match import model as mm
from guitu_match.index import MatchIndex
from guitu_match.records import Record


def _rows(idx, rec):
    rows = idx.candidate_rows(mm.prepare_table([rec]).to_pylist()[0])
    return set(idx.ids[rows].tolist())


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(gi, "MAX_BLOCK", 4)
    monkeypatch.setattr(gi, "MAX_POOLED", 3)


def test_t7_a_nameless_placeless_person_still_meets_reports_when_the_sex_and_decade_block_is_too_large(
    small_blocks,
):
    others = [
        Record(
            f"R{i}",
            "report",
            name=f"王{'明强军伟'[i % 4]}{i}",
            sex="男",
            birth_year=1978 + i % 5,
            height_cm=165,
        )
        for i in range(12)
    ]
    true = Record("T", "report", name="刘建华", sex="男", birth_year=1981, height_cm=181)
    idx = MatchIndex.build(others + [true], model=mm.MatchModel.default())
    q = Record(
        "Q", "file", sex="男", birth_year_min=1976, birth_year_max=1986, height_cm=180
    )  # no marks either
    assert "T" in _rows(idx, q)
    assert len(_rows(idx, q)) <= 4 + 3
    assert idx.query(q, k=1)[0].record_id == "T"


def test_t7_an_over_large_block_is_cut_from_the_far_end_finest_place_first(small_blocks):
    def rep(i, place):
        return Record(
            f"R{i}",
            "report",
            name=f"赵{'一二三四五六七八九十'[i % 10]}{i}",
            sex="男",
            birth_year=1980,
            hukou_text=place,
        )

    reports = [rep(i, "湖南省") for i in range(6)] + [rep(10 + i, "湖南省邵阳市") for i in range(5)]
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    q = Record("Q", "file", sex="男", birth_year=1980, dialect="湖南邵阳口音")  # nameless, accent → 邵阳
    rows = _rows(idx, q)
    # both blocks (the city's 5, the province's 11) are over-large: the 3 kept are all from the city
    assert rows == {"R10", "R11", "R12"}


def test_t7_a_full_name_block_is_never_cut_however_large(small_blocks):
    reports = [Record(f"R{i}", "report", name="张伟", sex="男", birth_year=1950 + i) for i in range(10)]
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    assert _rows(idx, Record("Q", "file", name="张伟", sex="男", birth_year=2000)) == {
        f"R{i}" for i in range(10)
    }


def test_t7_the_pre_score_columns_follow_records_added_later(small_blocks):
    reports = [Record(f"R{i}", "report", sex="男", birth_year=1980, height_cm=160) for i in range(8)]
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    q = Record("Q", "file", sex="男", birth_year=1980, height_cm=190, marks="右手缺指")
    _rows(idx, q)  # builds the pre-score columns
    idx.add([Record("NEW", "report", sex="男", birth_year=1980, height_cm=191, marks="右手断了一根手指")])
    assert "NEW" in _rows(idx, q)


def test_t7_a_dropped_given_character_meets_its_report_without_age_or_place():
    reports = [
        Record("R1", "report", name="王秀力", sex="男", birth_year=1975, hukou_text="河南省周口市郸城县"),
        Record("R2", "report", name="王建国", sex="男", birth_year=1975, hukou_text="河南省周口市郸城县"),
    ]
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    q = Record("Q", "file", name="王力", sex="男")  # no age, no place: only the name links them
    assert _rows(idx, q) == {"R1"}
    assert idx.query(q, k=1)[0].record_id == "R1"


def _only_r1_meets(reports, q):
    """The query shares a blocking key with R1 alone, and R1 ranks first."""
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    assert _rows(idx, q) == {"R1"}
    assert [r.record_id for r in idx.query(q, k=10)][:1] == ["R1"]


@pytest.mark.parametrize("written", ["叶某", "老叶", "叶姐", "叶大爷"])
def test_t7_a_surname_only_person_without_age_or_place_meets_the_reports_of_that_surname(written):
    """Issue 14: 叶某 / 老叶 / 叶姐 with nothing else written down but the sex got no candidate at all: every key
    for a surname alone needed a place or an age. The surname and sex bring the reports of that surname."""
    reports = [
        Record("R1", "report", name="叶伟", sex="男", birth_year=1968, hukou_text="广西壮族自治区桂林市全州县"),
        Record("R2", "report", name="叶伟", sex="女", birth_year=1968, hukou_text="广西壮族自治区桂林市全州县"),
        Record("R3", "report", name="王伟", sex="男", birth_year=1968, hukou_text="广西壮族自治区桂林市全州县"),
    ]
    _only_r1_meets(reports, Record("Q", "file", name=written, sex="男"))


@pytest.mark.parametrize("written", ["磊子", "磊儿", "阿磊", "小磊", "磊娃"])
def test_t7_a_nickname_without_surname_age_or_place_meets_the_reports_ending_in_that_character(written):
    """Issue 14: 磊子 / 阿磊 with only the sex written down got no candidate: every key for a given name alone
    needed a place or an age. The last given character and sex bring the reports of that character."""
    reports = [
        Record("R1", "report", name="李伟磊", sex="男", birth_year=1990, hukou_text="四川省南充市营山县"),
        Record("R2", "report", name="李伟磊", sex="女", birth_year=1990, hukou_text="四川省南充市营山县"),
        Record("R3", "report", name="李伟明", sex="男", birth_year=1990, hukou_text="四川省南充市营山县"),
    ]
    _only_r1_meets(reports, Record("Q", "file", name=written, sex="男"))


def test_t7_xiao_lin_read_as_a_surname_still_meets_a_report_whose_given_name_ends_in_lin():
    """Issue 14: 小林 is 林's surname form (小王, 小林 at work) or 叶林's nickname; it was read as the surname only,
    so 叶林 met it on no key and its name comparison said 姓名不同. Both readings are kept now."""
    reports = [
        Record("R1", "report", name="叶林", sex="男", birth_year=1985, hukou_text="湖南省邵阳市隆回县"),
        Record("R2", "report", name="林建国", sex="男", birth_year=1985, hukou_text="湖南省邵阳市隆回县"),
        Record("R3", "report", name="叶明", sex="男", birth_year=1985, hukou_text="湖南省邵阳市隆回县"),
    ]
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    q = Record("Q", "file", name="小林", sex="男", hukou_text="湖南省")
    assert {"R1", "R2"} <= _rows(idx, q)
    found = {c.record_id: c for c in idx.query(q, k=10)}
    labels = {r.label for r in found["R1"].reasons if r.comparison == "name"}
    assert labels == {"名字（或小名）读音相同，姓不同或不详"}
    labels = {r.label for r in found["R2"].reasons if r.comparison == "name"}
    assert labels == {"同姓，一方只有姓"}
    assert "R3" not in found or found["R3"].match_weight < found["R1"].match_weight


@pytest.mark.parametrize("damage", ["digit", "swap"])
def test_t7_an_id_number_said_from_memory_one_digit_off_still_finds_the_report(damage):
    """A person in care who recites an ID number with one digit wrong or two digits swapped: the check digit rejects
    it, so it was ignored — for someone with no name, the only strong evidence there was. Kept as written, it meets
    the report whose number is one digit away (on either half of the number) and counts as strong evidence; a
    number further away is no evidence against."""
    from guitu_match.idcard import checksum_char, is_valid_id_number

    body = "43052419800315123"
    right = body + checksum_char(body)
    said = right[:3] + "9" + right[4:] if damage == "digit" else right[:10] + right[11] + right[10] + right[12:]
    assert not is_valid_id_number(said)
    reports = [
        Record("R1", "report", name="刘建华", sex="男", birth_year=1980, id_number=right),
        Record("R2", "report", name="王军", sex="男", birth_year=1980, hukou_text="湖南省邵阳市隆回县"),
    ]
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    q = Record("Q", "file", name="哑巴", sex="男", id_number=said)
    assert "R1" in _rows(idx, q)
    top = idx.query(q, k=10)[0]
    assert top.record_id == "R1" and not top.id_number_match  # not "identical": a person checks the digit
    assert "身份证号码只差一位（一方校验未通过，可能抄错）" in top.explanation
    far = Record("Q2", "file", name="刘建华", sex="男", birth_year=1980, id_number="110105194912310021")
    found = {c.record_id: c for c in idx.query(far, k=10)}
    assert [r.label for r in found["R1"].reasons if r.comparison == "id_number"] in ([], ["缺少信息"])
