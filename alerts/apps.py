from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Chat alerts"

    def ready(self) -> None:
        from responses import hooks

        from . import signals  # noqa: F401  (connects the receivers)
        from .models import Destination

        hooks.answer_listeners["alerts.response_saved"] = (
            f"EXISTS (SELECT 1 FROM {Destination._meta.db_table}"  # noqa: S608 (identifiers only)
            " WHERE organization_id = %(organization_id)s AND active)"
        )
