"""The widget as the respondent sees it, drawn in the back office.

The preview uses the widget's own stylesheet, read from its source, inside a
declarative shadow root: what the admin sees is what the respondent gets,
without JavaScript and without the back office's CSS leaking in.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from responses.assets import SOURCE

from .models import Position, Survey
from .selectors import widget_texts

_CSS_BLOCK = re.compile(r"var CSS = (.*?);\s*$", re.S | re.M)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# The widget floats over the host page; in the preview it floats over a mock page.
PREVIEW_CSS = (
    ".page{padding:48px 12px 12px;background:#f3f4f6;border-radius:8px;overflow:hidden}"
    ".slot{display:flex;justify-content:flex-end}"
    ".page .w{position:relative;inset:auto;animation:none}.page .l{margin-right:auto}"
    ".page.inline{padding-top:12px}.page.inline .slot{display:block;border:2px dashed #9ca3af;"
    "border-radius:8px;padding:8px}"
)


def widget_css() -> str:
    return _widget_css(SOURCE.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _widget_css(mtime_ns: int) -> str:
    match = _CSS_BLOCK.search(SOURCE.read_text(encoding="utf-8"))
    if match is None:
        return ""  # the preview still shows the markup, unstyled
    return "".join(json.loads(literal) for literal in _STRING.findall(match.group(1)))


def preview_context(*, survey: Survey) -> dict[str, Any]:
    texts = widget_texts(survey=survey, language=survey.default_language)
    return {
        "css": widget_css() + PREVIEW_CSS,
        "texts": texts,
        "follow_up": texts["follow_up"]["promoter"],
        "accent": survey.accent_color,
        "position": survey.position,
        "inline": survey.position == Position.INLINE,
        "left": survey.position == Position.BOTTOM_LEFT,
        "logo": survey.logo_url,
        "scale": range(11),
        "picked": 9,
    }
