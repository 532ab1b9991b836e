"""The NPS arithmetic, exact and in one place (formulas: docs/ARCHITECTURE.md)."""

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

Z_95 = 1.96


def category(score: int) -> str:
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


@dataclass(frozen=True)
class NpsSummary:
    """Counts of one period or segment. The derived figures are computed once
    per summary (a trend page reads each point's several times)."""

    promoters: int
    passives: int
    detractors: int

    @functools.cached_property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    def percent(self, count: int) -> float:
        return 100.0 * count / self.total if self.total else 0.0

    @property
    def promoter_percent(self) -> float:
        return self.percent(self.promoters)

    @property
    def passive_percent(self) -> float:
        return self.percent(self.passives)

    @property
    def detractor_percent(self) -> float:
        return self.percent(self.detractors)

    @property
    def nps_exact(self) -> Fraction | None:
        """The score as a fraction, for callers that must not lose a digit."""
        if not self.total:
            return None
        return Fraction(100 * (self.promoters - self.detractors), self.total)

    @functools.cached_property
    def nps(self) -> float | None:
        if not self.total:
            return None
        return self.percent(self.promoters) - self.percent(self.detractors)

    @functools.cached_property
    def standard_error(self) -> float | None:
        """Each answer scores +1/0/-1; SE of their mean, in NPS points."""
        if not self.total:
            return None
        p, d = self.promoters / self.total, self.detractors / self.total
        variance = ((p + d) - (p - d) ** 2) / self.total
        return 100.0 * math.sqrt(variance)

    @functools.cached_property
    def margin_of_error(self) -> float | None:
        se = self.standard_error
        return None if se is None else Z_95 * se

    @property
    def low(self) -> float | None:
        """Lower end of the 95 % interval, kept within the scale."""
        if self.nps is None or self.margin_of_error is None:
            return None
        return max(-100.0, self.nps - self.margin_of_error)

    @property
    def high(self) -> float | None:
        if self.nps is None or self.margin_of_error is None:
            return None
        return min(100.0, self.nps + self.margin_of_error)

    def __add__(self, other: "NpsSummary") -> "NpsSummary":
        return NpsSummary(
            promoters=self.promoters + other.promoters,
            passives=self.passives + other.passives,
            detractors=self.detractors + other.detractors,
        )


def change_z(current: NpsSummary, previous: NpsSummary) -> float | None:
    """z of the change between two periods; |z| ≥ 1.96 is significant at 95 %."""
    if current.nps is None or previous.nps is None:
        return None
    se1, se2 = current.standard_error or 0.0, previous.standard_error or 0.0
    spread = math.sqrt(se1**2 + se2**2)
    if spread == 0:
        return None
    return (current.nps - previous.nps) / spread


def two_sided_p(z: float) -> float:
    """Chance of a change at least this large if nothing changed (normal approximation)."""
    return math.erfc(abs(z) / math.sqrt(2))


def rest_of(total: NpsSummary, part: NpsSummary) -> NpsSummary:
    """The answers of `total` outside `part` (a segment against everyone else)."""
    return NpsSummary(
        promoters=total.promoters - part.promoters,
        passives=total.passives - part.passives,
        detractors=total.detractors - part.detractors,
    )


def proportions_z(hits: int, trials: int, other_hits: int, other_trials: int) -> float | None:
    """Two-proportion z (pooled), e.g. two response rates; |z| ≥ 1.96 is significant.

    None when a side has no trials or the pooled rate leaves no spread (all or
    nothing answered), or when there are more hits than trials, where the
    test means nothing.
    """
    if not trials or not other_trials or hits > trials or other_hits > other_trials:
        return None
    pooled = (hits + other_hits) / (trials + other_trials)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / trials + 1 / other_trials))
    if spread == 0:
        return None
    return (hits / trials - other_hits / other_trials) / spread


# Below this many answers (or displays) on either side, a difference is never
# called significant: the normal approximation behind the z-tests does not hold,
# and a segment of one detractor has no spread at all, so any z would be huge.
MIN_TEST_SIZE = 30


def is_significant(z: float | None, *sizes: int) -> bool:
    """|z| ≥ 1.96 with every compared group at least MIN_TEST_SIZE large."""
    return z is not None and abs(z) >= Z_95 and min(sizes, default=0) >= MIN_TEST_SIZE
