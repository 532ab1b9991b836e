"""Writes of the follow-up: status, assignee, tags and internal notes of a response.

Each function validates everything before writing, so a refused change leaves
the response exactly as it was.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from responses.models import FollowUpStatus, Note, Response
from tenants.models import Membership, Role, role_at_least

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_NOTE_LENGTH = 5000


def follow_up_set_status(*, response: Response, status: str) -> Response:
    if status not in FollowUpStatus.values:
        raise ValidationError(_("Choose a status: new, contacted or resolved."))
    return _update(response, follow_up_status=status)


def follow_up_mark_contacted(*, response: Response) -> bool:
    """new → contacted; a no-op on anything further along, so a double click never
    reopens a resolved item. True when this call made the change."""
    changed = Response.objects.filter(pk=response.pk, follow_up_status=FollowUpStatus.NEW).update(
        follow_up_status=FollowUpStatus.CONTACTED, updated_at=timezone.now()
    )
    response.refresh_from_db(fields=["follow_up_status", "updated_at"])
    if changed:
        # The conditional update keeps a double click from acting twice; tell
        # listeners (webhooks, rollups) what a save() would have told them.
        post_save.send(
            sender=Response,
            instance=response,
            created=False,
            raw=False,
            using=router.db_for_write(Response),
            update_fields=frozenset({"follow_up_status", "updated_at"}),
        )
    return changed == 1


def follow_up_assign(*, response: Response, assignee_id: int | None) -> Response:
    """Assign to a member of the response's organization, or to nobody."""
    if assignee_id is not None and not _is_member(response, assignee_id):
        raise ValidationError(_("That person is not a member of this organization."))
    return _update(response, assignee_id=assignee_id)


def follow_up_set_tags(*, response: Response, raw: str) -> Response:
    return _update(response, tags=normalize_tags(raw))


def normalize_tags(raw: str) -> list[str]:
    """Comma-separated → trimmed, lower-case, single-spaced, de-duplicated in order."""
    tags: list[str] = []
    for part in raw.split(","):
        tag = " ".join(part.split()).lower()
        if not tag:
            continue
        if not tag.isprintable():
            raise ValidationError(_("Tags cannot contain control characters."))
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                _("A tag can have at most %(max)d characters: “%(tag)s…”.")
                % {"max": MAX_TAG_LENGTH, "tag": tag[:MAX_TAG_LENGTH]}
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(_("At most %(max)d tags per response.") % {"max": MAX_TAGS})
    return tags


def normalize_tag_list(items: list[str]) -> list[str]:
    """A list of tags (the API's form) → the same tags as `normalize_tags` keeps."""
    if any("," in item for item in items):
        raise ValidationError(_("A tag cannot contain a comma."))
    return normalize_tags(",".join(items))


@dataclass(frozen=True)
class FollowUpChange:
    """Several follow-up fields at once; None leaves a field as it is."""

    comment: str | None = None
    tags: list[str] | None = None
    status: str | None = None
    # Whether to (re)assign at all: assignee_id None then means nobody.
    assign: bool = False
    assignee_id: int | None = None


def follow_up_update(*, response: Response, change: FollowUpChange) -> Response:
    """Validates every field first, then writes them in one save: all or nothing."""
    fields: dict[str, object] = {}
    if change.comment is not None:
        fields["comment"] = change.comment
    if change.tags is not None:
        try:
            fields["tags"] = normalize_tag_list(change.tags)
        except ValidationError as error:
            raise ValidationError({"tags": error.messages}) from error
    if change.status is not None:
        if change.status not in FollowUpStatus.values:
            raise ValidationError({"follow_up_status": _("Choose new, contacted or resolved.")})
        fields["follow_up_status"] = change.status
    if change.assign:
        if change.assignee_id is not None and not _is_member(response, change.assignee_id):
            raise ValidationError(
                {"assignee": _("That person is not a member of this organization.")}
            )
        fields["assignee_id"] = change.assignee_id
    return _update(response, **fields) if fields else response


def note_add(*, response: Response, author: User | None, body: str) -> Note:
    """`author` is None for notes written through the API (the key is not a person)."""
    text = body.strip()
    if not text:
        raise ValidationError(_("Write something in the note."))
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError(
            _("A note can have at most %(max)d characters.") % {"max": MAX_NOTE_LENGTH}
        )
    if "\x00" in text:
        raise ValidationError(_("The note contains a null character."))
    return Note.objects.create(
        organization_id=response.organization_id, response=response, author=author, body=text
    )


def can_delete_note(*, note: Note, user: User, role: str) -> bool:
    """Authors remove their own notes; admins and owners anyone's."""
    return note.author_id == user.pk or role_at_least(role, Role.ADMIN)


def note_delete(*, note: Note, user: User, role: str) -> None:
    if not can_delete_note(note=note, user=user, role=role):
        raise PermissionDenied(_("Only its author or an admin can delete this note."))
    note.delete()


def note_remove(*, note: Note) -> None:
    """Deletes a note whoever wrote it: for API keys, which act for the organization."""
    note.delete()


def _is_member(response: Response, user_id: int) -> bool:
    return Membership.objects.filter(
        organization_id=response.organization_id, user_id=user_id
    ).exists()


def _update(response: Response, **fields: object) -> Response:
    for name, value in fields.items():
        setattr(response, name, value)
    response.save(update_fields=[*fields, "updated_at"])
    return response
