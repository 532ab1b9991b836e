"""A generated comment corpus with known, planted themes, in English and French.

Each planted theme has several ways of being written (plural, other word
order, a phrase around it) and a score bias (support and slowness come from
detractors, ease of use from promoters). Noise comments use none of the
planted words. Some comments carry two themes: they count in both.
"""

import random
from dataclasses import dataclass

from themes.extract import Comment

DETRACTOR, PASSIVE, PROMOTER = (0, 6), (7, 8), (9, 10)


@dataclass(frozen=True)
class Planted:
    key: str  # the stems the theme must be known by
    label: str  # how it reads
    language: str
    count: int
    scores: tuple[int, int]
    templates: tuple[str, ...]


PLANTED = (
    Planted(
        "support",
        "support",
        "en",
        70,
        DETRACTOR,
        (
            "Support never answered my ticket.",
            "Your support team took a week to reply",
            "Customer support is unreachable",
            "I waited days for support",
            "the support chat closes before anyone answers",
            "Supporting tickets get lost, support is a mess",
        ),
    ),
    Planted(
        "slow",
        "slow",
        "en",
        55,
        DETRACTOR,
        (
            "Pages are slow",
            "The dashboard is so slow on Mondays",
            "slow to open reports",
            "It became slow since the redesign.",
            "Search is painfully slow!",
        ),
    ),
    Planted(
        "price",
        "price",
        "en",
        45,
        PASSIVE,
        (
            "The price went up again",
            "Prices are steep for small teams",
            "pricing is hard to justify",
            "Price per seat is high.",
        ),
    ),
    Planted(
        "facil utilis",
        "facile à utiliser",
        "fr",
        50,
        PROMOTER,
        (
            "Très facile à utiliser au quotidien",
            "Facile à utiliser, même pour mes collègues",
            "L'outil est facile à utiliser.",
            "facile d'utilisation et rapide à prendre en main",
        ),
    ),
    Planted(
        "lent",
        "lent",
        "fr",
        35,
        DETRACTOR,
        (
            "Le site est lent le matin",
            "Application lente sur mobile",
            "Trop de lenteur depuis la mise à jour",
            "les exports sont lents",
        ),
    ),
)

NOISE_EN = (
    "We use it with the marketing group",
    "Switched from a spreadsheet last spring",
    "My manager asked me to answer",
    "Nothing to add",
    "Keep going",
    "Onboarding call was useful",
    "The colours of the charts",
    "Would recommend to a friend",
    "Integration with the calendar",
    "Mobile notifications",
    "Happy customer since 2019",
    "Dark mode please",
)
NOISE_FR = (
    "Rien à signaler",
    "Nous l'utilisons avec l'équipe commerciale",
    "Continuez comme ça",
    "Merci pour la formation",
    "Les couleurs des graphiques",
    "Je recommande à mes amis",
    "Mode sombre svp",
)
NOISE_COUNT = 160
DOUBLES = (("support", "slow", 12, "Support is slow to answer and the pages are slow too"),)


def corpus(seed: int = 7, scale: float = 1.0) -> tuple[list[Comment], dict[str, int]]:
    """About 400 comments (times `scale`), shuffled, and the number of comments
    planted per theme key."""
    rng = random.Random(seed)
    rows: list[tuple[str, int, str]] = []
    expected: dict[str, int] = {}
    for theme in PLANTED:
        count = round(theme.count * scale)
        for _ in range(count):
            rows.append((rng.choice(theme.templates), rng.randint(*theme.scores), theme.language))
        expected[theme.key] = count
    for first, second, planted, sentence in DOUBLES:
        count = round(planted * scale)
        rows += [(sentence, rng.randint(*DETRACTOR), "en") for _ in range(count)]
        expected[first] += count
        expected[second] += count
    for _ in range(round(NOISE_COUNT * scale)):
        language = rng.choice(("en", "en", "fr"))
        pool = NOISE_EN if language == "en" else NOISE_FR
        rows.append((rng.choice(pool), rng.randint(0, 10), language))
    rng.shuffle(rows)
    comments = [
        Comment(id=i + 1, text=text, score=score, language=language)
        for i, (text, score, language) in enumerate(rows)
    ]
    return comments, expected
