from django.apps import AppConfig


class OutsidecareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "outsidecare"
    verbose_name = "站外托养与送医"
