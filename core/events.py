"""Domain events: one thing happened, every app that cares handles it — without importing each other.

A small dispatcher, not Django signals: handlers are named, run in a fixed order (registration
order, i.e. ``INSTALLED_APPS`` order, since each app subscribes in its ``AppConfig.ready``), run
inside the publisher's transaction, and an exception in one rolls the whole change back — the
consequences of an identification either all happen or none does.

Events
------
``PersonIdentified``
    Published by ``tracing.services.identity_confirm`` after the identification is recorded and the
    file updated (rules N13, T9). Handlers today:

    - tracing: closes the police checks, DNA requests and leads still open, ends the tracer's
      assignment, opens the return-home plan (rule T9);
    - announcements: withdraws the person's draft and published announcements (rule T3);
    - matching: closes the person's open report candidates (the engine's proposals are moot).

    The next consequence of an identification (settlement, after-return care …) subscribes here
    without touching the apps above.

``EpisodeClosed``
    Published by ``people.services.episode_close`` — the one closing path every way an episode ends
    goes through (a departure of any kind, 不予救助, 终止救助; rules E1, N3, N7). Handlers today:

    - intake: counts the belongings back when ``return_belongings`` (rules I2, N7);
    - stay: ends an open hospital / outside-care placement and frees the bed (rule C3: occupancy);
    - tracing: ends the tracer's assignment, closes pending police checks, DNA requests and leads,
      and marks an open return-home plan done when the person went home (rule T9);
    - announcements: withdraws the person's draft and published announcements (rule T3).

``EpisodeLeft``
    Published by ``leaving.services.departure_create`` once the Departure row exists (after ``EpisodeClosed``,
    which fires before it), with its exit type and details (rule E1). Handlers today:

    - incidents: a death or a going missing opens an incident at once (rule X1).

``PersonComparisonRequested``
    A caller (a tracer's "query the engine" lead) asks whoever compares people to compare this one
    now. The handler's return value (a short Chinese outcome) comes back from ``publish``; with no
    handler installed ``publish`` returns an empty list and the caller carries on.

Usage::

    from core import events
    events.subscribe(events.PersonIdentified, _on_identified)      # in AppConfig.ready
    events.publish(events.PersonIdentified(person=..., ...))        # in a service, inside its transaction
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

__all__ = ["PersonIdentified", "EpisodeClosed", "EpisodeLeft", "PersonComparisonRequested", "subscribe",
           "unsubscribe", "publish", "handlers"]


@dataclass(frozen=True)
class PersonIdentified:
    """A person's identity was confirmed (the ``tracing.Identification`` row exists and the file says so)."""

    person: Any  # people.Person, already updated (name, ID number, 户籍)
    by: Any  # the user who confirmed it
    identification: Any  # tracing.Identification
    episode: Any  # people.Episode open at the time, or None
    station: Any  # core.Organisation responsible
    method: str  # tracing.IdentificationMethod value
    reason: str  # Chinese, for the records the handlers close: "身份已查明（系统比对）"
    at: datetime.datetime
    source: Any = None  # what the identity came from: a match candidate, a clue, a police answer …


@dataclass(frozen=True)
class EpisodeClosed:
    """An episode reached an end state (已离站, 不予救助, 终止救助); the status change is already saved."""

    episode: Any  # people.Episode, already in its end state
    by: Any
    status: str  # people.states.EpisodeStatus value of the end state
    at: datetime.datetime
    reason: str  # Chinese, for the records the handlers close: "离站：亲属接领", "终止救助"
    return_belongings: bool = True  # False when nobody takes them (death, going missing, leaving unannounced)
    went_home: bool = False  # returned home or collected by family (closes a return-home plan, rule T9)


@dataclass(frozen=True)
class EpisodeLeft:
    """A person left the station: the ``leaving.Departure`` row exists and the episode is 已离站."""

    episode: Any  # people.Episode
    departure: Any  # leaving.Departure
    exit_type: str  # leaving.ExitType value
    by: Any
    at: datetime.datetime  # when the person left


@dataclass(frozen=True)
class PersonComparisonRequested:
    """Someone asks for this person to be compared with the reports and files now."""

    person: Any
    by: Any


Handler = Callable[[Any], Any]
_lock = threading.Lock()
_handlers: dict[type, dict[str, Handler]] = {}


def _name(handler: Handler) -> str:
    return f"{handler.__module__}.{getattr(handler, '__qualname__', repr(handler))}"


def subscribe(event_type: type, handler: Handler) -> Handler:
    """Register ``handler`` for ``event_type``; registering the same function again is a no-op
    (``AppConfig.ready`` may run more than once). Returns the handler, so it works as a decorator."""
    with _lock:
        _handlers.setdefault(event_type, {}).setdefault(_name(handler), handler)
    return handler


def unsubscribe(event_type: type, handler: Handler) -> None:
    with _lock:
        _handlers.get(event_type, {}).pop(_name(handler), None)


def handlers(event_type: type) -> list[str]:
    """The names of the handlers of ``event_type``, in the order they run (for docs and tests)."""
    return list(_handlers.get(event_type, {}))


def publish(event: Any) -> list[Any]:
    """Run every handler of the event's type in order; return their results.

    Handlers run in the caller's transaction (opened here if the caller has none, so a handler that locks rows
    works however it is reached): an exception propagates and undoes everything.
    """
    subscribed = list(_handlers.get(type(event), {}).values())
    if not subscribed:
        return []
    with transaction.atomic():
        return [handler(event) for handler in subscribed]
