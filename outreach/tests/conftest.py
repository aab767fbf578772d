import pytest

from core.models import Division, Organisation, OrgKind, User


@pytest.fixture
def chengguan(cast):
    org = Organisation.objects.create(
        name="英德市城管局", code="YDCG", kind=OrgKind.CHENGGUAN, division=Division.objects.get(code="441881")
    )
    user = User.objects.create_user(
        username="cg_officer", password="x", full_name="城管队员", organisation=org
    )
    return user


@pytest.fixture
def spots(cast):
    from outreach import services

    county = Division.objects.get(code="441881")
    return [
        services.hot_spot_save(
            by=cast.head,
            organisation=cast.station,
            data={"county": county, "kind": kind, "name": name, "address": "英德市"},
        )
        for kind, name in (
            ("bridge", "北江大桥桥洞"),
            ("underpass", "人民路地下通道"),
            ("station", "英德火车站"),
        )
    ]
