"""Demo data for the four-level network (rule P4): 英德市's township and village (from aftercare's demo) get
their liaison and grid worker, a second township without an organisation shows a gap in coverage, and the city
has a temporary rescue point and two guidance points."""

from core.models import Division, DivisionLevel, Organisation, User


def seed_network_demo(ctx, *, stdout=None) -> None:
    from network import services

    township = Organisation.objects.get(code="YCJDB")
    village = Organisation.objects.get(code="HPSQJ")
    lead, contact = User.objects.get(username="yc_lianluo"), User.objects.get(username="hp_wangge")
    Division.objects.get_or_create(
        code="441881002",
        defaults={
            "name": "大站镇",
            "level": DivisionLevel.TOWNSHIP,
            "parent": Division.objects.get(code="441881"),
            "full_name": "广东省清远市英德市大站镇",
        },
    )
    services.contact_save(
        by=lead,
        organisation=township,
        data={"kind": "liaison", "name": lead.full_name, "phone": "13902221001", "user": lead},
    )
    services.contact_save(
        by=contact,
        organisation=village,
        data={"kind": "grid", "name": contact.full_name, "phone": "13902221002", "user": contact},
    )
    services.point_save(
        by=lead,
        organisation=township,
        data={
            "kind": "rescue",
            "name": "英城街道临时救助点",
            "address": "英德市英城街道和平中路8号",
            "latitude": "24.186210",
            "longitude": "113.402130",
            "phone": "0763-2221001",
            "hours": "全天（寒潮、高温期间）",
        },
    )
    head = ctx.staff["zhanzhang"]
    city = ctx.orgs["city"]
    for name, address, lat, lng in (
        ("清远火车站求助引导点", "清城区源潭镇清远站出站口", "23.735100", "113.005900"),
        ("清城汽车客运站求助引导点", "清城区汽车客运站售票厅", "23.690800", "113.040600"),
    ):
        services.point_save(
            by=head,
            organisation=city,
            data={
                "kind": "guidance",
                "name": name,
                "address": address,
                "latitude": lat,
                "longitude": lng,
                "phone": "0763-3312345",
                "hours": "24小时",
            },
        )
    if stdout:
        stdout.write("  救助网络：英城街道联络员、和平社区网格员，救助点 1 个、引导点 2 个")
