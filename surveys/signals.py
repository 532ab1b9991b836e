"""A changed survey, variant or organization is read afresh by the widget's next request
in this process (see surveys.selectors.widget_survey)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import Organization

from .models import Survey, SurveyVariant
from .selectors import widget_surveys_forget


@receiver(post_save, sender=Survey, dispatch_uid="surveys.widget_survey_saved")
@receiver(post_delete, sender=Survey, dispatch_uid="surveys.widget_survey_deleted")
def survey_changed(sender: Any, instance: Survey, **kwargs: Any) -> None:
    widget_surveys_forget(public_key=instance.public_key)


@receiver(post_save, sender=SurveyVariant, dispatch_uid="surveys.widget_variant_saved")
@receiver(post_delete, sender=SurveyVariant, dispatch_uid="surveys.widget_variant_deleted")
def variant_changed(sender: Any, instance: SurveyVariant, **kwargs: Any) -> None:
    widget_surveys_forget(public_key="")


@receiver(post_save, sender=Organization, dispatch_uid="surveys.widget_organization_saved")
@receiver(post_delete, sender=Organization, dispatch_uid="surveys.widget_organization_deleted")
def organization_changed(sender: Any, instance: Organization, **kwargs: Any) -> None:
    widget_surveys_forget()
