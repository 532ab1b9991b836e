from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from responses.models import FollowUpStatus

from .selectors import INBOX_TABS, InboxParams
from .services import MAX_NOTE_LENGTH

INBOX_TAB_LABELS = {
    "open": _("Open"),
    "new": _("New"),
    "contacted": _("Contacted"),
    "resolved": _("Resolved"),
    "all": _("All"),
}


class InboxForm(forms.Form):
    """The inbox's own parameters, beside the shared filters in the same URL."""

    status = forms.ChoiceField(
        choices=[(tab, INBOX_TAB_LABELS[tab]) for tab in INBOX_TABS], required=False
    )
    assignee = forms.RegexField(
        regex=r"^(me|none|[0-9]{1,18})$",
        required=False,
        error_messages={"invalid": _("Choose me, unassigned or a member.")},
    )
    include_passives = forms.BooleanField(required=False, label=_("Include passives"))

    def params(self) -> InboxParams:
        data: dict[str, Any] = self.cleaned_data
        return InboxParams(
            status=data.get("status") or "open",
            assignee=data.get("assignee") or "",
            include_passives=bool(data.get("include_passives")),
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=FollowUpStatus.choices, label=_("Status"))


class AssigneeForm(forms.Form):
    assignee = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Assignee"),
        error_messages={"invalid": _("Choose a member of this organization.")},
    )


class TagsForm(forms.Form):
    tags = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Tags"),
        help_text=_("Comma separated, e.g. pricing, onboarding."),
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=MAX_NOTE_LENGTH,
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
