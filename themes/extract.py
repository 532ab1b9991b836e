"""From comments to themes: key phrases by document frequency, then grouping.

1. Each comment becomes a set of candidate phrases: its content words' stems
   (unigrams) and pairs of neighbouring content words in one clause, with at
   most two stop words between them (bigrams: "facile à utiliser", "easy to
   use", "customer support").
2. A phrase counts once per comment (document frequency). Phrases in too few
   comments are noise. There is no upper bound: stop words already drop the
   words every comment has, and a theme in 80 % of comments is news.
3. Phrases are taken from the most frequent down. One whose comments mostly
   (MERGE_OVERLAP) lie inside an existing theme joins it ("customer support"
   joins "support", "load" joins "slow" when people write "slow to load");
   otherwise it starts a theme. Themes whose stems are one word's variants
   ("lent", "lenteur") are merged too.
4. A theme's comments are every comment with one of its phrases, so a comment
   about support and price counts in both. Its label is its most frequent
   phrase as people wrote it (a phrase rather than a lone word when the phrase
   carries most of it), and its key the stems of that phrase: what admins'
   renames and merges are stored against.

Pure Python on plain values: the task feeds it rows, the tests feed it
generated corpora.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from responses.scoring import category

from . import text

MIN_DF = 3
MIN_DF_SHARE = 0.01
MAX_GAP = 2
MERGE_OVERLAP = 0.6
# A phrase labels its theme instead of its lone word when it has this share of
# the word's comments: "facile à utiliser" rather than "facile".
PHRASE_LABEL_SHARE = 0.75
MAX_THEMES = 15
MAX_CANDIDATES = 400
PREFIX_MIN, PREFIX_SLACK = 4, 3


@dataclass(frozen=True)
class Comment:
    id: int
    text: str
    score: int
    language: str = ""


@dataclass
class Phrase:
    key: str
    docs: set[int]
    surfaces: Counter[str]

    @property
    def df(self) -> int:
        return len(self.docs)

    @property
    def is_bigram(self) -> bool:
        return " " in self.key

    @property
    def label(self) -> str:
        # Most common way of writing it; the shorter, then alphabetical, on a tie.
        return min(self.surfaces.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]


@dataclass
class Theme:
    """A core phrase, the phrases that contain it (counted), and the words met
    in the same comments (related: absorbed so they make no theme of their
    own, but never counted: "ticket" belongs near "support", and a comment
    with "ticket" alone is not about support)."""

    core: Phrase
    members: list[Phrase] = field(default_factory=list)
    related: list[Phrase] = field(default_factory=list)
    variants: list["Theme"] = field(default_factory=list)

    @property
    def label_phrase(self) -> Phrase:
        phrases = [self.core, *self.members]
        bigrams = [p for p in phrases if p.is_bigram and p.df >= PHRASE_LABEL_SHARE * self.core.df]
        return max(bigrams, key=lambda p: (p.df, p.key)) if bigrams else self.core

    @property
    def key(self) -> str:
        return self.label_phrase.key

    @property
    def label(self) -> str:
        return self.label_phrase.label

    @property
    def aliases(self) -> list[str]:
        """Every key the theme can be known by: renames and merges survive a
        recompute that labels it with another of its phrases."""
        keys = [self.key, self.core.key, *(p.key for p in self.members)]
        for variant in self.variants:
            keys += variant.aliases
        return list(dict.fromkeys(keys))

    @property
    def docs(self) -> set[int]:
        """The comments that use the label phrase, or one of the variants'."""
        label = self.label_phrase
        docs = set(label.docs)
        for phrase in [self.core, *self.members]:
            if _contains(phrase, label):
                docs |= phrase.docs
        for variant in self.variants:
            docs |= variant.docs
        return docs

    def take(self, phrase: Phrase) -> None:
        (self.members if _contains(phrase, self.core) else self.related).append(phrase)


def _stems(phrase: Phrase) -> set[str]:
    return set(phrase.key.split(" "))


def _contains(phrase: Phrase, part: Phrase) -> bool:
    return _stems(part) <= _stems(phrase)


@dataclass(frozen=True)
class Analysis:
    comments: int
    categories: dict[int, str]
    themes: list[Theme]

    @property
    def unthemed(self) -> int:
        themed = set().union(*(theme.docs for theme in self.themes)) if self.themes else set()
        return self.comments - len(themed)


def find_themes(comments: Iterable[Comment], *, max_themes: int = MAX_THEMES) -> Analysis:
    phrases: dict[str, Phrase] = {}
    categories: dict[int, str] = {}
    for comment in comments:
        found = _phrases_of(comment)
        if not found:
            continue
        categories[comment.id] = category(comment.score)
        for key, surface in found.items():
            phrase = phrases.setdefault(key, Phrase(key=key, docs=set(), surfaces=Counter()))
            phrase.docs.add(comment.id)
            phrase.surfaces[surface] += 1
    themes = _group(_candidates(phrases.values(), len(categories)))
    themes = _merge_variants(themes)
    themes.sort(key=lambda theme: (-len(theme.docs), theme.key))
    return Analysis(comments=len(categories), categories=categories, themes=themes[:max_themes])


def _phrases_of(comment: Comment) -> dict[str, str]:
    """Each candidate phrase of one comment (stem key → surface form)."""
    language = text.language_of(comment.text, comment.language)
    folded = text.fold(comment.text)
    found: dict[str, str] = {}
    for clause in text.clauses(comment.text, language):
        content = [(i, token) for i, token in enumerate(clause) if not token.stop]
        for n, (i, token) in enumerate(content):
            found.setdefault(token.stem, token.surface)
            if n + 1 < len(content):
                j, after = content[n + 1]
                if j - i - 1 <= MAX_GAP and after.stem != token.stem:
                    found.setdefault(f"{token.stem} {after.stem}", folded[token.start : after.end])
    return found


def _candidates(phrases: Iterable[Phrase], documents: int) -> list[Phrase]:
    low = max(MIN_DF, math.ceil(documents * MIN_DF_SHARE))
    kept = [phrase for phrase in phrases if phrase.df >= low]
    # On a tie, a word before a phrase and a longer (more specific) word first.
    kept.sort(key=lambda p: (-p.df, p.is_bigram, -len(p.key), p.key))
    return kept[:MAX_CANDIDATES]


def _group(candidates: Sequence[Phrase]) -> list[Theme]:
    themes: list[Theme] = []
    for phrase in candidates:
        home = _best_home(phrase, themes)
        if home is not None:
            home.take(phrase)
        else:
            themes.append(Theme(core=phrase))
    return themes


def _best_home(phrase: Phrase, themes: Sequence[Theme]) -> Theme | None:
    best, best_overlap = None, MERGE_OVERLAP
    for theme in themes:
        # Against the core's comments: a theme does not grow by what it absorbed.
        overlap = len(phrase.docs & theme.core.docs) / min(phrase.df, theme.core.df)
        if overlap >= best_overlap and (best is None or overlap > best_overlap):
            best, best_overlap = theme, overlap
    return best


def _merge_variants(themes: list[Theme]) -> list[Theme]:
    """One word's variants the stemmer keeps apart ("lent" / "lenteur",
    "slow" / "slowness") are one theme."""
    kept: list[Theme] = []
    for theme in sorted(themes, key=lambda t: (len(t.core.key), -t.core.df)):
        twin = next((other for other in kept if _variants(other.core.key, theme.core.key)), None)
        if twin is None:
            kept.append(theme)
        else:
            twin.variants.append(theme)
    return kept


def _variants(short: str, long: str) -> bool:
    if " " in short or " " in long or len(short) < PREFIX_MIN:
        return False
    return long.startswith(short) and len(long) - len(short) <= PREFIX_SLACK


def stats(theme: Theme, categories: dict[int, str]) -> dict[str, int]:
    counts: defaultdict[str, int] = defaultdict(int)
    for doc in theme.docs:
        counts[categories[doc]] += 1
    return {
        "count": len(theme.docs),
        "detractors": counts["detractor"],
        "passives": counts["passive"],
        "promoters": counts["promoter"],
    }
