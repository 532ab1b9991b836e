"""What the respondent reads when asked for consent, in their language.

The statement is built here, on the server, both for showing and for storing,
so the stored consent is exactly the text the person agreed to.
"""

from django.utils import translation
from django.utils.translation import gettext as _


def _in(language: str) -> str:
    # German and other widget languages without a catalogue read English.
    code = language[:2].lower()
    return code if code in ("en", "fr") else "en"


def statement(*, company: str, language: str) -> str:
    with translation.override(_in(language)):
        text = _(
            "I agree that %(company)s may publish my comment above, with my name and, "
            "if I give them, my company and job title, on its websites and in its "
            "marketing. I can withdraw this consent at any time with the link I will be given."
        ) % {"company": company}
    return text


def consent_record(*, statement_text: str, quote: str, name: str, company: str, title: str) -> str:
    """The whole text consented to: the statement, the words, the attribution."""
    attribution = ", ".join(part for part in (name, title, company) if part)
    return f"“{quote}”\n— {attribution}\n\n{statement_text}"


def widget_labels(*, language: str) -> dict[str, str]:
    with translation.override(_in(language)):
        return {
            "ask": _("May we quote you?"),
            "name": _("Your name"),
            "company": _("Company (optional)"),
            "title": _("Job title (optional)"),
            "publish": _("Yes, publish it"),
            "decline": _("No, thanks"),
            "done": _("Thank you! You can withdraw your consent at any time:"),
            "withdraw": _("withdraw my consent"),
        }
