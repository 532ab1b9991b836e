from dataclasses import dataclass

from django.db.models import Count, Q

from responses.models import Response
from responses.scoring import NpsSummary
from surveys.models import Survey


@dataclass(frozen=True)
class SurveyRow:
    survey: Survey
    summary: NpsSummary


def _counts() -> dict[str, Count]:
    return {
        "promoters": Count("id", filter=Q(score__gte=9)),
        "passives": Count("id", filter=Q(score__in=[7, 8])),
        "detractors": Count("id", filter=Q(score__lte=6)),
    }


def survey_rows() -> list[SurveyRow]:
    """Each survey of the current organization with its all-time split."""
    by_survey = {
        row["survey_id"]: row
        for row in Response.objects.values("survey_id").annotate(**_counts()).order_by()
    }
    empty = {"promoters": 0, "passives": 0, "detractors": 0}
    rows = []
    for survey in Survey.objects.all():
        counts = by_survey.get(survey.pk, empty)
        rows.append(
            SurveyRow(
                survey=survey,
                summary=NpsSummary(
                    promoters=counts["promoters"],
                    passives=counts["passives"],
                    detractors=counts["detractors"],
                ),
            )
        )
    return rows
