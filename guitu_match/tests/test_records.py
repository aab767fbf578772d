import io

from guitu_match.idcard import checksum_char
from guitu_match.records import COLUMNS, Record, read_csv, records_to_csv_text, write_csv

HEADER = ",".join(COLUMNS)
GOOD_ID = "11010519491231002X"


def _csv(*rows, header=HEADER):
    return io.StringIO("\n".join([header, *rows]) + "\n")


def test_reads_a_good_row():
    res = read_csv(_csv("A1,report,张伟,小伟;伟伟,男,1980,,,,河南郸城,,河南话,170,左手缺一指,"))
    assert res.errors == []
    r = res.records[0]
    assert (r.id, r.source, r.name, r.aliases, r.sex, r.birth_year, r.height_cm) == (
        "A1",
        "report",
        "张伟",
        ["小伟", "伟伟"],
        "男",
        1980,
        170.0,
    )


def test_bad_rows_are_reported_with_row_number_and_the_rest_is_read():
    res = read_csv(
        _csv(
            "A1,report,张伟,,男,1980,,,,,,,,,",
            "A2,report,李四,,男",  # too few columns
            ",report,王五,,男,1980,,,,,,,,,",  # no id
            "A4,police,赵六,,男,1980,,,,,,,,,",  # bad source
            "A5,file,钱七,,男,1799,,,,,,,,,",  # impossible birth year
            "A6,file,孙八,,男,1980,,,110105194912310021,,,,,,",  # bad check digit
            "A7,file,周九,,男,1980,,,,,,,,,",
        )
    )
    assert [r.id for r in res.records] == ["A1", "A5", "A6", "A7"]
    by_row = {e.row: e for e in res.errors}
    assert "列" in by_row[3].message
    assert by_row[4].column == "id"
    assert by_row[5].column == "source"
    assert by_row[6].column == "birth_year" and "不可能" in by_row[6].message
    assert by_row[7].column == "id_number" and "校验位" in by_row[7].message
    assert by_row[7].message.endswith("只用于查找只差一位的号码")
    # the shape of an ID number with a wrong check digit: kept as written for the 只差一位 comparison
    assert res.records[1].birth_year is None and res.records[2].id_number == "110105194912310021"
    assert str(by_row[6]).startswith("第6行")


def test_unknown_columns_are_reported_and_ignored():
    res = read_csv(_csv("A1,report,张伟,备注", header="id,source,name,remark"))
    assert res.unknown_columns == ["remark"]
    assert res.records[0].name == "张伟"
    assert any("未知列" in e.message for e in res.errors)


def test_missing_required_column():
    res = read_csv(_csv("张伟", header="name"))
    assert res.records == [] and "缺少必需列" in res.errors[0].message


def test_id_number_fixes_sex_and_is_normalised():
    first17 = "11010519800101001"
    idn = first17 + checksum_char(first17)
    res = read_csv(_csv(f"A1,file,张伟,,女,,,,{idn},,,,,,"))
    assert res.records[0].sex == "男"
    assert any(e.column == "sex" for e in res.errors)


def test_reversed_birth_range_is_swapped_and_reported():
    res = read_csv(_csv("A1,file,张伟,,男,,1990,1980,,,,,,,"))
    assert (res.records[0].birth_year_min, res.records[0].birth_year_max) == (1980, 1990)
    assert res.errors


def test_duplicate_ids_and_impossible_height():
    res = read_csv(_csv("A1,file,张伟,,男,,,,,,,,170,,", "A1,file,张伟,,男,,,,,,,,999,,"))
    assert len(res.records) == 1 and res.errors[0].row == 3


def test_non_utf8_file_and_missing_file(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes((HEADER + "\nA1,file,张伟,,,,,,,,,,,,\n").encode("gbk"))
    res = read_csv(p)
    assert "UTF-8" in res.errors[0].message and res.records == []
    assert "无法打开" in read_csv(tmp_path / "nope.csv").errors[0].message


def test_bom_and_round_trip(tmp_path):
    recs = [
        Record(
            id="A1",
            source="file",
            name="张伟",
            aliases=["小伟"],
            sex="男",
            birth_year=1980,
            id_number=GOOD_ID,
        )
    ]
    p = tmp_path / "r.csv"
    p.write_text("\ufeff" + records_to_csv_text(recs), encoding="utf-8")
    back = read_csv(p).records
    assert back[0].name == "张伟" and back[0].aliases == ["小伟"] and back[0].id_number == GOOD_ID
    write_csv(back, tmp_path / "r2.csv")
    assert read_csv(tmp_path / "r2.csv").records[0].to_row() == back[0].to_row()


def test_empty_file():
    assert "表头" in read_csv(io.StringIO("")).errors[0].message
