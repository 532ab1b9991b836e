"""Finding themes in comments, without a database: a generated corpus with
planted themes in English and French, and the normalisation under it."""

from themes import text
from themes.extract import Analysis, Comment, Theme, find_themes, stats

from .themes_corpus import PLANTED, corpus

TOLERANCE = 0.03


def theme_named(analysis: Analysis, key: str) -> Theme:
    """The theme known by that stem key (its own, or one of its phrases')."""
    for theme in analysis.themes:
        if key in theme.aliases:
            return theme
    raise AssertionError(f"no theme {key!r} in {[t.key for t in analysis.themes]}")


def test_it_finds_every_planted_theme_with_its_count_within_a_few_percent() -> None:
    comments, expected = corpus()
    analysis = find_themes(comments)
    for key, count in expected.items():
        found = len(theme_named(analysis, key).docs)
        assert abs(found - count) <= max(1, TOLERANCE * count), (key, found, count)


def test_it_finds_them_in_another_draw_of_the_corpus_too() -> None:
    comments, expected = corpus(seed=2024)
    analysis = find_themes(comments)
    for key, count in expected.items():
        assert abs(len(theme_named(analysis, key).docs) - count) <= max(1, TOLERANCE * count)


def test_the_planted_themes_are_among_the_biggest_ones() -> None:
    comments, expected = corpus()
    # Besides them, "answer" (support never answers) is a true theme of the corpus.
    biggest = find_themes(comments).themes[: len(expected) + 1]
    assert set(expected) <= {theme.key for theme in biggest}
    labels = {theme.label for theme in biggest}
    assert {"support", "slow", "facile à utiliser"} <= labels
    assert labels & {"price", "prices"} and labels & {"lent", "lente", "lents"}


def test_a_label_is_written_as_people_write_it_not_as_a_stem() -> None:
    comments, _ = corpus()
    analysis = find_themes(comments)
    easy = theme_named(analysis, "facil utilis")
    assert easy.label == "facile à utiliser" and easy.key == "facil utilis"
    assert all(" " in t.label or t.label.isalpha() for t in analysis.themes)


def test_near_duplicates_are_one_theme() -> None:
    comments, _ = corpus()
    analysis = find_themes(comments)
    keys = [alias for theme in analysis.themes for alias in theme.aliases]
    # "Customer support" and "support team" are support; "lenteur" is "lent";
    # "facile d'utilisation" stems like "facile à utiliser".
    assert len(keys) == len(set(keys))
    support = theme_named(analysis, "support")
    assert {"custom support", "support team"} <= set(support.aliases)
    assert "lenteur" in theme_named(analysis, "lent").aliases
    assert not any(theme.label.startswith("facile d") for theme in analysis.themes)


def test_it_shows_who_mentions_a_theme() -> None:
    comments, _ = corpus()
    analysis = find_themes(comments)
    support = stats(theme_named(analysis, "support"), analysis.categories)
    easy = stats(theme_named(analysis, "facil utilis"), analysis.categories)
    assert support["detractors"] == support["count"] and support["promoters"] == 0
    assert easy["promoters"] == easy["count"]


def test_a_comment_about_two_themes_counts_in_both() -> None:
    comments = [Comment(id=i, text="Support is slow", score=3) for i in range(1, 6)]
    comments += [Comment(id=10 + i, text="Support answered", score=9) for i in range(5)]
    comments += [Comment(id=20 + i, text="Reports are slow", score=5) for i in range(5)]
    analysis = find_themes(comments)
    assert len(theme_named(analysis, "support").docs) == 10
    assert len(theme_named(analysis, "slow").docs) == 10
    assert analysis.unthemed == 0


def test_rare_words_make_no_theme() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [f"zq{a}{b}x" for a in letters for b in letters[:2]]
    comments = [Comment(id=i, text=word, score=5) for i, word in enumerate(words)]
    comments += [Comment(id=100, text="Exports are broken", score=2)]
    assert find_themes(comments).themes == []


def test_punctuation_ends_a_phrase() -> None:
    tokens = text.clauses("Too slow. Support, please", "en")
    assert [[t.surface for t in clause] for clause in tokens] == [
        ["too", "slow"],
        ["support"],
        ["please"],
    ]


def test_french_elisions_and_accents_do_not_split_a_word() -> None:
    first = text.clauses("L\u2019interface d'administration", "fr")[0]
    second = text.clauses("l interface d administration", "fr")[0]
    assert [t.surface for t in first] == ["interface", "administration"]
    assert [t.stem for t in first] == [t.stem for t in second if not t.stop]
    assert text.clauses("réponse", "fr")[0][0].stem == text.clauses("reponse", "fr")[0][0].stem


def test_it_tells_french_from_english_when_the_answer_does_not_say() -> None:
    assert text.language_of("Le support ne répond pas et les prix sont trop élevés") == "fr"
    assert text.language_of("The support does not answer and the prices are high") == "en"
    assert text.language_of("Exports", declared="fr-CA") == "fr"
    assert text.language_of("12345") == "en"


def test_every_planted_language_has_stop_words_and_a_stemmer() -> None:
    for planted in PLANTED:
        assert planted.language in text.SUPPORTED
    assert text.clauses("the pages", "en")[0][0].stop
    assert text.clauses("pages", "en")[0][0].stem == "page"
