"""Writes of comment themes: start and store a computation, and the admins'
renames, merges and tags."""

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.services import MAX_TAGS, normalize_tags
from responses.models import Response
from tenants.context import current_organization

from . import extract, selectors
from .models import LABEL_LENGTH, StoredTheme, ThemeDecision, ThemeMention, ThemeSnapshot
from .selectors import Scope, ThemeView

logger = logging.getLogger(__name__)

# A run not finished by then is presumed lost with its worker: the next view
# starts another (a run is safe to repeat).
RUN_TIMEOUT = timedelta(minutes=10)
# The newest comments of a period are read, at most this many: a few seconds
# of work, and themes of 20,000 comments do not change with 20,001.
MAX_COMMENTS = 20_000
SAMPLES = 3
RELATED = 8
KEEP_DAYS = 7


def snapshot_for(*, scope: Scope) -> ThemeSnapshot:
    """The cache row of this survey and period, created empty the first time."""
    found = selectors.snapshot_find(scope=scope)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return ThemeSnapshot.objects.create(
                organization=current_organization(),
                survey=scope.survey,
                first=scope.first,
                last=scope.last,
            )
    except IntegrityError:
        # Two first views at once: the other one created it.
        again = selectors.snapshot_find(scope=scope)
        if again is None:
            raise
        return again


def themes_refresh(*, snapshot: ThemeSnapshot, force: bool = False) -> bool:
    """Start a computation when there is no result yet, or a stale one old enough
    to redo; True when this call started one (a running one is left alone)."""
    if not force and snapshot.has_result and not _due(snapshot):
        return False
    now = timezone.now()
    claimed = (
        ThemeSnapshot.objects.filter(pk=snapshot.pk)
        .filter(Q(computing=False) | Q(requested_at__lt=now - RUN_TIMEOUT))
        .update(computing=True, requested_at=now)
    )
    snapshot.refresh_from_db(fields=["computing", "requested_at"])
    if claimed:
        _enqueue(organization_id=snapshot.organization_id, snapshot_id=snapshot.pk)
    return claimed == 1


def _due(snapshot: ThemeSnapshot) -> bool:
    # A busy survey changes every minute: the last result stays on show for a
    # while instead of every page view starting a run.
    if snapshot.computed_at is None:
        return True
    age = timezone.now() - snapshot.computed_at
    if age < timedelta(seconds=settings.THEMES_REFRESH_SECONDS):
        return False
    return selectors.is_stale(snapshot=snapshot)


def _enqueue(*, organization_id: int, snapshot_id: int) -> None:
    def publish() -> None:
        from .tasks import compute_themes

        try:
            compute_themes.apply_async(
                kwargs={"organization_id": organization_id, "snapshot_id": snapshot_id},
                retry=False,
            )
        except Exception:
            # The broker is down: say so and let the next view try again rather
            # than show "computing…" until the run timeout.
            logger.exception("Could not enqueue the themes of snapshot %s", snapshot_id)
            ThemeSnapshot.objects.unscoped().filter(pk=snapshot_id).update(computing=False)

    transaction.on_commit(publish)


def themes_compute_now(*, scope: Scope) -> ThemeSnapshot:
    """Compute in this process, without the broker: for the demo data."""
    snapshot = snapshot_for(scope=scope)
    themes_compute(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot


def themes_compute(*, snapshot_id: int) -> ThemeSnapshot | None:
    """Read the scope's comments, find their themes, store them; safe to repeat."""
    snapshot = ThemeSnapshot.objects.filter(pk=snapshot_id).select_related("survey").first()
    if snapshot is None:
        return None  # its survey was deleted meanwhile
    scope = selectors.scope_of_snapshot(snapshot)
    # Taken before reading: a comment written meanwhile makes the result stale.
    mark = selectors.fingerprint(scope=scope)
    analysis = extract.find_themes(_comments(scope))
    _store(snapshot, analysis, mark)
    return snapshot


def _comments(scope: Scope) -> Iterator[extract.Comment]:
    rows = selectors.commented(scope).order_by("-created_at", "-id")
    for pk, comment, score, language in rows.values_list("id", "comment", "score", "language")[
        :MAX_COMMENTS
    ].iterator(chunk_size=2000):
        yield extract.Comment(id=pk, text=comment, score=score, language=language)


def _store(snapshot: ThemeSnapshot, analysis: extract.Analysis, mark: str) -> None:
    categories = list(analysis.categories.values())
    with transaction.atomic():
        # Two runs of one snapshot write one after the other, never interleaved.
        ThemeSnapshot.objects.select_for_update().filter(pk=snapshot.pk).first()
        ThemeMention.objects.filter(snapshot=snapshot).delete()
        ThemeMention.objects.bulk_create(
            (
                ThemeMention(
                    organization_id=snapshot.organization_id,
                    snapshot=snapshot,
                    key=theme.key,
                    response_id=doc,
                )
                for theme in analysis.themes
                for doc in theme.docs
            ),
            batch_size=2000,
        )
        snapshot.themes = [_stored(theme, analysis.categories) for theme in analysis.themes]
        snapshot.comment_count = analysis.comments
        snapshot.detractor_comments = categories.count("detractor")
        snapshot.passive_comments = categories.count("passive")
        snapshot.promoter_comments = categories.count("promoter")
        snapshot.unthemed = analysis.unthemed
        snapshot.fingerprint = mark
        snapshot.computing = False
        snapshot.computed_at = timezone.now()
        snapshot.save()
        _prune(keep=snapshot)


def _stored(theme: extract.Theme, categories: dict[int, str]) -> StoredTheme:
    counts = extract.stats(theme, categories)
    related = sorted(theme.related, key=lambda phrase: -phrase.df)[:RELATED]
    return {
        "key": theme.key,
        "label": theme.label,
        "aliases": [alias for alias in theme.aliases if alias != theme.key],
        "related": [phrase.label for phrase in related],
        "count": counts["count"],
        "detractors": counts["detractors"],
        "passives": counts["passives"],
        "promoters": counts["promoters"],
        "sample_ids": sorted(theme.docs, reverse=True)[:SAMPLES],
    }


def _prune(*, keep: ThemeSnapshot) -> None:
    """Periods like "the last 90 days" move every day: old snapshots go."""
    old = timezone.now() - timedelta(days=KEEP_DAYS)
    ThemeSnapshot.objects.filter(created_at__lt=old).exclude(pk=keep.pk).delete()


# --- Admins' decisions --------------------------------------------------------------


def _clean_label(raw: str) -> str:
    label = " ".join(raw.split())
    if not label.isprintable():
        raise ValidationError(_("A theme's name cannot contain control characters."))
    if len(label) > LABEL_LENGTH:
        raise ValidationError(
            _("A theme's name can have at most %(max)d characters.") % {"max": LABEL_LENGTH}
        )
    return label


def _decision(key: str, user: User | None) -> ThemeDecision:
    decision, _created = ThemeDecision.objects.get_or_create(
        key=key, defaults={"organization": current_organization()}
    )
    decision.updated_by, decision.updated_at = user, timezone.now()
    return decision


def _save_or_drop(decision: ThemeDecision) -> ThemeDecision | None:
    if not decision.label and not decision.merge_into:
        decision.delete()
        return None
    decision.save()
    return decision


def theme_rename(*, theme: ThemeView, label: str, user: User | None) -> ThemeDecision | None:
    """Name a theme; an empty name gives it back its computed label."""
    # Checked first: a refused name must leave no empty decision behind, which
    # could otherwise stand for the theme in place of a merge of one of its keys.
    cleaned = _clean_label(label)
    decision = _decision(theme.key, user)
    decision.label = cleaned
    return _save_or_drop(decision)


def theme_merge(*, theme: ThemeView, into: ThemeView, user: User | None) -> ThemeDecision | None:
    """Show `theme` as part of `into`, from now on and after every recompute."""
    if theme.key == into.key:
        raise ValidationError(_("Choose another theme to merge into."))
    with transaction.atomic():
        moved = []
        for key in theme.keys:
            decision = _decision(key, user)
            decision.merge_into, decision.merge_label = into.key, into.label[:LABEL_LENGTH]
            moved.append(_save_or_drop(decision))
    return moved[0]


def theme_unmerge(*, key: str, user: User | None) -> None:
    """Undo a merge: the theme stands on its own again."""
    decision = ThemeDecision.objects.filter(key=key).first()
    if decision is None:
        return
    decision.merge_into, decision.merge_label = "", ""
    decision.updated_by, decision.updated_at = user, timezone.now()
    _save_or_drop(decision)


def theme_tag(*, snapshot: ThemeSnapshot, theme: ThemeView, tag: str) -> tuple[int, int]:
    """Add one tag to every response of the theme: (tagged, skipped because
    they already have the most tags a response may have)."""
    tags = normalize_tags(tag)
    if len(tags) != 1:
        raise ValidationError(_("Give one tag."))
    wanted = tags[0]
    tagged = skipped = 0
    ids = selectors.theme_response_ids(snapshot=snapshot, theme=theme)
    with transaction.atomic():
        for response in Response.objects.filter(pk__in=ids).order_by("pk"):
            current = list(response.tags or [])
            if wanted in current:
                continue
            if len(current) >= MAX_TAGS:
                skipped += 1
                continue
            response.tags = [*current, wanted]
            # One save per response, as a tag set by hand: webhooks and the
            # rollups hear of each change.
            response.save(update_fields=["tags", "updated_at"])
            tagged += 1
    return tagged, skipped
