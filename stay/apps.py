from django.apps import AppConfig


class StayConfig(AppConfig):
    name = "stay"
    verbose_name = "站内照料"
