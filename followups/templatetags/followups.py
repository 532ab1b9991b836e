from django import template
from django.utils.translation import gettext_lazy as _

from responses.scoring import category

register = template.Library()

CATEGORY_LABELS = {
    "promoter": _("Promoter"),
    "passive": _("Passive"),
    "detractor": _("Detractor"),
}


@register.filter
def nps_category(score: int) -> str:
    return category(int(score))


@register.filter
def nps_category_label(score: int) -> str:
    return str(CATEGORY_LABELS[category(int(score))])


@register.filter
def http_url(url: str) -> str:
    """The URL if it is http(s), else "": a stored javascript: link never becomes clickable."""
    value = (url or "").strip()
    return value if value.lower().startswith(("https://", "http://")) else ""
