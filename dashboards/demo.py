"""Demo data: two organizations with a year of plausible answers."""

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from responses.models import Channel, FollowUpStatus, Note, PromptEvent, Respondent, Response
from rollups.models import Watermark
from rollups.services import rollups_rebuild
from surveys.models import Survey, SurveyKind, SurveyVariant
from surveys.presets import preset_texts
from surveys.selectors import pick_variant
from tenants.context import tenant_context
from tenants.models import Membership, Organization, Role
from testimonials import services as testimonials
from testimonials.models import Status as TestimonialStatus
from testimonials.models import Testimonial

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed to the developer on purpose

FIRST = [
    "Alice",
    "Bruno",
    "Chloé",
    "David",
    "Emma",
    "Farid",
    "Gabriel",
    "Hana",
    "Inès",
    "Jonas",
    "Karim",
    "Léa",
    "Marta",
    "Noah",
    "Olivia",
    "Pierre",
    "Quentin",
    "Rosa",
    "Sven",
    "Théo",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Schmidt",
    "Smith",
    "Garcia",
    "Rossi",
    "Nguyen",
    "Lefebvre",
    "Müller",
    "Brown",
    "Moreau",
    "Laurent",
    "Weber",
    "Fournier",
    "Taylor",
]
# Each kind of answer has a few recurring reasons, written in several ways, so
# the Themes page finds them (support, speed, price, ease of use…).
COMMENTS = {
    "en": {
        "promoter": [
            "Love how simple it is.",
            "So easy to use, the whole team adopted it.",
            "Easy to use and the reports are great.",
            "Support answered in minutes, impressive.",
            "Saves my team hours every week.",
            "The new reports are great.",
            "Really easy to use, even for new hires.",
        ],
        "passive": [
            "Good overall, a bit pricey.",
            "Does the job; the mobile app lags.",
            "Fine, but onboarding took a while.",
            "The price is high for what we use.",
            "The mobile app could be faster.",
        ],
        "detractor": [
            "Too slow lately, pages take ages to load.",
            "Support never answered my ticket.",
            "Pricing went up without notice.",
            "Missing an export to Excel.",
            "The dashboard is slow every morning.",
            "Waited a week for support to reply.",
            "The price went up again, hard to justify.",
        ],
    },
    "fr": {
        "promoter": [
            "Très simple à utiliser, bravo.",
            "Facile à utiliser, toute l'équipe l'a adopté.",
            "Le support répond vite, merci !",
            "Un gain de temps énorme pour l'équipe.",
            "Interface facile à utiliser.",
        ],
        "passive": [
            "Bien, mais un peu cher.",
            "Correct, l'application mobile est lente.",
            "Le prix reste élevé pour une petite équipe.",
        ],
        "detractor": [
            "Trop lent ces derniers temps.",
            "Le support ne répond pas.",
            "Les prix ont augmenté sans prévenir.",
            "Application très lente le matin.",
            "Aucune réponse du support depuis une semaine.",
        ],
    },
}


# A tag the team would put on a detractor's comment, by a word in it.
TAGS_BY_WORD = {
    "slow": "performance",
    "lent": "performance",
    "support": "support",
    "pric": "pricing",
    "prix": "pricing",
    "export": "feature-request",
}
# The segment drivers should find something: free-plan users are far less happy.
PLAN_MOOD = {"free": -0.3, "pro": 0.0, "enterprise": 0.1}
# Displays per answer under each variant: the short question is answered more often.
EXTRA_DISPLAYS = {"Original": (0.8, 0.3), "Short question": (0.35, 0.05)}
SHORT_QUESTION = {
    "en": {"question": "Would you recommend {product}?"},
    "fr": {"question": "Recommanderiez-vous {product}\u00a0?"},
    "de": {"question": "Würden Sie {product} empfehlen?"},
}
NOTES = {
    FollowUpStatus.CONTACTED: "Called them; they agreed to a follow-up demo next week.",
    FollowUpStatus.RESOLVED: "Fixed on our side and confirmed by email. Thanked them.",
}


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    surveys: tuple[tuple[str, str, float], ...]  # name, kind, share of answers
    base_mood: float  # shifts the score mix: higher, happier
    drift: float  # mood change over the year, so the trend moves
    ab_test: bool = False  # its first survey tries a shorter question against the original


DEMO_ORGS = (
    DemoOrg(
        "acme",
        "Acme Corp",
        (
            ("Product NPS", SurveyKind.CUSTOMER, 0.6),
            ("Employee pulse", SurveyKind.EMPLOYEE, 0.25),
            ("Partner NPS", SurveyKind.PARTNER, 0.15),
        ),
        0.45,
        0.2,
        ab_test=True,
    ),
    DemoOrg(
        "globex",
        "Globex",
        (
            ("Customer NPS", SurveyKind.CUSTOMER, 0.7),
            ("Support follow-up", SurveyKind.CUSTOMER, 0.3),
        ),
        0.35,
        -0.1,
    ),
)


def _user(email: str) -> User:
    user, created = get_user_model().objects.get_or_create(
        username=email, defaults={"email": email}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _score(rng: random.Random, mood: float) -> int:
    roll = rng.random()
    if roll < mood:
        return rng.choice([9, 10, 10])
    if roll < mood + 0.3:
        return rng.choice([7, 8])
    return rng.choice([0, 2, 3, 4, 5, 5, 6, 6, 6])


def seed(*, responses_per_org: int = 10_000) -> list[Organization]:
    analyst = _user("analyst@acme.test")
    organizations = []
    for spec in DEMO_ORGS:
        owner = _user(f"owner@{spec.slug}.test")
        organization, _ = Organization.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name}
        )
        Membership.objects.get_or_create(
            organization=organization, user=owner, defaults={"role": Role.OWNER}
        )
        role = Role.ADMIN if spec.slug == "acme" else Role.VIEWER
        Membership.objects.get_or_create(
            organization=organization, user=analyst, defaults={"role": role}
        )
        with tenant_context(organization), transaction.atomic():
            _seed_org(organization, spec, responses_per_org)
            _testimonials(organization, spec, reviewer=owner)
        organizations.append(organization)
    return organizations


def _seed_org(organization: Organization, spec: DemoOrg, wanted: int) -> None:
    surveys = []
    for name, kind, share in spec.surveys:
        survey, _ = Survey.objects.get_or_create(
            organization=organization,
            name=name,
            defaults={
                "kind": kind,
                "product_name": spec.name,
                "texts": preset_texts(kind),
                "allowed_origins": [f"https://app.{spec.slug}.test"],
            },
        )
        surveys.append((survey, share))
    variants = _variants(surveys[0][0]) if spec.ab_test else []
    missing = wanted - Response.objects.count()
    if missing <= 0:
        return
    rng = random.Random(f"{spec.slug}-{wanted - missing}")  # noqa: S311 - demo data, not crypto
    people = _respondents(organization, rng, max(wanted // 4, 1))
    now = timezone.now()
    rows = []
    for _ in range(missing):
        age_days = rng.random() * 365
        person = rng.choice(people)
        mood = spec.base_mood + spec.drift * (0.5 - age_days / 365)
        score = _score(rng, mood + PLAN_MOOD.get(person.traits["plan"], 0.0))
        language = person.traits["language"]
        comment = ""
        if rng.random() < 0.4:
            kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            comment = rng.choice(COMMENTS[language][kind])
        survey = rng.choices([s for s, _ in surveys], weights=[w for _, w in surveys])[0]
        tested = variants and survey == surveys[0][0]
        subject = f"respondent:{person.pk}"
        rows.append(
            Response(
                organization=organization,
                survey=survey,
                respondent=person,
                score=score,
                comment=comment,
                language=language,
                created_at=now - timedelta(days=age_days),
                channel=rng.choice([Channel.WIDGET, Channel.WIDGET, Channel.LINK, Channel.EMAIL]),
                variant=pick_variant(survey_id=survey.pk, subject=subject, variants=variants)
                if tested
                else None,
            )
        )
    Response.objects.bulk_create(rows, batch_size=2000)
    _displays(organization, rng, rows)
    _follow_ups(organization, rng, rows, now)
    _refresh_rollups(organization, rows, now)


def _variants(survey: Survey) -> list[SurveyVariant]:
    """An A/B test on the survey: its own wording against a shorter question."""
    control, _ = SurveyVariant.objects.get_or_create(
        organization=survey.organization, survey=survey, name="Original"
    )
    short, _ = SurveyVariant.objects.get_or_create(
        organization=survey.organization,
        survey=survey,
        name="Short question",
        defaults={"texts": SHORT_QUESTION},
    )
    return [control, short]


ATTRIBUTIONS = (("CTO", "Northwind"), ("Head of Support", "Initech"), ("", "Umbrella"), ("", ""))


def _testimonials(organization: Organization, spec: DemoOrg, *, reviewer: User) -> None:
    """The main survey asks its promoters; three of them are on the wall, one waits."""
    survey = Survey.objects.filter(name=spec.surveys[0][0]).first()
    if survey is None or Testimonial.objects.exists():
        return
    testimonials.consent_ask_set(survey=survey, enabled=True)
    wall = testimonials.wall_of(organization=organization)
    testimonials.wall_update(
        wall=wall,
        heading=f"What {spec.name}'s customers say",
        accent_color="#2563eb",
        allowed_origins=[f"https://www.{spec.slug}.test"],
    )
    promoters = (
        Response.objects.filter(survey=survey, score__gte=9, respondent__isnull=False)
        .exclude(comment="")
        .select_related("survey__organization", "respondent")
        .order_by("-created_at")[: len(ATTRIBUTIONS)]
    )
    for position, (response, (title, company)) in enumerate(
        zip(promoters, ATTRIBUTIONS, strict=False)
    ):
        assert response.respondent is not None
        attribution = testimonials.Attribution(
            name=response.respondent.name, title=title, company=company
        )
        quoted = testimonials.testimonial_consent(
            response=response, attribution=attribution, language=response.language
        )
        if position < len(ATTRIBUTIONS) - 1:
            testimonials.testimonial_review(
                testimonial=quoted, status=TestimonialStatus.APPROVED, reviewer=reviewer
            )


def _refresh_rollups(organization: Organization, rows: list[Response], now: datetime) -> None:
    """Backdated displays slip past the rollups' watermark: recount their days.

    Before the first rollup refresh there is nothing to correct (it counts all).
    """
    if not Watermark.objects.filter(through__isnull=False).exists():
        return
    zone = ZoneInfo(organization.time_zone)
    first = min(r.created_at for r in rows) - timedelta(hours=3)  # displays precede answers
    rollups_rebuild(
        organization=organization,
        first=first.astimezone(zone).date(),
        last=now.astimezone(zone).date(),
    )


def _displays(organization: Organization, rng: random.Random, rows: list[Response]) -> None:
    """Each widget answer was preceded by a display, and some displays went
    unanswered, so the widget's response rate reads like a real one. Links and
    emails record no displays, as in production."""
    events = []
    for response in rows:
        assert response.respondent is not None
        if response.channel != Channel.WIDGET:
            continue
        variant = response.variant
        second, third = EXTRA_DISPLAYS.get(variant.name if variant else "", (0.8, 0.3))
        for extra in range(1 + (rng.random() < second) + (rng.random() < third)):
            events.append(
                PromptEvent(
                    organization=organization,
                    survey=response.survey,
                    respondent=response.respondent,
                    kind=PromptEvent.Kind.DISPLAY,
                    channel=response.channel,
                    variant=variant,
                    created_at=response.created_at - timedelta(minutes=extra * 90),
                )
            )
    PromptEvent.objects.bulk_create(events, batch_size=5000)


def _follow_ups(
    organization: Organization, rng: random.Random, rows: list[Response], now: datetime
) -> None:
    """Older detractors were mostly handled; the recent ones wait in the inbox."""
    team = [m.user for m in Membership.objects.filter(organization=organization)]
    notes = []
    for response in rows:
        if response.score > 6:
            continue
        recent = now - response.created_at < timedelta(days=21)
        weights = (6, 3, 1) if recent else (1, 3, 46)
        status = rng.choices(list(FollowUpStatus), weights=weights)[0]
        response.follow_up_status = status
        text = response.comment.lower()
        response.tags = sorted({tag for word, tag in TAGS_BY_WORD.items() if word in text})
        if status != FollowUpStatus.NEW:
            response.assignee = rng.choice(team)
            notes.append(
                Note(
                    organization=organization,
                    response=response,
                    author=response.assignee,
                    body=NOTES[status],
                    created_at=min(now, response.created_at + timedelta(hours=20)),
                )
            )
    Response.objects.bulk_update(
        [r for r in rows if r.score <= 6], ["follow_up_status", "tags", "assignee"], batch_size=2000
    )
    Note.objects.bulk_create(notes, batch_size=2000)


def _ascii(text: str) -> str:
    """Léa → lea: addresses as people really have them."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _respondents(organization: Organization, rng: random.Random, count: int) -> list[Respondent]:
    existing = {
        r.external_id: r for r in Respondent.objects.filter(external_id__startswith="demo-")
    }
    new = []
    for i in range(count):
        external_id = f"demo-{i}"
        if external_id in existing:
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        new.append(
            Respondent(
                organization=organization,
                external_id=external_id,
                name=f"{first} {last}",
                email=_ascii(f"{first}.{last}.{i}@example.com".lower()),
                profile_url=f"https://app.{organization.slug}.test/users/{i}",
                traits={
                    "plan": rng.choice(["free", "pro", "pro", "enterprise"]),
                    "country": rng.choice(["US", "FR", "DE", "GB"]),
                    "language": rng.choice(["en", "en", "fr"]),
                },
            )
        )
    Respondent.objects.bulk_create(new, batch_size=2000)
    return list(Respondent.objects.filter(external_id__startswith="demo-"))
