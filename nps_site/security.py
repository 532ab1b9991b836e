"""Content-Security-Policy on every response.

One strict site-wide policy: scripts, styles, fonts and frames come from this
site only, nothing may frame us, forms post only here. A view that truly needs
more says so on its response (`csp_replace`, `csp_extend`, or the `csp`
decorator), next to the reason; a template that must carry an inline style
declares it with the `csp` template tags, which allow exactly that text by hash.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
NONE = ("'none'",)

DEFAULT_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
    "object-src": ("'none'",),
}

# A source expression never holds a space, a comma or a semicolon: a value that
# does (from data, e.g. a survey's origins) could smuggle in a directive.
_SOURCE = re.compile(r"[^\s;,]+")


def _directive(name: str) -> str:
    return name.replace("_", "-")


def _clean(sources: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in sources if _SOURCE.fullmatch(s)))


def csp_replace(response: HttpResponse, **directives: Iterable[str]) -> HttpResponse:
    """Set whole directives (`frame_ancestors=[...]`) for this one response."""
    changes = getattr(response, "csp_replace", {})
    changes.update({_directive(k): _clean(v) for k, v in directives.items()})
    response.csp_replace = changes  # type: ignore[attr-defined]
    return response


def csp_extend(response: HttpResponse, **directives: Iterable[str]) -> HttpResponse:
    """Add sources to directives (`img_src=["https://cdn.example"]`) for this response."""
    extra = getattr(response, "csp_extend", {})
    for key, sources in directives.items():
        extra[_directive(key)] = extra.get(_directive(key), ()) + _clean(sources)
    response.csp_extend = extra  # type: ignore[attr-defined]
    return response


def csp(**directives: Iterable[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """View decorator: replace these directives on everything the view answers."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return csp_replace(view(request, *args, **kwargs), **directives)

        return wrapped

    return decorate


def source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def allow_inline_style(request: HttpRequest, text: str, *, attribute: bool) -> None:
    """Let exactly this inline style (a `<style>` body or a `style=""` value) run."""
    hashes: dict[str, bool] = request.__dict__.setdefault("_csp_style_hashes", {})
    hashes[source_hash(text)] = hashes.get(source_hash(text), False) or attribute


def allow_image(request: HttpRequest, url: str) -> None:
    """Let this page show the image at `url` (a survey's logo, hosted anywhere)."""
    sources: list[str] = request.__dict__.setdefault("_csp_img_sources", [])
    sources.extend(origin_of(url))


def build_policy(request: HttpRequest, response: HttpResponse) -> str:
    policy = dict(DEFAULT_POLICY)
    for key, sources in getattr(response, "csp_extend", {}).items():
        policy[key] = _clean(policy.get(key, policy["default-src"]) + sources)
    policy.update(getattr(response, "csp_replace", {}))
    images = _clean(getattr(request, "_csp_img_sources", []))
    if images:
        policy["img-src"] = _clean(policy["img-src"] + images)
    hashes: dict[str, bool] = getattr(request, "_csp_style_hashes", {})
    # A hash next to 'unsafe-inline' would switch 'unsafe-inline' off: only add
    # hashes to a policy that does not already allow every inline style.
    if hashes and "'unsafe-inline'" not in policy["style-src"]:
        extra = (["'unsafe-hashes'"] if any(hashes.values()) else []) + list(hashes)
        policy["style-src"] = _clean(policy["style-src"] + tuple(extra))
    return "; ".join(f"{key} {' '.join(v or NONE)}" for key, v in policy.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not carry one already."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = build_policy(request, response)
        return response


def origin_of(url: str) -> list[str]:
    """`[scheme://host[:port]]` of an http(s) address, or nothing: an image source."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc}"]
