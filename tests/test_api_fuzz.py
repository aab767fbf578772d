"""Issue 8, hole 8: a bounded, seeded schemathesis run over every operation of /api/openapi.json.

Runs in `make test` on SQLite and PostgreSQL, authenticated as a station head (who may call almost
every endpoint) with a small station's worth of data, so path parameters hit real files, episodes,
zones and reports as well as random UUIDs. Positive and negative (schema-violating) inputs; the only
check is the one that matters here: **no request answers 5xx**. Every 500 is collected with the
exception behind it, so one run lists them all. Seeded (`derandomize`), so a failure reproduces.
"""

import traceback

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from core.services import api_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.heavy(35)]  # each shard ~35 s: started first (conftest.py)

EXAMPLES_PER_MODE = 6  # × 2 modes × 89 operations ≈ 1,000 requests, about a minute per database
SHARDS = 4  # the operations are split over four tests, so the suite's parallel workers share the run


@pytest.fixture
def world(cast):
    """A station with a file in care, an open request, a zone with beds and a missing-person report."""
    from intake.services import intake_admit
    from intake.tests.conftest import checks_done, register
    from matching.services import report_create
    from stay.services import beds_create, zone_create

    in_care = register(cast, name="张建国", id_number="44188119800101123X")
    checks_done(cast, in_care)
    intake_admit(by=cast.reception, episode=in_care)
    requested = register(cast, name="李秀英", sex="女")
    zone = zone_create(by=cast.head, station=cast.station, name="男宿舍", category="men")
    beds_create(by=cast.head, zone=zone, codes=["A1", "A2"])
    report = report_create(
        by=cast.reception,
        organisation=cast.station,
        data={"report_no": "QY-2026-001", "name": "王小明", "reported_at": in_care.requested_at},
    )
    return {
        "person_uuid": in_care.person.uuid,
        "episode_uuid": in_care.uuid,
        "zone_uuid": zone.uuid,
        "station_uuid": cast.station.uuid,
        "report": report.uuid,
        "requested": requested.uuid,
    }


def _known_path_parameters(path: str, names: set[str], world: dict) -> dict | None:
    known = {}
    for name in names:
        if name in world:
            known[name] = str(world[name])
        elif name == "uuid" and "/intake/episodes/" in path:
            known[name] = str(world["requested"])
        elif name == "uuid" and "/matching/reports/" in path:
            known[name] = str(world["report"])
        elif name == "uuid" and "/matching/persons/" in path:
            known[name] = str(world["person_uuid"])
        elif name == "rule_id":
            known[name] = "T3"
    return known if known and set(known) == names else None


@pytest.mark.parametrize("shard", range(SHARDS))
def test_hole8_no_api_operation_answers_500_to_generated_input(cast, world, shard):
    _, token = api_token_create(by=cast.head, name="fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    # As Django's test client does: keep the test's connection (and transaction) open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    failures: list[str] = []
    exceptions: list[str] = []

    def on_exception(sender, request=None, **kwargs):
        exceptions.append(traceback.format_exc(limit=-4))

    got_request_exception.connect(on_exception)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=lambda o: (o.path, o.method))
    assert len(operations) > 80
    operations = operations[shard::SHARDS]
    try:
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            known = _known_path_parameters(operation.path, names, world) if names else None
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                if known:
                    strategy = st.one_of(
                        strategy, operation.as_strategy(generation_mode=mode, path_parameters=known)
                    )

                @settings(
                    max_examples=EXAMPLES_PER_MODE,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    phases=["explicit", "generate"],
                )
                @given(case=strategy)
                def run(case):
                    exceptions.clear()
                    response = case.call(headers=headers)
                    if response.status_code >= 500:
                        failures.append(
                            f"{case.operation.method.upper()} {case.operation.path} → {response.status_code}\n"
                            f"  {case.as_curl_command(headers=headers)[:600]}\n" + "".join(exceptions)[-1500:]
                        )

                run()
    finally:
        got_request_exception.disconnect(on_exception)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, f"{len(failures)} answers 5xx:\n\n" + "\n\n".join(failures[:40])
