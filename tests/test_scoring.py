import pytest

from responses.scoring import NpsSummary, category, change_z


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_it_puts_each_score_in_its_category(score: int, expected: str) -> None:
    assert category(score) == expected


def test_it_matches_the_reference_margin_of_error() -> None:
    summary = NpsSummary(promoters=50, passives=30, detractors=20)
    assert summary.nps == pytest.approx(30)
    assert summary.standard_error == pytest.approx(7.81, abs=0.005)
    assert summary.margin_of_error == pytest.approx(15.31, abs=0.01)


def test_it_finds_the_reference_change_not_significant() -> None:
    first = NpsSummary(promoters=50, passives=30, detractors=20)
    second = NpsSummary(promoters=54, passives=36, detractors=30)
    z = change_z(first, second)
    assert z == pytest.approx(0.93, abs=0.01)
    assert abs(z) < 1.96


def test_it_has_no_score_without_answers() -> None:
    empty = NpsSummary(promoters=0, passives=0, detractors=0)
    assert empty.nps is None
    assert empty.margin_of_error is None
    assert change_z(empty, NpsSummary(promoters=1, passives=0, detractors=0)) is None
