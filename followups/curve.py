"""The relationship curve: one respondent's scores over time, drawn as SVG by the server."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from django.utils import timezone

from responses.models import Response
from responses.scoring import category

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 16, 12, 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    score: int
    category: str
    date: str


@dataclass(frozen=True)
class Curve:
    points: list[Point]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def gridlines(self) -> list[tuple[int, float]]:
        """Scores 0 and 10, and 7 and 9 where passives and promoters begin."""
        return [(score, _y(score)) for score in (0, 7, 9, 10)]

    @property
    def left(self) -> int:
        return LEFT

    @property
    def right(self) -> int:
        return WIDTH - RIGHT

    @property
    def first_label(self) -> str:
        return self.points[0].date if self.points else ""

    @property
    def last_label(self) -> str:
        return self.points[-1].date if self.points else ""


def relationship_curve(responses: Sequence[Response], *, zone: tzinfo) -> Curve:
    """Points placed by time (oldest left), a single answer in the middle."""
    if not responses:
        return Curve(points=[])
    first, last = responses[0].created_at, responses[-1].created_at
    span = (last - first).total_seconds()
    points = []
    for response in responses:
        offset = (response.created_at - first).total_seconds()
        share = offset / span if span else 0.5
        local = timezone.localtime(response.created_at, zone)
        points.append(
            Point(
                x=LEFT + share * (WIDTH - LEFT - RIGHT),
                y=_y(response.score),
                score=response.score,
                category=category(response.score),
                date=f"{local:%Y-%m-%d}",
            )
        )
    return Curve(points=points)


def _y(score: int) -> float:
    return TOP + (10 - score) / 10 * (HEIGHT - TOP - BOTTOM)
