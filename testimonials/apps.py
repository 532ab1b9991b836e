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
        self._register_public_lookups()

    def _register_public_lookups(self) -> None:
        from tenants.row_security import register_lookup

        # A wall is embedded by its key; a withdrawal link carries its token.
        register_lookup(
            label="testimonials.wall", field="public_key", function="nps_wall_by_public_key"
        )
        register_lookup(
            label="testimonials.testimonial",
            field="withdraw_token",
            function="nps_testimonial_by_withdraw_token",
        )
