"""From comments to themes: key phrases by document frequency, then grouping.

1. Each comment becomes a set of candidate phrases: its content words' stems
   (unigrams) and pairs of neighbouring content words in one clause, with at
   most two stop words between them (bigrams: "facile à utiliser", "easy to
   use", "customer support").
2. A phrase counts once per comment (document frequency). Phrases in fewer
   than MIN_DF comments (or 1 %) are noise. There is no upper bound: stop
   words already drop the words every comment has, and a theme in 80 % of
   comments is news.
3. A bigram that carries most uses of one of its words (PHRASE_LABEL_SHARE)
   stands for it: "facile" and "utiliser" are not themes of their own when
   people write "facile à utiliser".
4. Phrases are taken from the most frequent down. One that contains a
   theme's word and whose comments mostly (MERGE_OVERLAP) are the theme's
   joins it ("customer support" in "support"); one clearly rarer whose
   comments nearly all are the theme's is a related word ("ticket" beside
   "support", shown but not counted); any other starts a theme.
5. Near-duplicates merge: themes whose words are one word's variants ("lent",
   "lenteur"), and themes made of mostly the same comments (Jaccard).

A theme's comments are those using its phrase (or a merged variant's), so a
comment about support and price counts in both. Its label is its phrase as
people most often wrote it, and its key the phrase's stems ("facil utilis"):
what admins' renames and merges are stored against, with the keys of what it
absorbed as aliases, so decisions survive a recompute.

Pure Python on plain values: the task feeds it rows, the tests generated
corpora.
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
PHRASE_LABEL_SHARE = 0.75
MERGE_OVERLAP = 0.6
RELATED_MAX_SHARE, RELATED_OVERLAP = 0.5, 0.8
DUPLICATE_JACCARD = 0.7
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
    """A core phrase; the phrases it stands for (absorbed unigrams, longer
    phrases containing it: aliases, their comments are the core's anyway);
    words met in the same comments (related: shown, never counted: a comment
    with "ticket" alone is not about support); merged near-duplicates."""

    core: Phrase
    members: list[Phrase] = field(default_factory=list)
    related: list[Phrase] = field(default_factory=list)
    variants: list["Theme"] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.core.key

    @property
    def label(self) -> str:
        return self.core.label

    @property
    def aliases(self) -> list[str]:
        """Every key the theme can be known by: renames and merges survive a
        recompute that labels it with another of its phrases."""
        keys = [self.key, *(p.key for p in self.members)]
        for variant in self.variants:
            keys += variant.aliases
        return list(dict.fromkeys(keys))

    @property
    def docs(self) -> set[int]:
        docs = set(self.core.docs)
        for variant in self.variants:
            docs |= variant.docs
        return docs


def _stems(phrase: Phrase) -> set[str]:
    return set(phrase.key.split(" "))


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
    candidates, stands_for = _stand_for(_candidates(phrases.values(), len(categories)))
    themes = _merge_duplicates(_merge_variants(_group(candidates, stands_for)))
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


def _stand_for(candidates: list[Phrase]) -> tuple[list[Phrase], dict[str, list[Phrase]]]:
    """Drop the words a bigram carries most uses of; say which bigram took each."""
    by_key = {phrase.key: phrase for phrase in candidates}
    taken: dict[str, list[Phrase]] = {}
    gone: set[str] = set()
    for bigram in (p for p in candidates if p.is_bigram):
        for word in bigram.key.split(" "):
            unigram = by_key.get(word)
            if unigram and word not in gone and bigram.df >= PHRASE_LABEL_SHARE * unigram.df:
                gone.add(word)
                taken.setdefault(bigram.key, []).append(unigram)
    kept = [p for p in candidates if p.key not in gone]
    return kept, taken


def _group(candidates: Sequence[Phrase], stands_for: dict[str, list[Phrase]]) -> list[Theme]:
    themes: list[Theme] = []
    for phrase in candidates:
        # A phrase that stands for words is never a mere related word: they
        # would vanish with it ("application lente" took "lent").
        home = _best_home(phrase, themes, related=phrase.key not in stands_for)
        if home is None:
            themes.append(Theme(core=phrase, members=list(stands_for.get(phrase.key, []))))
        elif _stems(phrase) & _stems(home.core):
            home.members.append(phrase)
        else:
            home.related.append(phrase)
    return themes


def _best_home(phrase: Phrase, themes: Sequence[Theme], *, related: bool) -> Theme | None:
    best, best_overlap = None, 0.0
    for theme in themes:
        # Against the core's comments: a theme does not grow by what it absorbed.
        overlap = len(phrase.docs & theme.core.docs) / phrase.df
        if _stems(phrase) & _stems(theme.core):
            fits = overlap >= MERGE_OVERLAP
        else:
            small = phrase.df <= RELATED_MAX_SHARE * theme.core.df
            fits = related and small and overlap >= RELATED_OVERLAP
        if fits and overlap > best_overlap:
            best, best_overlap = theme, overlap
    return best


def _merge_duplicates(themes: list[Theme]) -> list[Theme]:
    """Themes that are mostly the same comments ("facile" and "utiliser", both
    from "facile à utiliser") are one."""
    kept: list[Theme] = []
    for theme in sorted(themes, key=lambda t: -t.core.df):
        docs = theme.docs
        twin = next(
            (other for other in kept if _jaccard(other.docs, docs) >= DUPLICATE_JACCARD), None
        )
        if twin is None:
            kept.append(theme)
        else:
            twin.variants.append(theme)
    return kept


def _jaccard(first: set[int], second: set[int]) -> float:
    return len(first & second) / len(first | second)


def _merge_variants(themes: list[Theme]) -> list[Theme]:
    """One word's variants the stemmer keeps apart ("lent" / "lenteur",
    "slow" / "slowness") are one theme."""
    kept: list[Theme] = []
    for theme in sorted(themes, key=lambda t: -t.core.df):
        twin = next((other for other in kept if _related_words(other, theme)), None)
        if twin is None:
            kept.append(theme)
        else:
            twin.variants.append(theme)
    return kept


def _words(theme: Theme) -> set[str]:
    """The single words a theme stands for: its core's, or those its phrase absorbed."""
    phrases = [theme.core, *theme.members]
    return {p.key for p in phrases if not p.is_bigram} or {theme.core.key.split(" ")[0]}


def _related_words(first: Theme, second: Theme) -> bool:
    return any(_variants(*sorted((a, b), key=len)) for a in _words(first) for b in _words(second))


def _variants(short: str, long: str) -> bool:
    if len(short) < PREFIX_MIN or short == long:
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
