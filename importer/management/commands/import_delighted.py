import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from ...services import ImportCounts, file_check, file_import


class Command(BaseCommand):
    help = (
        "Import a Delighted response export (CSV) into a survey. The whole file is "
        "checked first: with any error, nothing is imported and the errors are listed by line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--survey", required=True, help="the survey's public key or id")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org']!r}.")
        with tenant_context(organization):
            survey = _survey(options["survey"])
            try:
                stream = path.open("rb")
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
            with stream:
                self._import(survey, stream, path)

    def _import(self, survey: Survey, stream: Any, path: Path) -> None:
        self.stderr.write(f"Checking {path}…")
        check = file_check(stream=stream)
        if not check.ok:
            for error in check.errors:
                self.stderr.write(f"Line {error.line}: {error.message}")
            if check.error_count > len(check.errors):
                self.stderr.write(f"… and {check.error_count - len(check.errors)} more.")
            raise CommandError(f"{check.error_count} error(s) in {path}: nothing was imported.")
        started = time.monotonic()

        def progress(done: int, counts: ImportCounts) -> None:
            percent = done * 100 // check.rows
            self.stderr.write(f"\rImporting: {percent:3d}% ({done}/{check.rows} rows)", ending="")
            self.stderr.flush()

        counts = file_import(survey=survey, check=check, progress=progress)
        elapsed = time.monotonic() - started
        self.stderr.write("")
        self.stdout.write(
            f"Imported {counts.imported} response(s), skipped {counts.skipped} already "
            f"present, into “{survey.name}” in {elapsed:.1f} s."
        )


def _survey(key: str) -> Survey:
    where = Q(public_key=key)
    if key.isdecimal():
        where |= Q(pk=int(key))
    survey = Survey.objects.filter(where).first()
    if survey is None:
        raise CommandError(f"No survey with public key or id {key!r} in this organization.")
    return survey
