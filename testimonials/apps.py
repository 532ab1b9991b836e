from django.apps import AppConfig


class TestimonialsConfig(AppConfig):
    name = "testimonials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The link page offers consent after a promoter's comment without
        # importing this app: it asks the hooks it was given.
        from responses import hooks

        from .public import consent_url_after_comment

        hooks.after_link_comment.append(consent_url_after_comment)
