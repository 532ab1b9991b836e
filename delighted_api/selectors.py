"""Reads behind the Delighted-compatible API, scoped by the key's organization."""

from datetime import datetime

from django.db.models import Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.http import Http404

from outreach.models import Status, Suppression, SurveyRequest
from responses.models import Note, Respondent, Response
from surveys.models import Survey

from .base import Invalid, phone_number_normalized


def survey_default() -> Survey:
    """Delighted has one survey per key; ours is the organization's oldest active
    survey (the oldest of all when none is active)."""
    found = Survey.objects.order_by("-is_active", "created_at", "pk").first()
    if found is None:
        raise Invalid("survey", "Your organization has no survey yet: create one first.")
    return found


def survey_named(*, reference: str) -> Survey:
    """A survey of the organization by public key or id; another organization's
    answers exactly like a missing one."""
    found = Survey.objects.filter(public_key=reference).first()
    if found is None and reference.isdecimal() and len(reference) < 19:
        found = Survey.objects.filter(pk=int(reference)).first()
    if found is None:
        raise Http404
    return found


def people_matching(*, reference: str) -> QuerySet[Respondent]:
    """`123`, `email:ada@example.com` or `phone_number:+15551234567` (a bare
    address works too): every Respondent it names."""
    if reference.isdecimal() and len(reference) < 19:
        return Respondent.objects.filter(pk=int(reference))
    kind, sep, value = reference.partition(":")
    if not sep:
        kind, value = "email", reference
    # Never an empty value: `email:` must not name everyone without an address.
    if kind == "email" and "@" in value:
        return Respondent.objects.filter(email__iexact=value)
    if kind == "phone_number" and value:
        return Respondent.objects.filter(phone_number=phone_number_normalized(value))
    return Respondent.objects.none()


def with_activity(people: QuerySet[Respondent]) -> QuerySet[Respondent]:
    """Adds what a Delighted person reports: last sent, last answered, next scheduled."""
    requests = SurveyRequest.objects.filter(respondent=OuterRef("pk")).order_by()
    answers = Response.objects.filter(respondent=OuterRef("pk")).order_by()
    return people.annotate(
        last_sent_at=Subquery(
            requests.values("respondent").annotate(at=Max("sent_at")).values("at")[:1]
        ),
        next_survey_scheduled_at=Subquery(
            requests.filter(status=Status.PENDING)
            .values("respondent")
            .annotate(at=Min("scheduled_at"))
            .values("at")[:1]
        ),
        last_responded_at=Subquery(
            answers.values("respondent").annotate(at=Max("created_at")).values("at")[:1]
        ),
    )


def people_page(
    *, since: datetime | None, until: datetime | None, after: int, per_page: int
) -> list[Respondent]:
    """People who can be reached (an email or a phone number), oldest first,
    after the cursor; one more than asked tells whether a next page exists."""
    people = Respondent.objects.filter(~Q(email="") | ~Q(phone_number=""), pk__gt=after)
    if since is not None:
        people = people.filter(first_seen_at__gte=since)
    if until is not None:
        people = people.filter(first_seen_at__lte=until)
    return list(with_activity(people).order_by("pk")[: per_page + 1])


def people_by_id(*, ids: set[int]) -> dict[int, Respondent]:
    return with_activity(Respondent.objects.filter(pk__in=ids)).in_bulk()


ORDERINGS = {
    "asc": ("created_at", "pk"),
    "desc": ("-created_at", "-pk"),
    "asc:created_at": ("created_at", "pk"),
    "desc:created_at": ("-created_at", "-pk"),
    "asc:updated_at": ("updated_at", "pk"),
    "desc:updated_at": ("-updated_at", "-pk"),
}


def responses_matching(
    *,
    survey: Survey | None,
    since: datetime | None = None,
    until: datetime | None = None,
    updated_since: datetime | None = None,
    updated_until: datetime | None = None,
    person_id: int | None = None,
    person_email: str = "",
    order: str = "asc",
) -> QuerySet[Response]:
    responses = Response.objects.all()
    if survey is not None:
        responses = responses.filter(survey=survey)
    for lookup, value in (
        ("created_at__gte", since),
        ("created_at__lte", until),
        ("updated_at__gte", updated_since),
        ("updated_at__lte", updated_until),
        ("respondent_id", person_id),
    ):
        if value is not None:
            responses = responses.filter(**{lookup: value})
    if person_email:
        responses = responses.filter(respondent__email__iexact=person_email)
    return with_details(responses).order_by(*ORDERINGS[order])


def with_details(responses: QuerySet[Response]) -> QuerySet[Response]:
    notes = Prefetch("notes", queryset=Note.objects.select_related("author"))
    return responses.select_related("survey", "organization").prefetch_related(notes)


def response_by_id(*, response_id: str) -> Response:
    if not response_id.isdecimal() or len(response_id) >= 19:
        raise Http404
    found = with_details(Response.objects.filter(pk=int(response_id))).first()
    if found is None:
        raise Http404
    return found


def suppressions(
    *, reason: str, since: datetime | None, until: datetime | None
) -> QuerySet[Suppression]:
    """Unsubscribes or bounces, oldest first, with the person each address names."""
    person = Respondent.objects.annotate(address=Lower("email")).filter(address=OuterRef("email"))
    rows = Suppression.objects.filter(reason=reason)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lte=until)
    return rows.annotate(
        person_id=Subquery(person.order_by("pk").values("pk")[:1]),
        person_name=Subquery(person.order_by("pk").values("name")[:1]),
    ).order_by("created_at", "pk")
