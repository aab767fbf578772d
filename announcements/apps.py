from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    name = "announcements"
    verbose_name = "寻亲公告与公众寻亲平台"

    def ready(self):
        from announcements.services import on_episode_closed, on_person_identified
        from core import events

        events.subscribe(events.PersonIdentified, on_person_identified)
        events.subscribe(events.EpisodeClosed, on_episode_closed)
