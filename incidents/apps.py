from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "异常情况"

    def ready(self):
        from core import events
        from incidents.services import on_episode_left

        events.subscribe(events.EpisodeLeft, on_episode_left)
