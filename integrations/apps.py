from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Connected from here: the capture path never imports integrations.
        from responses import hooks

        from . import signals  # noqa: F401 - connects the receivers
        from .models import Webhook

        hooks.answer_listeners["integrations.response_saved"] = (
            f"EXISTS (SELECT 1 FROM {Webhook._meta.db_table}"  # noqa: S608 (identifiers only)
            " WHERE organization_id = %(organization_id)s AND is_active)"
        )
