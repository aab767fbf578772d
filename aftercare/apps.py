from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "aftercare"
    verbose_name = "回归后跟踪（源头治理）"

    def ready(self):
        from aftercare.services import on_departure_recorded
        from core import events

        events.subscribe(events.EpisodeLeft, on_departure_recorded)
