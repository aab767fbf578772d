from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "走失报案与比对"

    def ready(self):
        from core import events
        from matching.services import on_comparison_requested, on_person_identified

        events.subscribe(events.PersonIdentified, on_person_identified)
        events.subscribe(events.PersonComparisonRequested, on_comparison_requested)
