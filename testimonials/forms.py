from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Status


class EditForm(forms.Form):
    quote = forms.CharField(label=_("Quote"), widget=forms.Textarea(attrs={"rows": 4}))
    name = forms.CharField(label=_("Name"), max_length=100)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    company = forms.CharField(label=_("Company"), max_length=100, required=False)


class ReviewForm(forms.Form):
    status = forms.ChoiceField(choices=[(Status.APPROVED, ""), (Status.REJECTED, "")])


class WallForm(forms.Form):
    heading = forms.CharField(label=_("Heading"), max_length=120, required=False)
    accent_color = forms.CharField(label=_("Accent colour"), max_length=7)
    allowed_origins = forms.CharField(
        label=_("Allowed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, like https://www.example.com: the sites that show the wall."),
    )
