"""What an admin pastes into their site and servers to run a survey.

The user-hash samples compute exactly what tenants.identity verifies:
hex(HMAC-SHA256(identity secret as UTF-8, user id as UTF-8)). The user id is
compared without surrounding spaces, as the widget sends it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .models import Survey

SECRET_VARIABLE = "NPS_IDENTITY_SECRET"  # noqa: S105 (a name, not a secret)
QUEUE_STUB = "<script>window.nps=window.nps||function(){(nps.q=nps.q||[]).push(arguments)}</script>"

HASH_SAMPLES = {
    "python": """import hashlib
import hmac
import os

NPS_IDENTITY_SECRET = os.environ["NPS_IDENTITY_SECRET"]


def nps_user_hash(user_id) -> str:
    return hmac.new(
        NPS_IDENTITY_SECRET.encode(), str(user_id).encode(), hashlib.sha256
    ).hexdigest()
""",
    "node": """const crypto = require("crypto");

function npsUserHash(userId) {
  return crypto
    .createHmac("sha256", process.env.NPS_IDENTITY_SECRET)
    .update(String(userId))
    .digest("hex");
}
""",
    "ruby": """require "openssl"

def nps_user_hash(user_id)
  OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("NPS_IDENTITY_SECRET"), user_id.to_s)
end
""",
    "php": """<?php
function nps_user_hash($userId): string
{
    return hash_hmac('sha256', (string) $userId, getenv('NPS_IDENTITY_SECRET'));
}
""",
}
SAMPLE_NAMES = {"python": "Python", "node": "Node.js", "ruby": "Ruby", "php": "PHP"}

JS_API = """// After sign-in: who is answering (the hash comes from your server).
nps('identify', {
  id: '42', hash: 'USER_HASH', email: 'ada@example.com', name: 'Ada', traits: {plan: 'pro'}
});

// At a moment that matters (a purchase, a closed ticket): ask now.
nps('show');"""


def snippet(*, script_url: str, public_key: str, identified: bool) -> str:
    """The embed code, before `</body>`. Identified users get their id and hash.

    `crossorigin="anonymous"` loads the script without credentials, like the
    widget's own requests: browsers keep separate connections for the two
    kinds, so this lets the first config request reuse the script's connection
    instead of opening (and for HTTPS, negotiating) a second one."""
    attributes = [f'src="{script_url}"', 'crossorigin="anonymous"', f'data-survey="{public_key}"']
    if identified:
        attributes += [
            'data-user-id="USER_ID"',
            'data-user-hash="USER_HASH"',
            'data-user-email="USER_EMAIL"',
            'data-user-name="USER_NAME"',
        ]
    separator = "\n        "
    return f"{QUEUE_STUB}\n<script async {separator.join(attributes)}></script>"


def install_context(*, request: HttpRequest, survey: Survey, show_secret: bool) -> dict[str, Any]:
    key = survey.public_key
    script_url = request.build_absolute_uri(reverse("widget_js"))
    organization = survey.organization
    return {
        "script_url": script_url,
        "snippet_anonymous": snippet(script_url=script_url, public_key=key, identified=False),
        "snippet_identified": snippet(script_url=script_url, public_key=key, identified=True),
        "link_url": request.build_absolute_uri(reverse("link_page", args=[key])),
        "qr_svg_url": request.build_absolute_uri(reverse("link_qr_svg", args=[key])),
        "qr_png_url": request.build_absolute_uri(reverse("link_qr_png", args=[key])),
        "js_api": JS_API,
        "identity_required": organization.require_identity_verification,
        "identity_secret": organization.identity_secret if show_secret else "",
        "secret_variable": SECRET_VARIABLE,
        "hash_samples": [
            {"id": name, "name": SAMPLE_NAMES[name], "code": code}
            for name, code in HASH_SAMPLES.items()
        ],
    }
