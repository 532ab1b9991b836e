from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboards.demo import DEMO_PASSWORD, seed
from responses.models import Response
from tenants.context import tenant_context


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
            self.stdout.write(f"{organization.name}: {count} responses at /o/{organization.slug}/")
        self.stdout.write(
            f"Log in as owner@acme.test or owner@globex.test (analyst@acme.test is in both), "
            f"password: {DEMO_PASSWORD}"
        )
