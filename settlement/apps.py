from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = "落户安置"

    def ready(self):
        from core import events
        from settlement.services import on_episode_closed, on_person_identified

        # rule S4: a settled person identified later goes home and the duplicate 户口 is cancelled.
        events.subscribe(events.PersonIdentified, on_person_identified)
        # A case not yet placed ends when the episode ends another way (identified and sent home, died …).
        events.subscribe(events.EpisodeClosed, on_episode_closed)
