"""The widget's endpoints take a shorter way through the middleware.

They read no session, cookie or user, are exempt from CSRF by construction
(`responses.endpoint`), take their language from the body and enter their
survey's organization themselves: the session, locale, CSRF, authentication,
messages, htmx and back-office tenancy layers do nothing for them, yet cost
every request about half of what the constant-JSON view costs in all. They are
most of the traffic.

Placed right after the security headers' middlewares, this one sends a request
that resolves to a widget endpoint through the layers that do write its
response (CommonMiddleware's Content-Length, X-Frame-Options) and then to the
view, which starts with no tenant as every request does. Anything else, any
other path under /w/ included, goes the whole way as before.
"""

from collections.abc import Callable
from typing import cast

from django.core.handlers.exception import convert_exception_to_response
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.urls import Resolver404, ResolverMatch, get_resolver, get_urlconf

from tenants.context import no_tenant

from .endpoint import is_widget_endpoint

PREFIX = "/w/"
# Outermost first, as in settings.MIDDLEWARE.
LAYERS = (CommonMiddleware, XFrameOptionsMiddleware)

GetResponse = Callable[[HttpRequest], HttpResponse]


class WidgetEndpointMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        # Django wraps views in a transaction then; only the whole stack does that.
        self.enabled = not _atomic_requests()
        self.widget_chain = _chain(_call_view)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.enabled and request.path_info.startswith(PREFIX):
            match = _widget_match(request)
            if match is not None:
                request.resolver_match = match
                return self.widget_chain(request)
        return self.get_response(request)


def _widget_match(request: HttpRequest) -> ResolverMatch | None:
    try:
        match = get_resolver(get_urlconf()).resolve(request.path_info)
    except Resolver404:
        return None  # The whole stack answers its 404, as before.
    return match if is_widget_endpoint(match.func) else None


def _call_view(request: HttpRequest) -> HttpResponse:
    match = request.resolver_match
    assert match is not None  # set by the middleware before the chain runs
    # What TenantMiddleware gives every request: no organization, strict rows.
    with no_tenant():
        return match.func(request, *match.args, **match.kwargs)


def _chain(view: GetResponse) -> GetResponse:
    """The layers around the view as Django builds them: an exception turns
    into its response where it is raised, and each layer then sees that."""
    handler = cast(GetResponse, convert_exception_to_response(view))
    for layer in reversed(LAYERS):
        handler = cast(GetResponse, convert_exception_to_response(layer(handler)))
    return handler


def _atomic_requests() -> bool:
    return any(connections[alias].settings_dict["ATOMIC_REQUESTS"] for alias in connections)
