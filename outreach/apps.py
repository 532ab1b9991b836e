from django.apps import AppConfig


class OutreachConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "outreach"
    verbose_name = "Survey requests and email"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
