"""core.events: one "person identified" event, each app handles its own consequences (issue 14, structure)."""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction

from core import events

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Happened:
    person: str


@pytest.mark.django_db  # publish opens a transaction for its handlers
def test_handlers_run_in_registration_order_and_return_their_results():
    calls = []

    def first(event):
        calls.append(("first", event.person))
        return 1

    def second(event):
        calls.append(("second", event.person))
        return 2

    events.subscribe(Happened, first)
    events.subscribe(Happened, second)
    events.subscribe(Happened, first)  # again: no second registration
    try:
        results = events.publish(Happened(person="甲"))
    finally:
        events.unsubscribe(Happened, first)
        events.unsubscribe(Happened, second)
    assert calls == [("first", "甲"), ("second", "甲")]
    assert results == [1, 2]
    assert events.publish(Happened(person="乙")) == []  # unsubscribed


def test_an_event_nobody_handles_returns_nothing():
    class Unheard:
        pass

    assert events.publish(Unheard()) == []


def test_person_identified_is_handled_by_tracing_announcements_and_matching():
    names = events.handlers(events.PersonIdentified)
    assert names[:3] == [
        "tracing.services.on_person_identified",
        "announcements.services.on_person_identified",
        "matching.services.on_person_identified",
    ]
    assert events.handlers(events.PersonComparisonRequested)[0] == "matching.services.on_comparison_requested"


def test_a_failing_handler_undoes_the_whole_identification(cast):
    from people.models import IdentityStatus
    from tracing import services
    from tracing.models import Identification
    from tracing.tests.factories import unidentified

    episode = unidentified(cast)

    def broken(event):
        raise RuntimeError("handler failed")

    events.subscribe(events.PersonIdentified, broken)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.identity_confirm(by=cast.tracer, person=episode.person, method="talks", evidence="谈话核实",
                                      name="李四")
    finally:
        events.unsubscribe(events.PersonIdentified, broken)
    episode.person.refresh_from_db()
    assert episode.person.identity_status == IdentityStatus.UNIDENTIFIED
    assert not Identification.objects.filter(person=episode.person).exists()


def _imports(app: str, module: str = "services") -> set[str]:
    """Top-level packages ``<app>/<module>.py`` imports (statically, at any depth, importlib included)."""
    out = set()
    for path in [ROOT / app / f"{module}.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                out.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                out.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.add(arg.value.split(".")[0])
    return out


def test_tracing_services_depend_on_neither_announcements_nor_matching():
    """The identification lives in tracing; announcements and matching call it and handle its event —
    tracing's services never call back up into them (the old import circle among the three apps' services)."""
    assert not {"announcements", "matching"} & _imports("tracing")
    assert "matching" not in _imports("announcements")
    assert "announcements" not in _imports("matching")
    assert not {"tracing", "announcements", "matching"} & _imports("core", "events")
