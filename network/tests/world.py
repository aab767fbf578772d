"""The network in the every-URL test world: a township of the cast's county with a liaison and a rescue point."""

from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User, UserRole
from network import services

CONTACT = "世界联络员"


def extend_world(cast, ctx) -> dict:
    county = Division.objects.get(code="441881")
    t_div = Division.objects.filter(code="441881009").first() or Division.objects.create(
        code="441881009", name="世界街道", level=DivisionLevel.TOWNSHIP, parent=county
    )
    township = Organisation.objects.filter(
        kind=OrgKind.TOWNSHIP, division=t_div
    ).first() or Organisation.objects.create(
        name="世界网络街道办", code="SJWL", kind=OrgKind.TOWNSHIP, division=t_div, supervisor=cast.county_dept
    )
    user = User.objects.create_user(username="world_network", password="x", organisation=township)
    UserRole.objects.create(user=user, role=Role.HEAD)
    services.contact_save(
        by=user, organisation=township, data={"kind": "liaison", "name": CONTACT, "phone": "13912345678"}
    )
    services.point_save(
        by=user,
        organisation=township,
        data={
            "kind": "guidance",
            "name": "世界引导点",
            "address": "世界路1号",
            "latitude": "24.18",
            "longitude": "113.40",
        },
    )
    services.point_save(by=cast.head, organisation=cast.station, data={
        "kind": "rescue", "name": "世界站救助点", "address": "世界站门口", "latitude": "24.18", "longitude": "113.41"})
    return {
        "secrets": [CONTACT, "13912345678", "世界引导点"],
        # contacts are kept by the township itself (or the department above): the station owner gets 403
        "routes_without_fixture": {"/network/contacts/<uuid:uuid>/"},
    }
