"""The webhook form of the back office; the rules live in the services."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey

from .models import Event, Webhook


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Public HTTPS address that receives a POST for each event."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        initial=Event.values,
        widget=forms.CheckboxSelectMultiple,
    )
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.unscoped().none(),
        required=False,
        empty_label=_("All surveys"),
        help_text=_("Responses of this survey only; unsubscribes are always sent."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Scoped by the tenant context: only this organization's surveys.
        self.fields["survey"].queryset = Survey.objects.order_by("name")  # type: ignore[attr-defined]

    @classmethod
    def of(cls, webhook: Webhook) -> "WebhookForm":
        return cls(
            initial={
                "url": webhook.url,
                "events": webhook.events,
                "survey": webhook.survey_id,
                "description": webhook.description,
            }
        )
