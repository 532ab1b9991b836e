"""What a chat message says, and its Slack and Teams payloads.

Answers come from the public, so every piece of respondent text is escaped
for the chat that shows it: Slack's mrkdwn would otherwise turn `<!channel>`
into a mention or `<http://x|here>` into a disguised link; Teams gets such
text in RichTextBlock TextRuns, which render no Markdown at all.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from responses.scoring import category

from .models import Kind

MAX_COMMENT = 2500  # Slack refuses a section over 3000 characters
MAX_FIELD = 500
MAX_HEADER = 150
MINUS = "\N{MINUS SIGN}"


@dataclass(frozen=True)
class Answer:
    """One answer as a chat message shows it."""

    score: int
    comment: str
    survey: str
    respondent: list[tuple[str, str]]  # (label, value): name, email, external id
    link: str

    @property
    def category(self) -> str:
        return category(self.score)


@dataclass(frozen=True)
class Quote:
    score: int
    comment: str
    link: str


@dataclass(frozen=True)
class Digest:
    organization: str
    period: str  # e.g. "3 Feb - 9 Feb 2026", with an en dash
    nps: float | None
    change: str  # in words, e.g. "+6, not significant"
    responses: int
    split: str  # "40 % promoters · 35 % passives · 25 % detractors"
    detractor_comments: list[Quote] = field(default_factory=list)
    promoter_comments: list[Quote] = field(default_factory=list)
    link: str = ""


def signed(nps: float | None) -> str:
    if nps is None:
        return "—"
    points = round(nps)
    return f"+{points}" if points > 0 else f"{MINUS}{-points}" if points < 0 else "0"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _headline(answer: Answer) -> str:
    names = {
        "detractor": _("Detractor"),
        "passive": _("Passive"),
        "promoter": _("Promoter"),
    }
    return f"{names[answer.category]} · {answer.score}/10 · {answer.survey}"


# Slack -----------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters; everything else reads as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_quote(text: str) -> str:
    return "\n".join("> " + slack_escape(line) for line in text.splitlines() or [""])


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _button(label: str, url: str) -> dict[str, Any]:
    return {"type": "actions", "elements": [{"type": "button", "text": _plain(label), "url": url}]}


def slack_answer(answer: Answer) -> dict[str, Any]:
    comment = answer.comment.strip()
    body = _slack_quote(_clip(comment, MAX_COMMENT)) if comment else "_" + _("No comment.") + "_"
    people = [
        _mrkdwn(f"*{slack_escape(label)}*\n{slack_escape(_clip(value, MAX_FIELD))}")
        for label, value in answer.respondent
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_clip(_headline(answer), MAX_HEADER))},
        {"type": "section", "text": _mrkdwn(body)},
    ]
    if people:
        blocks.append({"type": "section", "fields": people})
    blocks.append(_button(_("Open the follow-up page"), answer.link))
    # `text` is what notifications and screen readers show.
    return {"text": slack_escape(_headline(answer)), "blocks": blocks}


def slack_digest(digest: Digest) -> dict[str, Any]:
    title = _("Weekly NPS of %(organization)s") % {"organization": digest.organization}
    # Labels outside the f-strings, where xgettext can find them.
    nps, change, responses, split, open_ = (
        _("NPS"),
        pgettext("weekly digest", "Change"),
        _("Responses"),
        _("Split"),
        _("open"),
    )
    numbers = [
        _mrkdwn(f"*{nps}*\n{signed(digest.nps)}"),
        _mrkdwn(f"*{change}*\n{slack_escape(digest.change)}"),
        _mrkdwn(f"*{responses}*\n{digest.responses}"),
        _mrkdwn(f"*{split}*\n{slack_escape(digest.split)}"),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_clip(title, MAX_HEADER))},
        {"type": "context", "elements": [_mrkdwn(slack_escape(digest.period))]},
        {"type": "section", "fields": numbers},
    ]
    for heading, quotes in (
        (_("Recent detractor comments"), digest.detractor_comments),
        (_("Promoter comments"), digest.promoter_comments),
    ):
        if quotes:
            lines = [f"*{heading}*"] + [
                f"*{q.score}/10* <{q.link}|{open_}>\n{_slack_quote(_clip(q.comment, 500))}"
                for q in quotes
            ]
            blocks.append({"type": "section", "text": _mrkdwn("\n".join(lines))})
    blocks.append(_button(_("Open the overview"), digest.link))
    text = f"{title}: {nps} {signed(digest.nps)} ({digest.change}), {digest.responses}"
    return {"text": slack_escape(text), "blocks": blocks}


# Microsoft Teams ---------------------------------------------------------------


def teams_text(text: str) -> str:
    """TextRuns render no Markdown; only the `{{DATE(…)}}` functions remain to defuse."""
    return text.replace("{{", "{\u200b{").replace("}}", "}\u200b}")


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": teams_text(text), **style}


def _rich(*runs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": list(runs), **extra}


def _card(body: list[dict[str, Any]], link_label: str, link: str) -> dict[str, Any]:
    """An Adaptive Card in the envelope both Teams connectors and Workflows accept."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
        "actions": [{**_open(link), "title": link_label}],
    }
    attachment = {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": card,
    }
    return {"type": "message", "attachments": [attachment]}


def _open(url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "url": url}


def _facts(rows: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [_rich(_run(label + ": ", weight="Bolder"), _run(value)) for label, value in rows]


def teams_answer(answer: Answer) -> dict[str, Any]:
    comment = answer.comment.strip()
    body: list[dict[str, Any]] = [
        _rich(_run(_clip(_headline(answer), MAX_HEADER), size="Large", weight="Bolder")),
        _rich(
            _run(_clip(comment, MAX_COMMENT)) if comment else _run(_("No comment."), italic=True)
        ),
        *_facts([(label, _clip(value, MAX_FIELD)) for label, value in answer.respondent]),
    ]
    return _card(body, _("Open the follow-up page"), answer.link)


def teams_digest(digest: Digest) -> dict[str, Any]:
    title = _("Weekly NPS of %(organization)s") % {"organization": digest.organization}
    body: list[dict[str, Any]] = [
        _rich(_run(_clip(title, MAX_HEADER), size="Large", weight="Bolder")),
        _rich(_run(digest.period, isSubtle=True)),
        *_facts(
            [
                (_("NPS"), signed(digest.nps)),
                (pgettext("weekly digest", "Change"), digest.change),
                (_("Responses"), str(digest.responses)),
                (_("Split"), digest.split),
            ]
        ),
    ]
    for heading, quotes in (
        (_("Recent detractor comments"), digest.detractor_comments),
        (_("Promoter comments"), digest.promoter_comments),
    ):
        if quotes:
            body.append(_rich(_run(heading, weight="Bolder"), separator=True))
            body += [
                _rich(
                    _run(f"{q.score}/10 ", weight="Bolder", selectAction=_open(q.link)),
                    _run(_clip(q.comment, 500)),
                )
                for q in quotes
            ]
    return _card(body, _("Open the overview"), digest.link)


def answer_payload(kind: str, answer: Answer) -> dict[str, Any]:
    return slack_answer(answer) if kind == Kind.SLACK else teams_answer(answer)


def digest_payload(kind: str, digest: Digest) -> dict[str, Any]:
    return slack_digest(digest) if kind == Kind.SLACK else teams_digest(digest)


def test_payload(kind: str, *, organization: str, link: str) -> dict[str, Any]:
    text = _("Test message from NPS for %(organization)s: this channel will get alerts.") % {
        "organization": organization
    }
    if kind == Kind.SLACK:
        return {
            "text": slack_escape(text),
            "blocks": [
                {"type": "section", "text": _mrkdwn(slack_escape(text))},
                _button(_("Open the alert settings"), link),
            ],
        }
    return _card([_rich(_run(text))], _("Open the alert settings"), link)
