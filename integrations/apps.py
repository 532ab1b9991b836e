from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Connected from here: the capture path never imports integrations.
        from . import signals  # noqa: F401 - connects the receivers
