from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Organization
from tenants.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organization and print it (only it) on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("org_slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--read-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org_slug"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org_slug']!r}.")
        _, raw = api_key_create(
            organization=organization, name=options["name"], read_only=options["read_only"]
        )
        self.stdout.write(raw)
