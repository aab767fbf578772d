"""Objects of the figures app for the every-URL scoping test (tests/world.py): a quarterly report of the
cast's county station for the last quarter, submitted to its department."""

from django.utils import timezone

from figures import dimensions as dims
from figures import services
from figures.models import RefreshTrigger
from figures.refresh import refresh


def extend_world(cast, ctx):
    refresh(trigger=RefreshTrigger.COMMAND, full=True)
    year, quarter = dims.previous_quarter(timezone.localdate())
    report = services.report_generate(by=cast.head, organisation=cast.station, year=year, quarter=quarter)
    services.report_review(by=cast.head, report=report)
    services.report_submit(by=cast.head, report=report)
    return {}
