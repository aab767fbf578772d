import csv
import subprocess
import sys

import pytest

from guitu_match.cli import main
from guitu_match.records import Record, write_csv


@pytest.fixture()
def csvs(tmp_path):
    reports = [
        Record(
            id="R1", source="report", name="张伟", sex="男", birth_year=1980, hukou_text="河南省周口市郸城县"
        ),
        Record(id="R2", source="report", name="李明", sex="男", birth_year=1975, hukou_text="广东省广州市"),
        Record(
            id="R3", source="registry", name="王芳", sex="女", birth_year=1960, id_number="11010519491231002X"
        ),
    ]
    care = [
        Record(
            id="Q1",
            source="file",
            name="章伟",
            sex="男",
            birth_year_min=1975,
            birth_year_max=1985,
            hukou_text="河南郸城",
        ),
        Record(id="Q2", source="file", name="王方", id_number="11010519491231002X"),
    ]
    write_csv(reports, tmp_path / "reports.csv")
    write_csv(care, tmp_path / "care.csv")
    with open(tmp_path / "care.csv", "a", encoding="utf-8") as fh:
        fh.write("Q3,file,坏行\n")  # malformed row: reported, not fatal
    return tmp_path


def test_help_is_bilingual(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "这个人可能是谁" in out and "who could this person be" in out
    for cmd in ("index", "query", "link", "dedupe"):
        assert cmd in out
    with pytest.raises(SystemExit):
        main(["link", "--help"])
    out = capsys.readouterr().out
    assert "--left" in out and "左侧记录" in out and "left records" in out


def test_t7_link_writes_pairs_csv_and_reports_bad_rows(csvs, capsys):
    out = csvs / "pairs.csv"
    rc = main(
        [
            "link",
            "--left",
            str(csvs / "care.csv"),
            "--right",
            str(csvs / "reports.csv"),
            "--out",
            str(out),
            "--threshold",
            "0.01",
            "--save-model",
            str(csvs / "m.json"),
        ]
    )
    assert rc == 0
    err = capsys.readouterr().err
    assert "第4行" in err
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert list(rows[0])[:3] == ["left_id", "right_id", "probability"]
    pairs = {(r["left_id"], r["right_id"]) for r in rows}
    assert ("Q1", "R1") in pairs and ("Q2", "R3") in pairs
    assert rows[0]["id_number_match"] == "True"  # identical ID numbers first
    assert (csvs / "m.json").exists()


def test_dedupe_command(csvs):
    out = csvs / "dups.csv"
    assert main(["dedupe", "--input", str(csvs / "reports.csv"), "--out", str(out)]) == 0
    assert open(out, encoding="utf-8").readline().startswith("left_id,right_id,probability")


def test_i4_index_then_query_by_fields_and_csv(csvs, capsys):
    idx = csvs / "idx"
    assert main(["index", "--records", str(csvs / "reports.csv"), "--out", str(idx)]) == 0
    capsys.readouterr()
    assert (
        main(
            ["query", "--index", str(idx), "--name", "章伟", "--sex", "男", "--hukou", "河南郸城", "-k", "2"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[1] == "R1" and "相符" in out
    assert (
        main(["query", "--index", str(idx), "--csv", str(csvs / "care.csv"), "--out", str(csvs / "c.csv")])
        == 0
    )
    rows = list(csv.DictReader(open(csvs / "c.csv", encoding="utf-8")))
    assert {"Q1", "Q2"} <= {r["left_id"] for r in rows}


def test_query_with_invalid_id_number_and_missing_index(csvs, capsys):
    assert main(["query", "--index", str(csvs / "nope"), "--name", "张伟"]) == 1
    assert "找不到索引" in capsys.readouterr().err


def test_missing_input_file_does_not_crash(tmp_path, capsys):
    rc = main(
        [
            "link",
            "--left",
            str(tmp_path / "a.csv"),
            "--right",
            str(tmp_path / "b.csv"),
            "--out",
            str(tmp_path / "p.csv"),
        ]
    )
    assert rc == 0
    assert "无法打开" in capsys.readouterr().err


def test_runs_as_module():
    r = subprocess.run(
        [sys.executable, "-m", "guitu_match", "--help"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "guitu-match" in r.stdout


def test_t8_unreadable_photo_is_reported_with_row_number(tmp_path, capsys):
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    recs = [
        Record(id="R1", source="report", name="张伟", photo_path="broken.jpg"),
        Record(id="R2", source="report", name="李明", photo_path="missing.jpg"),
    ]
    write_csv(recs, tmp_path / "r.csv")
    rc = main(["--faces", "dedupe", "--input", str(tmp_path / "r.csv"), "--out", str(tmp_path / "p.csv")])
    assert rc == 0
    err = capsys.readouterr().err
    assert "第2行（photo_path）" in err and "第3行（photo_path）" in err
