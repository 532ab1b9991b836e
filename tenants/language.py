"""The back office's language: the signed-in user's saved choice, else the browser's.

`LocaleMiddleware` picks a language from the language cookie or Accept-Language;
this middleware, running after authentication, replaces it with the language the
user saved, so the choice follows the person to every browser and device.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .models import UserPreference


def saved_language(*, user: User | AnonymousUser) -> str:
    """The user's chosen language code, or "" to follow the browser."""
    if not user.is_authenticated:
        return ""
    language = (
        UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
    )
    return language if language in dict(settings.LANGUAGES) else ""


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # No session cookie, no user: skipping the session keeps public
        # responses (the widget, the link page) free of `Vary: Cookie`.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        language = saved_language(user=request.user)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def _reset_language(**kwargs: Any) -> None:
    # LocaleMiddleware leaves the request's language active in its thread; what
    # runs next there outside a request (a task, a test) starts from the default.
    translation.deactivate()


request_finished.connect(_reset_language, dispatch_uid="tenants.language.reset")


class InterfaceLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, minus the widget's script and endpoints.

    The widget sends its language in the request body and its script is the
    same for everyone, so `Vary: Accept-Language` there would only split CDN
    and browser caches into one copy per language header.
    """

    SKIP = ("/widget.js", "/w/")

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith(self.SKIP):
            super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.path.startswith(self.SKIP):
            return response
        return super().process_response(request, response)
