import pytest

from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User, UserRole


@pytest.fixture
def net(cast):
    from types import SimpleNamespace

    county = Division.objects.get(code="441881")
    t1 = Division.objects.create(
        code="441881001", name="英城街道", level=DivisionLevel.TOWNSHIP, parent=county
    )
    t2 = Division.objects.create(code="441881002", name="大站镇", level=DivisionLevel.TOWNSHIP, parent=county)
    v1 = Division.objects.create(code="441881001001", name="和平社区", level=DivisionLevel.VILLAGE, parent=t1)
    n = SimpleNamespace(county=county, t1=t1, t2=t2, v1=v1)
    n.township = Organisation.objects.create(
        name="英城街道办事处", code="YCJD", kind=OrgKind.TOWNSHIP, division=t1, supervisor=cast.county_dept
    )
    n.village = Organisation.objects.create(
        name="和平社区居委会", code="HPSQ", kind=OrgKind.VILLAGE, division=v1, supervisor=n.township
    )
    n.township_user = User.objects.create_user(username="yc", password="x", organisation=n.township)
    n.village_user = User.objects.create_user(username="hp", password="x", organisation=n.village)
    UserRole.objects.create(user=n.township_user, role=Role.HEAD)
    return n
