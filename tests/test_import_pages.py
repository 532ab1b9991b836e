"""The import pages: owners and admins upload a Delighted export and watch it land."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from importer.models import ImportJob, ImportStatus
from responses.models import Channel, Response
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import Organization

from .conftest import wait_until
from .delighted_files import csv_bytes, generated


def page_url(survey: Survey) -> str:
    return f"/o/{survey.organization.slug}/surveys/{survey.pk}/import/"


def upload(client: Client, survey: Survey, data: bytes, name: str = "export.csv") -> Any:
    return client.post(page_url(survey), {"file": SimpleUploadedFile(name, data, "text/csv")})


def responses_of(org: Organization) -> int:
    with tenant_context(org):
        return Response.objects.count()


def the_job(org: Organization) -> ImportJob:
    with tenant_context(org):
        return ImportJob.objects.get()


def test_the_survey_page_links_to_the_import(owner_client: Client, survey: Survey) -> None:
    page = owner_client.get(f"/o/{survey.organization.slug}/surveys/{survey.pk}/")
    assert page_url(survey) in page.content.decode()


def test_the_owner_uploads_a_file_and_reads_the_report(
    owner_client: Client,
    survey: Survey,
    org: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert owner_client.get(page_url(survey)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        answer = upload(owner_client, survey, csv_bytes(generated(120)))
    job = the_job(org)
    assert answer.status_code == 302
    assert answer["Location"] == f"{page_url(survey)}{job.pk}/"
    assert (job.status, job.imported, job.skipped, job.total_rows) == (
        ImportStatus.DONE,
        120,
        0,
        120,
    )
    assert bytes(job.content) == b""  # the stored file is dropped once imported
    report = owner_client.get(answer["Location"]).content.decode()
    assert "120 rows read: 120 imported, 0 already present." in report
    assert 'hx-trigger="every 1s"' not in report
    assert responses_of(org) == 120
    listing = owner_client.get(page_url(survey)).content.decode()
    assert "export.csv" in listing


def test_uploading_the_same_file_again_reports_it_as_already_present(
    owner_client: Client,
    survey: Survey,
    org: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = csv_bytes(generated(40))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            answer = upload(owner_client, survey, data)
    report = owner_client.get(answer["Location"]).content.decode()
    assert "40 rows read: 0 imported, 40 already present." in report
    assert responses_of(org) == 40


def test_a_running_import_shows_its_progress_and_polls_every_second(
    owner_client: Client, survey: Survey, org: Organization
) -> None:
    with tenant_context(org):
        job = ImportJob.objects.create(
            organization=org,
            survey=survey,
            filename="big.csv",
            status=ImportStatus.IMPORTING,
            total_rows=200_000,
            done_rows=50_000,
        )
    url = f"{page_url(survey)}{job.pk}/"
    full = owner_client.get(url).content.decode()
    assert "50000 of 200000 rows (25 %)" in full
    assert 'hx-trigger="every 1s"' in full and "<html" in full
    partial = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "50000 of 200000 rows" in partial and "<html" not in partial


def test_a_malformed_file_shows_its_bad_lines_and_imports_nothing(
    owner_client: Client,
    survey: Survey,
    org: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rows = generated(5)  # the first row's two notes span lines 2 and 3
    rows[2][1] = 42  # line 5
    rows[4][5] = "next tuesday"  # line 7
    with django_capture_on_commit_callbacks(execute=True):
        answer = upload(owner_client, survey, csv_bytes(rows))
    page = owner_client.get(answer["Location"]).content.decode()
    assert "Nothing was imported: 2 lines are wrong." in page
    assert "Line 5: The score “42” is not a whole number from 0 to 10." in page
    assert "Line 7: The date “next tuesday” cannot be read." in page
    assert the_job(org).status == ImportStatus.INVALID
    assert responses_of(org) == 0


@override_settings(IMPORT_MAX_UPLOAD_MB=1)
def test_it_refuses_a_file_above_the_size_limit(
    owner_client: Client, survey: Survey, org: Organization
) -> None:
    answer = upload(owner_client, survey, b"x" * (1024 * 1024 + 1))
    assert answer.status_code == 400
    assert "The file is larger than 1 MB" in answer.content.decode()
    with tenant_context(org):
        assert not ImportJob.objects.exists()


def test_an_admin_may_import(admin_user: Any, survey: Survey, org: Organization) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.get(page_url(survey)).status_code == 200


def test_a_viewer_can_neither_see_nor_upload(
    member_client: Client, survey: Survey, org: Organization
) -> None:
    assert member_client.get(page_url(survey)).status_code == 403
    assert upload(member_client, survey, csv_bytes(generated(3))).status_code == 403
    with tenant_context(org):
        assert not ImportJob.objects.exists()
    assert responses_of(org) == 0


def test_an_outsider_gets_404_and_changes_nothing(
    outsider_client: Client, survey: Survey, org: Organization, other_org: Organization
) -> None:
    assert outsider_client.get(page_url(survey)).status_code == 404
    assert upload(outsider_client, survey, csv_bytes(generated(3))).status_code == 404
    theirs = f"/o/{other_org.slug}/surveys/{survey.pk}/import/"
    assert outsider_client.get(theirs).status_code == 404
    with tenant_context(org):
        job = ImportJob.objects.create(organization=org, survey=survey, filename="x.csv")
    assert outsider_client.get(f"{page_url(survey)}{job.pk}/").status_code == 404
    assert outsider_client.get(f"{theirs}{job.pk}/").status_code == 404
    assert responses_of(org) == 0


def test_another_surveys_import_is_not_found_under_this_survey(
    owner_client: Client, survey: Survey, org: Organization
) -> None:
    from surveys.services import survey_create

    with tenant_context(org):
        other = survey_create(organization=org, kind="customer", name="Other", product_name="X")
        job = ImportJob.objects.create(organization=org, survey=other, filename="x.csv")
    assert owner_client.get(f"{page_url(survey)}{job.pk}/").status_code == 404


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_the_upload(worker: Any, survey: Survey, org: Organization) -> None:
    client = Client()
    client.force_login(org.memberships.get().user)
    answer = upload(client, survey, csv_bytes(generated(300)))
    assert answer.status_code == 302
    wait_until(lambda: the_job(org).status == ImportStatus.DONE)
    job = the_job(org)
    assert (job.imported, job.done_rows) == (300, 300)
    with tenant_context(org):
        assert Response.objects.filter(channel=Channel.IMPORT).count() == 300
    assert "300 rows read: 300 imported" in client.get(answer["Location"]).content.decode()
