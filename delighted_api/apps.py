from django.apps import AppConfig


class DelightedApiConfig(AppConfig):
    name = "delighted_api"
    verbose_name = "Delighted-compatible API"
