"""Identity verification for widget respondents.

When an organization requires it, the host application signs each user id with
the organization's identity secret, server-side:
`user_hash = hex(HMAC-SHA256(identity_secret, user_id))`. A visitor cannot forge
another user's hash, so answers cannot be filed under someone else's name.
"""

import hashlib
import hmac

from .models import Organization


def user_hash_for(*, organization: Organization, user_id: str) -> str:
    """What the host application computes and passes as `data-user-hash`."""
    secret = organization.identity_secret.encode()
    return hmac.new(secret, user_id.encode(), hashlib.sha256).hexdigest()


def verify_user_hash(*, organization: Organization, user_id: str, user_hash: str) -> bool:
    if not user_id or not user_hash:
        return False
    expected = user_hash_for(organization=organization, user_id=user_id)
    # Bytes, not str: compare_digest rejects non-ASCII str, and the input is untrusted.
    return hmac.compare_digest(expected.encode(), user_hash.strip().lower().encode())
