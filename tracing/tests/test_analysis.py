"""Rule T4: names, places and accents suggested from what was said in a talk."""

from tracing.analysis import suggest


def test_t4_talk_text_yields_names_places_with_division_codes_and_accents():
    found = suggest("他说他叫张建国，老家在河南周口郸城县李庄村，他哥哥叫张建军，说话有湖南口音，俺娘在家")
    by_kind = {}
    for s in found:
        by_kind.setdefault(s["kind"], []).append(s)
    assert {s["text"] for s in by_kind["name"]} == {"张建国", "张建军"}
    place = by_kind["place"][0]
    assert place["code"] == "411625" and "郸城" in place["label"]
    dialects = {s["text"] for s in by_kind["dialect"]}
    assert "湖南口音" in dialects and "俺" in dialects


def test_t4_ordinary_words_are_not_taken_for_accents():
    assert suggest("他今天不说话，也不想打电话") == []


def test_t4_empty_talk_gives_no_suggestions():
    assert suggest("  ") == []


def test_t4_places_are_never_taken_for_names_and_rivers_and_counties_are_found():
    """Issue 14: 邵阳 and 白云区 were labelled as person names; 隆回 and 资江 were missed."""
    found = suggest("我是邵阳那边的，隆回县下面，家门口有条资江，后来在广州白云区打工")
    names = {s["text"] for s in found if s["kind"] == "name"}
    places = {s["text"]: s for s in found if s["kind"] == "place"}
    assert not names & {"邵阳", "白云区", "隆回", "资江"}
    assert any(p.startswith("邵阳") or p.endswith("隆回县") for p in places)
    assert any(s["code"] == "430524" for s in places.values())  # 隆回县
    assert places["资江"]["code"] == "430000" and "河流" in places["资江"]["label"]
    assert any("白云" in p for p in places)
