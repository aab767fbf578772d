from django.apps import AppConfig


class RegionalConfig(AppConfig):
    name = "regional"
    verbose_name = "区域性中心"

    def ready(self) -> None:
        from core import events
        from core.scoping import register_case_access
        from regional import access, services

        # rule R2: a case taken over is acted on by the centre; staff sent down act on their one case
        register_case_access(holder=access.case_holder, grant=access.case_grant)
        events.subscribe(events.EpisodeClosed, services.on_episode_closed)
