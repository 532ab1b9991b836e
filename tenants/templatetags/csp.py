"""Inline styles the Content-Security-Policy lets through, one exact text at a time.

`{% csp_style_attr value %}` writes `style="value"`; `{% csp_style %}…{% endcsp_style %}`
writes a `<style>` element. Each tells the policy the hash of what it wrote, so the
site-wide `style-src 'self'` stays on and only this text is allowed.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from nps_site.security import allow_image, allow_inline_style

register = template.Library()


@register.simple_tag(takes_context=True)
def csp_style_attr(context: template.Context, value: Any) -> SafeString:
    text = str(value)
    request = context.get("request")
    if request is not None:
        allow_inline_style(request, text, attribute=True)
    return mark_safe(f'style="{escape(text)}"')  # noqa: S308 - the value is escaped


@register.simple_tag(takes_context=True)
def csp_img(context: template.Context, url: Any) -> str:
    """Writes nothing; lets the page load an image from `url`'s origin."""
    request = context.get("request")
    if request is not None and url:
        allow_image(request, str(url))
    return ""


class _StyleNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        text = self.nodelist.render(context)
        request = context.get("request")
        if request is not None:
            allow_inline_style(request, text, attribute=False)
        return f"<style>{text}</style>"


@register.tag
def csp_style(parser: Parser, token: Token) -> _StyleNode:
    nodelist = parser.parse(("endcsp_style",))
    parser.delete_first_token()
    return _StyleNode(nodelist)
