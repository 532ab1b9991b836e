"""The survey requests page: admins schedule, viewers read, outsiders get 404."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from outreach.models import SurveyRequest
from responses.models import Respondent
from surveys.models import Survey
from tenants.context import tenant_context


def url(survey: Survey, action: str = "") -> str:
    return f"/o/example/surveys/{survey.pk}/requests/{action + '/' if action else ''}"


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")


def requests_of(survey: Survey) -> list[SurveyRequest]:
    with tenant_context(survey.organization):
        return list(SurveyRequest.objects.order_by("email"))


def test_the_owner_uploads_a_csv_with_properties(owner_client: Client, survey: Survey) -> None:
    upload = csv_file(
        "email,name,language,plan\nada@example.com,Ada,fr,pro\nbob@example.com,Bob,,\n"
    )
    response = owner_client.post(url(survey, "upload"), {"file": upload, "delay_days": "2"})
    assert response.status_code == 302
    ada, bob = requests_of(survey)
    assert (ada.name, ada.language, ada.properties, ada.source) == (
        "Ada",
        "fr",
        {"plan": "pro"},
        "csv",
    )
    assert bob.properties == {}
    assert (ada.scheduled_at - ada.created_at).days == 2
    page = owner_client.get(url(survey)).content.decode()
    assert "ada@example.com" in page
    assert "2 people scheduled." in page


def test_a_bad_row_creates_nothing_and_names_its_line(owner_client: Client, survey: Survey) -> None:
    upload = csv_file(
        "email,name,language\nada@example.com,Ada,\nnot-an-email,Bob,\nc@example.com,C,xx\n"
    )
    response = owner_client.post(url(survey, "upload"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Line 3:" in html and "Line 4:" in html
    assert "Line 2:" not in html
    assert requests_of(survey) == []


def test_a_csv_without_an_email_column_is_refused(owner_client: Client, survey: Survey) -> None:
    response = owner_client.post(url(survey, "upload"), {"file": csv_file("name\nAda\n")})
    assert response.status_code == 400
    assert requests_of(survey) == []


def test_the_owner_sends_to_one_person(owner_client: Client, survey: Survey) -> None:
    data = {"email": "ada@example.com", "name": "Ada", "language": "", "delay_days": "0"}
    assert owner_client.post(url(survey, "send"), data).status_code == 302
    (request,) = requests_of(survey)
    assert (request.email, request.source, request.status) == ("ada@example.com", "form", "pending")
    bad = owner_client.post(url(survey, "send"), {"email": "nope"})
    assert bad.status_code == 400


def test_the_owner_sets_the_recurrence(owner_client: Client, survey: Survey) -> None:
    assert owner_client.post(url(survey, "recur"), {"recur_days": "90"}).status_code == 302
    assert Survey.objects.unscoped().get(pk=survey.pk).recur_days == 90
    assert owner_client.post(url(survey, "recur"), {"recur_days": ""}).status_code == 302
    assert Survey.objects.unscoped().get(pk=survey.pk).recur_days is None
    assert owner_client.post(url(survey, "recur"), {"recur_days": "0"}).status_code == 400


def test_a_member_reads_but_cannot_write(member_client: Client, survey: Survey) -> None:
    page = member_client.get(url(survey))
    assert page.status_code == 200
    assert "Upload a CSV" not in page.content.decode()
    upload = csv_file("email\nada@example.com\n")
    assert member_client.post(url(survey, "upload"), {"file": upload}).status_code == 403
    assert member_client.post(url(survey, "send"), {"email": "a@example.com"}).status_code == 403
    assert member_client.post(url(survey, "recur"), {"recur_days": "30"}).status_code == 403
    assert requests_of(survey) == []


def test_an_outsider_gets_404(outsider_client: Client, survey: Survey) -> None:
    assert outsider_client.get(url(survey)).status_code == 404
    upload = csv_file("email\nada@example.com\n")
    assert outsider_client.post(url(survey, "upload"), {"file": upload}).status_code == 404
    other = f"/o/other/surveys/{survey.pk}/requests/"
    assert outsider_client.get(other).status_code == 404
    assert requests_of(survey) == []


def test_the_page_filters_by_status(owner_client: Client, survey: Survey) -> None:
    for email in ("ada@example.com", "bob@example.com"):
        owner_client.post(url(survey, "send"), {"email": email, "delay_days": "0"})
    SurveyRequest.objects.unscoped().filter(email="bob@example.com").update(status="sent")
    html = owner_client.get(url(survey), {"status": "sent"}).content.decode()
    assert "<td>bob@example.com</td>" in html
    assert "<td>ada@example.com</td>" not in html


def test_the_largest_file_is_scheduled_in_one_request(owner_client: Client, survey: Survey) -> None:
    rows = "".join(f"p{number}@example.com,P{number},pro\n" for number in range(10_000))
    upload = csv_file(
        "email,name,plan\nP0@example.com,Known,\n" + rows[len("p0@example.com,P0,pro\n") :]
    )
    response = owner_client.post(url(survey, "upload"), {"file": upload})
    assert response.status_code == 302
    with tenant_context(survey.organization):
        assert SurveyRequest.objects.count() == 10_000
        assert Respondent.objects.count() == 10_000
        assert Respondent.objects.get(email__iexact="p1@example.com").traits == {"plan": "pro"}
    too_many = csv_file("email\n" + "".join(f"x{n}@example.com\n" for n in range(10_001)))
    refused = owner_client.post(url(survey, "upload"), {"file": too_many})
    assert refused.status_code == 400
    assert "At most 10000 rows" in refused.content.decode()


def test_a_known_person_keeps_one_respondent(owner_client: Client, survey: Survey) -> None:
    owner_client.post(url(survey, "send"), {"email": "Ada@Example.com", "name": "Ada"})
    upload = csv_file("email,plan\nada@example.com,pro\n")
    owner_client.post(url(survey, "upload"), {"file": upload})
    with tenant_context(survey.organization):
        (respondent,) = Respondent.objects.all()
        assert (respondent.name, respondent.traits) == ("Ada", {"plan": "pro"})
        assert SurveyRequest.objects.filter(respondent=respondent).count() == 2
