from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.http import QueryDict

from dashboards.demo import DEMO_PASSWORD, seed
from dashboards.filters import parse_filters
from responses.models import Response
from tenants.context import tenant_context
from themes.selectors import Scope
from themes.services import themes_compute_now


class Command(BaseCommand):
    help = "Create the demo organizations (acme, globex), their owners and a year of answers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--responses", type=int, default=10_000, help="answers per organization"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for organization in seed(responses_per_org=options["responses"]):
            with tenant_context(organization):
                count = Response.objects.count()
                # The Themes page of the default period shows at once, without a worker.
                filters = parse_filters(QueryDict(), tz=organization.time_zone)
                themes = themes_compute_now(scope=Scope.of(filters))
            self.stdout.write(
                f"{organization.name}: {count} responses at /o/{organization.slug}/, "
                f"{len(themes.themes)} comment themes"
            )
        self.stdout.write(
            f"Log in as owner@acme.test or owner@globex.test (analyst@acme.test is in both), "
            f"password: {DEMO_PASSWORD}"
        )
