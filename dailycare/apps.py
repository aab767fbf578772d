from django.apps import AppConfig


class DailycareConfig(AppConfig):
    name = "dailycare"
    verbose_name = "日常照料与特殊群体"

    def ready(self):
        from core import events
        from dailycare.services import on_episode_closed, on_episode_left

        # rule N10: a minor goes home only after the family's guardianship was assessed (see services)
        events.subscribe(events.EpisodeLeft, on_episode_left)
        events.subscribe(events.EpisodeClosed, on_episode_closed)
