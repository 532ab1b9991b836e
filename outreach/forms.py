"""Back-office forms: one person, a CSV of people, the recurrence."""

import csv
import io
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.presets import LANGUAGE_NAMES

from .services import Recipient

MAX_ROWS = 10_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
LANGUAGE_FIELD_CHOICES = [("", gettext_lazy("Survey default")), *LANGUAGE_NAMES.items()]


class DelayField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=gettext_lazy("Send after (days)"),
            min_value=0,
            max_value=365,
            initial=0,
            required=False,
            **kwargs,
        )


class RecipientForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=LANGUAGE_FIELD_CHOICES, required=False
    )
    delay_days = DelayField()


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("Columns: email, name, language (optional), then any properties."),
    )
    delay_days = DelayField()


class RecurForm(forms.Form):
    recur_days = forms.IntegerField(
        label=gettext_lazy("Ask again after (days)"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=gettext_lazy("Empty: no recurring email."),
    )


def delay_seconds(days: int | None) -> int:
    return (days or 0) * 24 * 3600


def recipients_from_csv(upload: Any) -> tuple[list[Recipient], list[str]]:
    """Every row checked before any is used: the rows, or the errors by line."""
    if upload.size > MAX_UPLOAD_BYTES:
        return [], [_("The file is larger than 5 MB.")]
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_("The file is not UTF-8 text.")]
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    if "email" not in columns:
        return [], [_("The first line must name the columns, including “email”.")]
    reader.fieldnames = columns
    recipients: list[Recipient] = []
    errors: list[str] = []
    for line, row in enumerate(reader, start=2):
        if len(recipients) + len(errors) >= MAX_ROWS:
            return [], [_("At most %(max)s rows per file.") % {"max": MAX_ROWS}]
        try:
            recipients.append(_recipient(row))
        except ValidationError as error:
            errors.append(
                _("Line %(line)s: %(error)s") % {"line": line, "error": error.messages[0]}
            )
    if not recipients and not errors:
        errors.append(_("The file has no rows."))
    return recipients, errors


def _recipient(row: dict[str, Any]) -> Recipient:
    email = (row.get("email") or "").strip()
    validate_email(email)
    language = (row.get("language") or "").strip().lower()
    if language and language not in LANGUAGE_NAMES:
        raise ValidationError(_("unknown language “%(language)s”.") % {"language": language})
    name = (row.get("name") or "").strip()[:200]
    properties = {
        str(key): str(value).strip()
        for key, value in row.items()
        if key and key not in {"email", "name", "language"} and value not in (None, "")
    }
    return Recipient(email=email, name=name, language=language, properties=properties)
