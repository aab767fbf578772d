from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "接待服务"

    def ready(self):
        from core import events
        from intake.services import on_episode_closed

        events.subscribe(events.EpisodeClosed, on_episode_closed)
