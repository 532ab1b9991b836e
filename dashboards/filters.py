"""The back office's filters: one form read from the URL, one way to apply it.

Filters live in the query string so a view is shareable and back-button safe.
Every page and the API read them through `parse_filters` and narrow rows with
`Filters.apply`, so a number means the same thing wherever it is shown.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import get_default_renderer
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from responses.models import Channel
from surveys.models import Survey

RANGE_CHOICES = [
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 365 days")),
    ("custom", _("Custom")),
]
DEFAULT_RANGE = "90"
CATEGORY_SCORES = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
CATEGORY_CHOICES = [
    ("", _("All categories")),
    ("promoter", _("Promoters")),
    ("passive", _("Passives")),
    ("detractor", _("Detractors")),
]
MAX_CUSTOM_DAYS = 3 * 366


class FilterError(ValueError):
    """A filter in the URL is invalid; `errors` maps each parameter to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))


@dataclass(frozen=True)
class Filters:
    """What the rows are narrowed to. `start`/`end` are aware datetimes, end exclusive."""

    start: datetime
    end: datetime
    range: str = DEFAULT_RANGE
    survey: Survey | None = None
    channel: str = ""
    category: str = ""
    score: int | None = None
    language: str = ""
    traits: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    q: str = ""

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start) / timedelta(days=1)))

    def previous(self) -> "Filters":
        """The same filters over the same number of days just before.

        Counted in local days, not hours, so a period spanning a daylight-saving
        change still starts the previous one at local midnight.
        """
        first = self.local_start - timedelta(days=(self.local_last - self.local_start).days + 1)
        start = datetime.combine(first, time.min, tzinfo=self.start.tzinfo)
        return replace(self, start=start, end=self.start)

    def apply(self, responses: QuerySet[Any], *, prefix: str = "") -> QuerySet[Any]:
        """Narrow a Response queryset (or one related to it through `prefix`)."""
        return responses.filter(self.q_object(prefix=prefix))

    def q_object(self, *, prefix: str = "") -> Q:
        condition = Q(**{f"{prefix}created_at__gte": self.start}) & Q(
            **{f"{prefix}created_at__lt": self.end}
        )
        return condition & self.q_without_dates(prefix=prefix)

    def q_without_dates(self, *, prefix: str = "") -> Q:
        """Every filter but the date range: for trend series over their own range."""
        condition = Q()
        if self.survey is not None:
            condition &= Q(**{f"{prefix}survey": self.survey})
        if self.channel:
            condition &= Q(**{f"{prefix}channel": self.channel})
        if self.category:
            low, high = CATEGORY_SCORES[self.category]
            condition &= Q(**{f"{prefix}score__gte": low, f"{prefix}score__lte": high})
        if self.score is not None:
            condition &= Q(**{f"{prefix}score": self.score})
        if self.language:
            condition &= Q(**{f"{prefix}language": self.language})
        for key, value in self.traits:
            # The key is taken literally (never as a lookup name) and compared as
            # text, so plan:pro and seats:3 both read naturally.
            trait = KeyTextTransform(key, f"{prefix}respondent__traits")
            condition &= Q(Exact(trait, value))
        if self.q:
            condition &= Q(**{f"{prefix}comment__icontains": self.q})
        return condition

    def query_items(self) -> list[tuple[str, str]]:
        """The filters as URL parameters: what `parse_filters` reads back."""
        items: list[tuple[str, str]] = [("range", self.range)]
        if self.range == "custom":
            items += [("from", self.local_start.isoformat()), ("to", self.local_last.isoformat())]
        for name, value in (
            ("survey", self.survey.pk if self.survey else ""),
            ("channel", self.channel),
            ("category", self.category),
            ("score", "" if self.score is None else self.score),
            ("language", self.language),
        ):
            if value != "":
                items.append((name, str(value)))
        items += [("trait", f"{key}:{value}") for key, value in self.traits]
        if self.q:
            items.append(("q", self.q))
        return items

    def querystring(self, **overrides: Any) -> str:
        """`?…` for these filters, with some parameters replaced (None drops one)."""
        items = [(k, v) for k, v in self.query_items() if k not in overrides]
        items += [(k, str(v)) for k, v in overrides.items() if v is not None]
        return "?" + urlencode(items)

    @property
    def local_start(self) -> date:
        return timezone.localtime(self.start, self.start.tzinfo).date()

    @property
    def local_last(self) -> date:
        """The last day included, in the organization's time zone."""
        return timezone.localtime(self.end, self.end.tzinfo).date() - timedelta(days=1)


_SELECTS: dict[tuple[Any, ...], str] = {}
_SELECTS_KEPT = 512


class FixedSelect(forms.Select):
    """A select of fixed choices whose HTML is remembered by everything it is
    drawn from: name, value, attributes and the choices' (translated) text.
    Drawn through Django's widget templates it cost about a millisecond, and
    the filter bar shows several on every page."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        choices = [(str(key), label) for key, label in self.choices]
        plain = value is None or isinstance(value, str)
        default = renderer is None or renderer is get_default_renderer()
        if not plain or not default or any(isinstance(label, list | tuple) for _, label in choices):
            return super().render(name, value, attrs, renderer)
        merged = self.build_attrs(self.attrs, attrs)
        key: tuple[Any, ...] = (name, value, self.is_required, tuple(sorted(merged.items())))
        key += tuple((choice, str(label)) for choice, label in choices)
        try:
            drawn = _SELECTS.get(key)
        except TypeError:  # an attribute that cannot be a key: draw it each time
            return super().render(name, value, attrs, renderer)
        if drawn is None:
            if len(_SELECTS) >= _SELECTS_KEPT:
                _SELECTS.clear()
            drawn = _SELECTS[key] = super().render(name, value, attrs, renderer)
        return mark_safe(drawn)  # noqa: S308 (the widget's own HTML)


class _ListedSurveys(ModelChoiceIterator):
    """The options from the field's list of surveys, not a query of their own."""

    def __iter__(self) -> Iterator[Any]:
        field = cast("SurveyField", self.field)
        if field.empty_label is not None:
            yield ("", field.empty_label)
        for survey in field.listed():
            yield self.choice(survey)

    def __len__(self) -> int:
        field = cast("SurveyField", self.field)
        return len(field.listed()) + (1 if field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(cast("SurveyField", self.field).listed())


class SurveyField(forms.ModelChoiceField):
    """One of the organization's surveys, picked from a list read once: a page
    that checks the filters, shows them in the bar and counts per survey reads
    the surveys in one query instead of one for each."""

    iterator = _ListedSurveys

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.surveys: list[Survey] | None = None

    def listed(self) -> list[Survey]:
        if self.surveys is None:
            self.surveys = list(self.queryset)  # type: ignore[arg-type]
        return self.surveys

    def to_python(self, value: Any) -> Survey | None:
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        try:
            pk = value.pk if isinstance(value, Survey) else int(value)
        except (TypeError, ValueError):
            pk = None
        for survey in self.listed():
            if survey.pk == pk:
                return survey
        raise forms.ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class FilterForm(forms.Form):
    range = forms.ChoiceField(
        choices=RANGE_CHOICES, required=False, label=_("Period"), widget=FixedSelect
    )
    from_ = forms.DateField(required=False, label=_("From"))
    to = forms.DateField(required=False, label=_("To"))
    survey = SurveyField(
        queryset=Survey.objects.unscoped().none(), required=False, empty_label=_("All surveys")
    )
    channel = forms.ChoiceField(
        choices=[("", _("All channels")), *Channel.choices], required=False, widget=FixedSelect
    )
    category = forms.ChoiceField(choices=CATEGORY_CHOICES, required=False, widget=FixedSelect)
    score = forms.IntegerField(min_value=0, max_value=10, required=False)
    language = forms.CharField(max_length=8, required=False)
    q = forms.CharField(max_length=200, required=False, label=_("Search comments"))

    def __init__(self, *args: Any, surveys: list[Survey] | None = None, **kwargs: Any) -> None:
        """`surveys`: the organization's, when the caller has read them already
        (otherwise read on first use, e.g. to check a survey in the URL)."""
        super().__init__(*args, **kwargs)
        # Built per request: the tenant context must be active to list surveys.
        field = cast(SurveyField, self.fields["survey"])
        field.queryset = Survey.objects.all()
        field.surveys = surveys
        # "from" is a Python keyword; the URL says from=…
        self.fields["from"] = self.fields.pop("from_")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("range") == "custom":
            start, last = data.get("from"), data.get("to")
            if not start or not last:
                raise forms.ValidationError(_("A custom period needs both a start and an end."))
            if last < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (last - start).days >= MAX_CUSTOM_DAYS:
                raise forms.ValidationError(_("A period can cover at most three years."))
        return data


def _traits(values: list[str]) -> tuple[tuple[str, str], ...]:
    traits = []
    # A form always sends its empty "add a trait" field: blank means no filter.
    for raw in filter(str.strip, values):
        key, sep, value = raw.partition(":")
        key = key.strip()
        plain = key.replace("_", "").replace("-", "").isalnum()
        if not sep or not plain or len(key) > 64:
            raise FilterError(
                {"trait": [str(_("Write a trait filter as key:value, e.g. plan:pro."))]}
            )
        traits.append((key, value.strip()))
    return tuple(traits)


def parse_filters(
    params: QueryDict, *, tz: str, today: date | None = None, surveys: list[Survey] | None = None
) -> Filters:
    """Read filters from the URL; raise FilterError with one message per bad parameter.

    `surveys`: the organization's, when the caller has read them already."""
    form = FilterForm(params, surveys=surveys)
    if not form.is_valid():
        errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
        raise FilterError(errors)
    data = form.cleaned_data
    zone = ZoneInfo(tz)
    today = today or timezone.localdate(timezone=zone)
    period = data.get("range") or DEFAULT_RANGE
    if period == "custom":
        first, last = data["from"], data["to"]
    else:
        first, last = today - timedelta(days=int(period) - 1), today
    return Filters(
        start=datetime.combine(first, time.min, tzinfo=zone),
        end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        range=period,
        survey=data.get("survey"),
        channel=data.get("channel") or "",
        category=data.get("category") or "",
        score=data.get("score"),
        language=(data.get("language") or "").strip().lower(),
        traits=_traits(params.getlist("trait")),
        q=(data.get("q") or "").strip(),
    )
