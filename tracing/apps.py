from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "tracing"
    verbose_name = "身份查询与寻亲"

    def ready(self):
        from core import events
        from tracing.services import on_episode_closed, on_person_identified

        events.subscribe(events.PersonIdentified, on_person_identified)
        events.subscribe(events.EpisodeClosed, on_episode_closed)
