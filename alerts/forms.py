"""The destination form: where alerts go, what they carry, when the digest comes."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations import outbound
from surveys.models import Survey

from .models import WEEKDAYS, Destination, Kind, Scope

HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class DestinationForm(forms.Form):
    # A plain form: a model form would list surveys at import, outside any tenant.
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("e.g. #customer-feedback"))
    kind = forms.ChoiceField(label=_("Chat"), choices=Kind.choices)
    url = forms.URLField(
        label=_("Incoming-webhook URL"),
        max_length=1000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.slack.com/services/…"}),
    )
    scope = forms.ChoiceField(label=_("Send"), choices=Scope.choices)
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.unscoped().none(),
        required=False,
        empty_label=_("All surveys"),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    digest_enabled = forms.BooleanField(label=_("Weekly digest"), required=False, initial=True)
    digest_weekday = forms.TypedChoiceField(
        label=_("Digest day"), choices=WEEKDAYS, coerce=int, initial=0
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Digest hour"), choices=HOURS, coerce=int, initial=9
    )

    def __init__(self, *args: Any, instance: Destination | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {name: getattr(instance, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        # Built per request: the tenant context must be active to list surveys.
        self.fields["survey"].queryset = Survey.objects.all()  # type: ignore[attr-defined]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            outbound.check_url(url)
        except outbound.UnsafeUrl as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url
