"""Language-aware normalisation of comments: words, stop words, stems.

Everything here runs in-process from packaged code (the Snowball stemmers of
`snowballstemmer` and the short stop-word lists below): no service to call and
no model to download, so themes work offline and in tests exactly as in
production.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import snowballstemmer

SUPPORTED = ("en", "fr", "de")
STEMMER_NAMES = {"en": "english", "fr": "french", "de": "german"}
DEFAULT_LANGUAGE = "en"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words, plus the evaluative filler every NPS comment is full of
# ("great", "bien", "merci"): they say how people feel, which the score already
# says, and would otherwise become the biggest "themes" of every survey.
STOP_WORDS = {
    "en": _words(
        """
        a about above after again against all also am an and any are aren't as at be because
        been before being below between both but by can can't cannot could couldn't did didn't
        do does doesn't doing don't down during each even ever every few for from further get
        gets getting got had hadn't has hasn't have haven't having he her here hers herself him
        himself his how i i'd i'll i'm i've if in into is isn't it it's its itself just let
        let's lot lots me more most much must my myself never no nor not now of off often on
        once only or other ought our ours ourselves out over own quite rather really same she
        should shouldn't so some still such than that that's the their theirs them themselves
        then there there's these they they're thing things this those though through to too
        under until up us very was wasn't way we we're we've were weren't what what's when
        where which while who whom why will with within without won't would wouldn't yet you
        you're you've your yours yourself yourselves
        one two many lately always sometimes anything something everything nothing bit since ago
        good great nice bad ok okay fine well love like awesome amazing excellent best better
        worse worst perfect thanks thank please overall pretty new
        """
    ),
    "fr": _words(
        """
        a à ai aie ait alors as au aucun aussi autre aux avec avez avoir avons ayant c ça car ce
        ceci cela celle celles celui ces cet cette chaque ci comme comment d dans de des du elle
        elles en encore est et été être eu eux fait faire fois font ici il ils j je jamais l la
        le les leur leurs lui m ma mais me même mes moi mon n ne ni nos notre nous on ont ou où
        par pas peu peut plus pour pourquoi qu quand que quel quelle quelles quels qui s sa sans
        se sera ses si sien son sont sous sur t ta te tes toi ton toujours tous tout toute
        toutes très trop tu un une vos votre vous y
        rien chose choses depuis derniers dernier dernières
        bien bon bonne bons bonnes super top génial excellent parfait merci mal mauvais
        vraiment assez beaucoup globalement
        """
    ),
    "de": _words(
        """
        aber alle als also am an auch auf aus bei bin bis bist da damit dann das dass dem den der
        des die dies diese dieser doch du durch ein eine einem einen einer es für hat haben ich
        ihr im in ist ja kein keine man mit nach nicht noch nur oder schon sehr sich sie sind so
        um und uns von vor war wir wie wird zu zum zur
        gut super toll schlecht danke immer wirklich
        """
    ),
}

# French and Italian-style elisions glued to the next word: l'application, qu'il.
ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'(?=\w)")
# A clause ends at punctuation: a phrase never spans "slow. Support".
CLAUSE_BREAK = re.compile('[.!?;:,()\\[\\]\n\r"«»…/\u2013\u2014]+')
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
MIN_WORD_LENGTH = 2


@dataclass(frozen=True)
class Token:
    """One word of a comment: as written (lower-cased), and its comparable stem."""

    surface: str
    stem: str
    stop: bool
    start: int
    end: int


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMER_NAMES[language])


@lru_cache(maxsize=100_000)
def stem(language: str, word: str) -> str:
    # Words repeat (Zipf): a cache spares most of the stemmer's work.
    return strip_accents(_stemmer(language).stemWord(word))


def fold(text: str) -> str:
    """Lower case, typographic apostrophes made plain, NFC: what matching reads."""
    return unicodedata.normalize("NFC", text).lower().replace("\u2019", "'").replace("`", "'")


def strip_accents(text: str) -> str:
    # Stems compare without accents: "réponse" and "reponse" are one word to a
    # reader, and many people type French without them.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def language_of(text: str, declared: str = "") -> str:
    """The comment's language: the declared one when supported, otherwise the
    supported language whose stop words the text uses most (English on a tie)."""
    code = declared.lower().split("-")[0].split("_")[0]
    if code in SUPPORTED:
        return code
    words = WORD.findall(fold(text))
    hits = {lang: sum(word in STOP_WORDS[lang] for word in words) for lang in SUPPORTED}
    best = max(SUPPORTED, key=lambda lang: (hits[lang], lang == DEFAULT_LANGUAGE))
    return best if hits[best] else DEFAULT_LANGUAGE


def clauses(text: str, language: str) -> list[list[Token]]:
    """The comment's words by clause, each with its stem and stop-word flag."""
    folded = fold(text)
    result: list[list[Token]] = []
    position = 0
    for part in CLAUSE_BREAK.split(folded):
        offset = folded.index(part, position)
        position = offset + len(part)
        tokens = [_token(match, offset, language) for match in WORD.finditer(part)]
        if tokens:
            result.append(tokens)
    return result


def _token(match: re.Match[str], offset: int, language: str) -> Token:
    word, start = match.group(), offset + match.start()
    elided = ELISION.match(word)
    if elided:
        word, start = word[elided.end() :], start + elided.end()
    if word.endswith("'s"):
        word = word[:-2]
    stop = word in STOP_WORDS[language] or len(word) < MIN_WORD_LENGTH
    return Token(
        surface=word,
        stem="" if stop else stem(language, word),
        stop=stop,
        start=start,
        end=start + len(word),
    )
