"""Rule T7 (reports compared with everyone in care) on the forms names, numbers and years really take
in CSV cells: spaces and middle dots in names, traditional characters, names in pinyin, full-width
digits and letters, a lowercase x in ID numbers, heights in metres or with units, birth years with 年
or two digits. Each form must reach the same comparison as the plain one."""

import pytest

from guitu_match import model as mm
from guitu_match.cli import main
from guitu_match.idcard import checksum_char
from guitu_match.index import MatchIndex
from guitu_match.normalise import (
    marks_tokens,
    name_features,
    parse_dialect,
    parse_pinyin_name,
    parse_place,
    simplified,
)
from guitu_match.records import Record, read_csv, record_from_dict, write_csv

FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789Xx."})


def _id(first17: str) -> str:
    return first17 + checksum_char(first17)


def _id_ending_in_x(born: str) -> str:
    """A valid number for a man born on ``born`` whose check character is X."""
    return next(
        _id(f"430524{born}{d:03d}") for d in range(1, 1000, 2) if checksum_char(f"430524{born}{d:03d}") == "X"
    )


ID_X = _id_ending_in_x("19800101")
ID_WANG = _id_ending_in_x("19550101")


def _row(**kw):
    rec, errors = record_from_dict({"id": "1", "source": "file", **kw}, 2)
    return rec, [str(e) for e in errors]


# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["张 伟", "张　伟", " 张伟 ", "張偉", "张·伟"])
def test_t7_name_with_spaces_dots_or_traditional_characters_is_the_same_name(written):
    plain = name_features("张伟")
    f = name_features(written)
    assert f["name_full"] == plain["name_full"] == "张伟"
    assert f["name_fz"] == plain["name_fz"]


def test_t7_transliterated_names_with_a_middle_dot_keep_every_character():
    assert (
        name_features("阿卜杜·热合曼")["name_full"]
        == name_features("阿卜杜热合曼")["name_full"]
        == "阿卜杜热合曼"
    )
    assert name_features("阿卜杜•热合曼")["name_fz"] == name_features("阿卜杜热合曼")["name_fz"]


@pytest.mark.parametrize(
    "written, expected",
    [
        ("ZHANG WEI", ("zhang", "wei")),
        ("Zhang Wei", ("zhang", "wei")),
        ("zhang-wei", ("zhang", "wei")),
        ("Zhāng Wěi", ("zhang", "wei")),
        ("zhangwei", ("zhang", "wei")),
        ("ZHANG Xiaoming", ("zhang", "xiao ming")),
        ("Xiaoming ZHANG", ("zhang", "xiao ming")),  # the one upper-case word is the surname
        ("OUYANG Nana", ("ou yang", "na na")),
        ("Lü Xiaoming", ("lv", "xiao ming")),
        ("LV XIAOMING", ("lv", "xiao ming")),
        ("Wang", ("wang", None)),
    ],
)
def test_t7_names_written_in_pinyin_are_read_as_surname_and_given_name(written, expected):
    assert parse_pinyin_name(written) == expected


@pytest.mark.parametrize("written", ["XX", "Abc", "N/A", "?"])
def test_t7_latin_text_that_is_not_pinyin_is_no_name(written):
    assert name_features(written)["names_fz"] is None


@pytest.mark.parametrize("written", ["ZHANG WEI", "Zhang Wei", "zhangwei", "Wei Zhang"])
def test_t7_a_pinyin_name_meets_the_same_name_in_characters(written):
    cn = name_features("张伟")
    f = name_features(written)
    assert cn["name_fz"] in f["names_fz"]
    assert f["surname_fz"] == cn["surname_fz"] or "wei zhang" in " ".join(f["names_py"] or [])


def test_t7_a_pinyin_only_file_finds_the_report_written_in_characters():
    reports = [
        Record("R1", "report", name="张伟", sex="男", birth_year=1980, hukou_text="河南省周口市郸城县"),
        Record("R2", "report", name="张卫国", sex="男", birth_year=1980, hukou_text="河南省周口市郸城县"),
        Record("R3", "report", name="李伟", sex="男", birth_year=1980, hukou_text="河南省周口市郸城县"),
    ]
    idx = MatchIndex.build(reports, model=mm.MatchModel.default())
    for written in ("ZHANG WEI", "Zhang Wei", "張偉"):
        top = idx.query(Record("Q", "file", name=written, sex="男", birth_year=1981), k=3)
        assert top[0].record_id == "R1", written


# --- places, accents and marks in traditional characters ---------------------------------------------


def test_t7_traditional_place_accent_and_marks_text_reads_as_simplified():
    assert simplified("湖南省邵陽市隆回縣") == "湖南省邵阳市隆回县"
    assert parse_place("湖南省邵陽市隆回縣") == parse_place("湖南省邵阳市隆回县")
    assert parse_place("湖南省邵陽市隆回縣").county == "430524"
    assert parse_dialect("湖南邵陽口音") == parse_dialect("湖南邵阳口音")
    assert marks_tokens("左臉有傷疤") == marks_tokens("左脸有伤疤")


# --- ID numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        ID_X,
        ID_X.lower(),
        ID_X.translate(FULL_WIDTH),
        ID_X.lower().translate(FULL_WIDTH),
        f"{ID_X[:6]} {ID_X[6:14]} {ID_X[14:]}",
    ],
)
def test_t7_id_numbers_in_full_width_or_with_a_lowercase_x_are_the_same_number(written):
    rec, errors = _row(id_number=written)
    assert rec.id_number == ID_X and errors == []


# --- heights --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "170",
        "170.0",
        "１７０",
        "170cm",
        "170 CM",
        "170厘米",
        "170公分",
        "1.70米",
        "1.7米",
        "1.7m",
        "1.7",
        "１．７０米",
        "1米7",
        "一米七",
        "约170",
        "170左右",
        "168-172",
    ],
)
def test_t7_heights_with_units_or_in_metres_are_centimetres(written):
    rec, errors = _row(height_cm=written)
    assert rec.height_cm == 170.0 and errors == []


def test_t7_height_with_two_digits_after_the_metre():
    assert _row(height_cm="1米65")[0].height_cm == 165.0


@pytest.mark.parametrize("written", ["高", "300", "abc", "1.7.0"])
def test_t7_a_height_that_is_not_one_is_reported_and_dropped(written):
    rec, errors = _row(height_cm=written)
    assert rec.height_cm is None and len(errors) == 1 and "身高" in errors[0]


# --- birth years ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "1985",
        "1985年",
        "１９８５",
        "1985.0",
        "85年",
        "85",
        "约1985年",
        "1985年左右",
        "1985年生",
        "一九八五年",
        "八五年",
        "1985-03-07",
        "1985/3/7",
        "1985年3月",
        "1985年3月7日",
    ],
)
def test_t7_birth_years_written_with_nian_two_digits_or_as_a_date_are_the_year(written):
    rec, errors = _row(birth_year=written)
    assert rec.birth_year == 1985 and errors == []


def test_t7_a_two_digit_year_is_the_latest_year_not_in_the_future():
    assert _row(birth_year="05年")[0].birth_year == 2005
    assert _row(birth_year="99")[0].birth_year == 1999


@pytest.mark.parametrize(
    "written, lo, hi",
    [("1980-1985", 1980, 1985), ("1980～85", 1980, 1985), ("80后", 1980, 1989), ("1980至1985年", 1980, 1985)],
)
def test_t7_a_range_in_the_birth_year_column_is_kept_as_an_estimated_range(written, lo, hi):
    rec, errors = _row(birth_year=written)
    assert (rec.birth_year, rec.birth_year_min, rec.birth_year_max) == (None, lo, hi) and errors == []


def test_t7_birth_year_range_columns_accept_the_same_forms():
    rec, errors = _row(birth_year_min="1975年", birth_year_max="85年")
    assert (rec.birth_year_min, rec.birth_year_max) == (1975, 1985) and errors == []


@pytest.mark.parametrize("written", ["四十岁", "不知道", "19851"])
def test_t7_a_birth_year_that_is_not_one_is_reported_in_chinese_and_dropped(written):
    rec, errors = _row(birth_year=written)
    assert rec.birth_year is None and len(errors) == 1 and "出生年份" in errors[0]


# --- sex and division codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, sex", [("男性", "男"), ("女性", "女"), ("Ｍ", "男"), ("F", "女"), ("男的", "男")]
)
def test_t7_sex_written_as_a_word_or_in_full_width(written, sex):
    rec, errors = _row(sex=written)
    assert rec.sex == sex and errors == []


@pytest.mark.parametrize("written", ["不详", "未知"])
def test_t7_sex_written_as_unknown_is_unknown_without_an_error(written):
    assert _row(sex=written) == (_row()[0], [])


def test_t7_a_full_width_division_code_is_the_code():
    rec, errors = _row(division_code="４３０５２４")
    assert rec.division_code == "430524" and errors == []


# --- through the command line ------------------------------------------------------------------------


def test_t7_cli_link_reads_every_form_from_csv_cells(tmp_path):
    left, right, out = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "pairs.csv"
    import csv

    with open(left, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "source", "name", "sex", "birth_year", "height_cm", "hukou_text", "id_number"])
        w.writerow(["F1", "file", "ZHANG WEI", "男性", "80年", "1米70", "河南鄲城", ""])
        w.writerow(
            ["F2", "file", "王 建 國", "Ｍ", "1955年", "165cm", "", ID_WANG.lower().translate(FULL_WIDTH)]
        )
    write_csv(
        [
            Record(
                "R1",
                "report",
                name="张伟",
                sex="男",
                birth_year=1980,
                height_cm=170,
                hukou_text="河南省周口市郸城县",
            ),
            Record("R2", "report", name="王建国", sex="男", birth_year=1955, id_number=ID_WANG),
            Record("R3", "report", name="张卫", sex="男", birth_year=1960, hukou_text="广东省广州市"),
        ],
        right,
    )
    assert read_csv(left).errors == []
    assert main(["link", "--left", str(left), "--right", str(right), "--out", str(out), "--top", "1"]) == 0
    rows = out.read_text(encoding="utf-8").splitlines()[1:]
    best = {r.split(",")[0]: r.split(",")[1] for r in rows}
    assert best == {"F1": "R1", "F2": "R2"}
