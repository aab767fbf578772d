from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "一人一档与救助过程"
