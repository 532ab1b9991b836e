"""The trend page's own parameters, beside the shared filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .filters import FixedSelect

GRANULARITY_CHOICES = [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))]
ROLLING_CHOICES = [
    ("", _("Off")),
    ("7", _("7 days")),
    ("30", _("30 days")),
    ("90", _("90 days")),
]


class TrendForm(forms.Form):
    granularity = forms.ChoiceField(
        choices=GRANULARITY_CHOICES,
        required=False,
        label=_("Points per"),
        widget=FixedSelect,
        error_messages={"invalid_choice": _("Choose day, week or month.")},
    )
    rolling = forms.ChoiceField(
        choices=ROLLING_CHOICES,
        required=False,
        label=_("Rolling window"),
        widget=FixedSelect,
        error_messages={"invalid_choice": _("Choose off, 7, 30 or 90 days.")},
    )

    def rolling_days(self) -> int | None:
        value = self.cleaned_data.get("rolling")
        return int(value) if value else None

    def messages(self) -> list[str]:
        return [
            f"{self.fields[name].label}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        ]
