
import pytest


@pytest.mark.django_db
def test_surnames_take_their_surname_reading_in_the_stored_pinyin():
    from people.services import name_pinyin

    assert name_pinyin("单雄信") == ("shan xiong xin", "sxx")
    assert name_pinyin("曾国藩")[0] == "zeng guo fan"
    assert name_pinyin("小明") == ("xiao ming", "xm")
