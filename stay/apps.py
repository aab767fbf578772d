from django.apps import AppConfig


class StayConfig(AppConfig):
    name = "stay"
    verbose_name = "站内照料"

    def ready(self):
        from core import events
        from stay.services import on_episode_closed

        events.subscribe(events.EpisodeClosed, on_episode_closed)
