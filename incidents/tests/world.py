"""Incidents for the every-URL scoping test: the death in the shared world's departure is not there (that
person left with family), so one injury at the county station, reported and received."""

import datetime

from django.utils import timezone

from incidents import services
from incidents.models import IncidentKind, ReportKind, Stage


def extend_world(cast, ctx):
    at = timezone.now() - datetime.timedelta(hours=5)
    incident = services.incident_create(
        by=cast.head,
        station=cast.station,
        kind=IncidentKind.INJURY,
        occurred_at=at,
        title="受助人员摔伤",
        description="甲世界在浴室滑倒，左臂擦伤，已送医",
        episode=ctx.staying,
    )
    report = services.report_send(
        by=cast.head,
        incident=incident,
        stage=Stage.STATION,
        kind=ReportKind.FIRST,
        content="电话报告",
        sent_at=at + datetime.timedelta(minutes=20),
    )
    services.report_receive(by=cast.county_supervisor, report=report)
    services.handling_add(by=cast.head, incident=incident, text="已送医处理，通知家属")
    return {"secrets": ["甲世界在浴室滑倒"]}
