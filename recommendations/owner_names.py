"""Each recommendation's owners as one line of text, kept in step with its owners.

``Recommendation.owner_names`` holds the names of the organisations a recommendation is
addressed to, sorted and joined with "; " ("COSLA; Scottish Government"): what the
exports print in their "Addressed to" column, and what the table sorts that column by.
Read from the owners themselves, sorting 100,000 recommendations by their first owner
took 1.7 s (a subquery per row) and the CSV export spent a third of its time fetching
owners (BENCHMARKS.md, fifth round).

Every change of a recommendation's owners, whichever road it comes by, refreshes it:
the admin, the import and carrying forward change owners through the many-to-many
manager (``m2m_changed``); renaming an owner changes the line of every recommendation
addressed to it; deleting an owner removes it from theirs. The synthetic-data generator
(bench/synthetic.py), which writes with COPY, fills the column itself.
"""

from collections.abc import Iterable

SEPARATOR = "; "
BATCH = 1000


def joined(names: Iterable[str]) -> str:
    """The names as the column holds them: sorted, joined with "; "."""
    return SEPARATOR.join(sorted(names))


def refresh(recommendation_ids: Iterable[int]) -> None:
    """Recompute the line of these recommendations from their owners."""
    from recommendations.models import Recommendation

    link = Recommendation.owners.through
    ids = sorted(set(recommendation_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        names: dict[int, list[str]] = {pk: [] for pk in batch}
        for rec_id, name in link.objects.filter(recommendation_id__in=batch).values_list(
            "recommendation_id", "owner__name"
        ):
            names[rec_id].append(name)
        Recommendation.objects.bulk_update(
            [Recommendation(pk=pk, owner_names=joined(owners)) for pk, owners in names.items()], ["owner_names"]
        )


def _recommendations_of(owner) -> list[int]:
    from recommendations.models import Recommendation

    return list(
        Recommendation.owners.through.objects.filter(owner_id=owner.pk).values_list("recommendation_id", flat=True)
    )


def _owners_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action == "pre_clear" and reverse:  # an owner's recommendations: known only before they go
        instance._owner_names_stale = _recommendations_of(instance)
    elif action in ("post_add", "post_remove"):
        refresh(pk_set if reverse else [instance.pk])
    elif action == "post_clear":
        refresh(getattr(instance, "_owner_names_stale", []) if reverse else [instance.pk])


def _owner_saving(sender, instance, raw=False, **kwargs) -> None:
    """Note, before an owner is saved, whether its name is changing."""
    if raw or instance._state.adding or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    instance._owner_names_renamed = before is not None and before != instance.name


def _owner_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if not created and getattr(instance, "_owner_names_renamed", False):
        refresh(_recommendations_of(instance))
        instance._owner_names_renamed = False


def _owner_deleting(sender, instance, **kwargs) -> None:
    instance._owner_names_stale = _recommendations_of(instance)


def _owner_deleted(sender, instance, **kwargs) -> None:
    refresh(getattr(instance, "_owner_names_stale", []))


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

    from recommendations.models import Owner, Recommendation

    m2m_changed.connect(_owners_changed, sender=Recommendation.owners.through, dispatch_uid="owner_names_m2m")
    pre_save.connect(_owner_saving, sender=Owner, dispatch_uid="owner_names_owner_pre_save")
    post_save.connect(_owner_saved, sender=Owner, dispatch_uid="owner_names_owner_post_save")
    pre_delete.connect(_owner_deleting, sender=Owner, dispatch_uid="owner_names_owner_pre_delete")
    post_delete.connect(_owner_deleted, sender=Owner, dispatch_uid="owner_names_owner_post_delete")
