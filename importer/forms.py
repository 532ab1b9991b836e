from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def max_upload_bytes() -> int:
    return int(settings.IMPORT_MAX_UPLOAD_MB) * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Delighted export (CSV)"),
        help_text=gettext_lazy(
            "Delighted's response export: Score and Created At are required; "
            "Comment, Email, Name, Tags, Notes and any other column are kept."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB: split it and import each part.")
                % {"max": settings.IMPORT_MAX_UPLOAD_MB}
            )
        return upload
