from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self) -> None:
        from tenants.row_security import register_lookup

        from . import signals  # noqa: F401  (connects the receivers)

        # The widget and the link page know a survey only by its public key.
        register_lookup(
            label="surveys.survey", field="public_key", function="nps_survey_by_public_key"
        )
