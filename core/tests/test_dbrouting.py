"""Statistics and exports read from a read replica when one is configured (issue 9, core/dbrouting.py).

The replica here is a real second database (``DATABASES["replica"]`` of guitu/settings_test.py, tables made from
the models): the tests copy the primary's rows into it and then change one of them *only in the replica*, so
what a page shows says which database it read.
"""

import io

import pytest
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core import dbrouting
from core.models import AuditAction, AuditEntry, Organisation
from people.models import Person
from people.services import person_create

pytestmark = pytest.mark.django_db(databases=["default", "replica"])

REPLICA_NAME = "副本里的名字"


def _copy_to_replica(*app_labels: str) -> None:
    """The primary's rows of these apps, as they are now, into the replica (what streaming replication does)."""
    for label in app_labels:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if not model._meta.managed or model._meta.proxy or model is AuditEntry:
                continue
            model._base_manager.using("replica").all()._raw_delete("replica")
            rows = list(model._base_manager.using(DEFAULT_DB_ALIAS).all())
            if rows:
                model._base_manager.using("replica").bulk_create(rows)


@pytest.fixture
def replica(settings, cast):
    person = person_create(by=cast.reception, station=cast.station, data={"name": "张三", "sex": "女"})
    _copy_to_replica("core", "people")
    Person._base_manager.using("replica").filter(pk=person.pk).update(name=REPLICA_NAME)
    settings.GUITU_REPORTING_DATABASE = "replica"
    return person


def _workbook_text(response) -> str:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)


def test_i9_an_excel_export_reads_the_replica_and_the_page_reads_the_primary(cast, client_for, replica):
    client = client_for(cast.reception)
    export = client.get("/people/", {"format": "xlsx"})
    assert export.status_code == 200
    text = _workbook_text(export)
    assert REPLICA_NAME in text and "张三" not in text

    page = client.get("/people/")
    assert page.status_code == 200
    assert "张三" in page.content.decode() and REPLICA_NAME not in page.content.decode()


def test_i9_the_export_is_audited_on_the_primary_and_nothing_is_written_to_the_replica(cast, client_for, replica):
    before_primary = AuditEntry.objects.using(DEFAULT_DB_ALIAS).count()
    before_replica = AuditEntry.objects.using("replica").count()
    assert client_for(cast.reception).get("/people/", {"format": "xlsx"}).status_code == 200
    export = AuditEntry.objects.using(DEFAULT_DB_ALIAS).filter(action=AuditAction.EXPORT).get()
    assert export.actor == cast.reception and export.changes["rows"] == [None, 1]
    assert AuditEntry.objects.using(DEFAULT_DB_ALIAS).count() > before_primary
    assert AuditEntry.objects.using("replica").count() == before_replica


def test_i9_a_user_of_another_organisation_exports_nothing_from_the_replica(cast, client_for, replica):
    export = client_for(cast.outsider).get("/people/", {"format": "xlsx"})
    assert export.status_code == 200
    text = _workbook_text(export)
    assert REPLICA_NAME not in text and "张三" not in text


def test_i9_statistics_pages_query_the_replica(cast, client_for, replica):
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client_for(cast.city_supervisor).get("/figures/")
    assert response.status_code == 200
    assert any("figures_" in q["sql"] for q in on_replica.captured_queries)


def test_i9_without_a_replica_everything_reads_the_primary(cast, client_for, replica, settings):
    settings.GUITU_REPORTING_DATABASE = None
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        text = _workbook_text(client_for(cast.reception).get("/people/", {"format": "xlsx"}))
    assert "张三" in text and REPLICA_NAME not in text
    assert on_replica.captured_queries == []


def test_i9_the_router_keeps_writes_transactions_and_the_audit_chain_on_the_primary(replica, settings):
    router = dbrouting.ReportingRouter()
    assert router.db_for_read(Person) is None  # not a reporting request
    with dbrouting.reporting_reads():
        assert router.db_for_read(Person) == "replica"
        assert router.db_for_read(AuditEntry) == DEFAULT_DB_ALIAS
        with transaction.atomic():
            assert router.db_for_read(Person) == DEFAULT_DB_ALIAS  # read-your-writes
        # An object read from the replica is written back to the primary, never to the replica.
        copy = Person.objects.get(pk=replica.pk)
        assert copy._state.db == "replica" and copy.name == REPLICA_NAME
        assert router.db_for_write(Person, instance=copy) == DEFAULT_DB_ALIAS
        assert router.allow_relation(copy, Organisation.objects.using(DEFAULT_DB_ALIAS).first()) is True
    assert router.allow_migrate("replica", "people") is False
    settings.GUITU_REPORTING_DATABASE = None
    with dbrouting.reporting_reads():
        assert router.db_for_read(Person) is None
    assert router.allow_migrate("replica", "people") is None


@pytest.mark.parametrize(("method", "path", "query", "expected"), [
    ("GET", "/figures/", {}, True),
    ("GET", "/api/v1/campaign/tables", {}, True),
    ("GET", "/people/", {"format": "xlsx"}, True),
    ("GET", "/people/", {}, False),
    ("POST", "/figures/refresh/", {}, False),
    ("POST", "/people/", {"format": "xlsx"}, False),
])
def test_i9_which_requests_are_reporting_reads(rf, method, path, query, expected):
    request = getattr(rf, method.lower())(path, query) if method == "GET" else rf.post(f"{path}?format=xlsx"
                                                                                       if query else path)
    assert dbrouting.is_reporting_request(request) is expected
