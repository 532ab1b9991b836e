"""Default texts per survey kind and the widget's fixed labels, in every
language the widget speaks.

Placeholders: `{product}` is the survey's product name (the organization name
when it has none), `{company}` is the organization name.
"""

from __future__ import annotations

import copy
from typing import Final

LANGUAGES: Final = ("en", "fr", "de")
LANGUAGE_NAMES: Final = {"en": "English", "fr": "Français", "de": "Deutsch"}

# Keys of one language's texts. Per-category follow-ups are optional: an empty
# or missing one falls back to the generic `follow_up`.
REQUIRED_KEYS: Final = ("question", "follow_up", "thank_you")
CATEGORY_KEYS: Final = {
    "detractor": "follow_up_detractor",
    "passive": "follow_up_passive",
    "promoter": "follow_up_promoter",
}
TEXT_KEYS: Final = (*REQUIRED_KEYS, *CATEGORY_KEYS.values())
PLACEHOLDERS: Final = ("product", "company")

NBSP = "\u00a0"


def _fr(text: str) -> str:
    """French typography: a non-breaking space before ? and ! keeps them on the line."""
    return text.replace(" ?", f"{NBSP}?").replace(" !", f"{NBSP}!")


_FOLLOW_UP = {
    "en": "What is the main reason for your score?",
    "fr": _fr("Quelle est la principale raison de votre note ?"),
    "de": "Was ist der wichtigste Grund für Ihre Bewertung?",
}

_CUSTOMER = {
    "en": {
        "question": "How likely are you to recommend {product} to a friend or colleague?",
        "follow_up": _FOLLOW_UP["en"],
        "follow_up_detractor": "We're sorry to hear that. What disappointed you most?",
        "follow_up_passive": "What would make {product} a 10 for you?",
        "follow_up_promoter": "Great to hear! What do you like most about {product}?",
        "thank_you": "Thank you for your feedback!",
    },
    "fr": {
        "question": _fr(
            "Quelle est la probabilité que vous recommandiez {product} à un ami ou un collègue ?"
        ),
        "follow_up": _FOLLOW_UP["fr"],
        "follow_up_detractor": _fr("Nous en sommes désolés. Qu'est-ce qui vous a le plus déçu ?"),
        "follow_up_passive": _fr("Que faudrait-il pour que {product} mérite un 10 ?"),
        "follow_up_promoter": _fr("Merci ! Qu'appréciez-vous le plus dans {product} ?"),
        "thank_you": _fr("Merci pour votre avis !"),
    },
    "de": {
        "question": (
            "Wie wahrscheinlich ist es, dass Sie {product} einem Freund oder Kollegen empfehlen?"
        ),
        "follow_up": _FOLLOW_UP["de"],
        "follow_up_detractor": "Das tut uns leid. Was hat Sie am meisten enttäuscht?",
        "follow_up_passive": "Was würde {product} für Sie zu einer 10 machen?",
        "follow_up_promoter": "Das freut uns! Was gefällt Ihnen an {product} am besten?",
        "thank_you": "Vielen Dank für Ihr Feedback!",
    },
}

_EMPLOYEE = {
    "en": {
        "question": "How likely are you to recommend {company} as a place to work?",
        "follow_up": _FOLLOW_UP["en"],
        "follow_up_detractor": "What would most improve working at {company}?",
        "follow_up_passive": "What would make {company} a 10 as a workplace?",
        "follow_up_promoter": "What do you value most about working at {company}?",
        "thank_you": "Thank you! Your answer helps make {company} a better place to work.",
    },
    "fr": {
        "question": _fr(
            "Quelle est la probabilité que vous recommandiez {company} comme lieu de travail "
            "à un ami ou un proche ?"
        ),
        "follow_up": _FOLLOW_UP["fr"],
        "follow_up_detractor": _fr(
            "Qu'est-ce qui améliorerait le plus le travail chez {company} ?"
        ),
        "follow_up_passive": _fr(
            "Que faudrait-il pour que {company} mérite un 10 comme employeur ?"
        ),
        "follow_up_promoter": _fr("Qu'appréciez-vous le plus dans votre travail chez {company} ?"),
        "thank_you": _fr(
            "Merci ! Votre réponse aide à faire de {company} un meilleur lieu de travail."
        ),
    },
    "de": {
        "question": (
            "Wie wahrscheinlich ist es, dass Sie {company} als Arbeitgeber einem Freund "
            "oder Bekannten empfehlen?"
        ),
        "follow_up": _FOLLOW_UP["de"],
        "follow_up_detractor": "Was würde die Arbeit bei {company} am meisten verbessern?",
        "follow_up_passive": "Was würde {company} als Arbeitgeber zu einer 10 machen?",
        "follow_up_promoter": "Was schätzen Sie an der Arbeit bei {company} am meisten?",
        "thank_you": (
            "Danke! Ihre Antwort hilft, {company} zu einem besseren Arbeitsplatz zu machen."
        ),
    },
}

_PARTNER = {
    "en": {
        "question": "How likely are you to recommend partnering with {company} to a peer?",
        "follow_up": _FOLLOW_UP["en"],
        "follow_up_detractor": "What should we improve in our partnership?",
        "follow_up_passive": "What would make our partnership a 10?",
        "follow_up_promoter": "What do you value most in working with {company}?",
        "thank_you": "Thank you for helping us be a better partner!",
    },
    "fr": {
        "question": _fr(
            "Quelle est la probabilité que vous recommandiez un partenariat avec {company} "
            "à un pair ?"
        ),
        "follow_up": _FOLLOW_UP["fr"],
        "follow_up_detractor": _fr("Que devrions-nous améliorer dans notre partenariat ?"),
        "follow_up_passive": _fr("Que faudrait-il pour que notre partenariat mérite un 10 ?"),
        "follow_up_promoter": _fr(
            "Qu'appréciez-vous le plus dans votre collaboration avec {company} ?"
        ),
        "thank_you": _fr("Merci de nous aider à être un meilleur partenaire !"),
    },
    "de": {
        "question": (
            "Wie wahrscheinlich ist es, dass Sie einem Kollegen eine Partnerschaft "
            "mit {company} empfehlen?"
        ),
        "follow_up": _FOLLOW_UP["de"],
        "follow_up_detractor": "Was sollten wir an unserer Partnerschaft verbessern?",
        "follow_up_passive": "Was würde unsere Partnerschaft zu einer 10 machen?",
        "follow_up_promoter": "Was schätzen Sie an der Zusammenarbeit mit {company} am meisten?",
        "thank_you": "Danke, dass Sie uns helfen, ein besserer Partner zu werden!",
    },
}

# A custom survey starts from the classic question and one follow-up for everyone.
_CUSTOM = {
    language: {key: texts[key] for key in REQUIRED_KEYS} for language, texts in _CUSTOMER.items()
}

PRESETS: Final = {
    "customer": _CUSTOMER,
    "employee": _EMPLOYEE,
    "partner": _PARTNER,
    "custom": _CUSTOM,
}

# The widget's fixed wording, not editable per survey.
LABELS: Final = {
    "en": {
        "scale_low": "Not at all likely",
        "scale_high": "Extremely likely",
        "not_now": "Not now",
        "never": "Don't ask me again",
        "send": "Send",
        "skip": "Skip",
        "close": "Close",
    },
    "fr": {
        "scale_low": "Pas du tout probable",
        "scale_high": "Extrêmement probable",
        "not_now": "Pas maintenant",
        "never": "Ne plus me demander",
        "send": "Envoyer",
        "skip": "Passer",
        "close": "Fermer",
    },
    "de": {
        "scale_low": "Überhaupt nicht wahrscheinlich",
        "scale_high": "Äußerst wahrscheinlich",
        "not_now": "Nicht jetzt",
        "never": "Nicht mehr fragen",
        "send": "Senden",
        "skip": "Überspringen",
        "close": "Schließen",
    },
}


def preset_texts(kind: str) -> dict[str, dict[str, str]]:
    """A fresh copy of the kind's default texts, safe to edit."""
    return copy.deepcopy(PRESETS.get(kind, _CUSTOM))


def preset_text(kind: str, language: str, key: str) -> str:
    """One default text, read in place (the widget reads several per request)."""
    return PRESETS.get(kind, _CUSTOM).get(language, {}).get(key, "")
