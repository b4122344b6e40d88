"""The table filter's choice lists (owners, themes, audit dimensions, reports), kept in
Django's cache under the data version (tracker.cache) and built again when it changes.

Every save or delete of an owner, report, audit dimension, recommendation, progress
update, response, rating definition, per-addressee status, closure event, link or
acceptance gives the data a new version (signals connected in
``RecommendationsConfig.ready``;
the synthetic data generator, which writes with COPY, calls ``changed()`` itself: bench/synthetic.py).
A page with the lists kept reads them with no query.
"""

from collections.abc import Callable

from tracker.cache import data_changed, kept


def get(name: str, build: Callable[[], list]) -> list:
    """The list ``name`` as kept under the data version (built now if it is not)."""
    return kept(["choices", name], build)


def changed(**_) -> None:
    """A choice list, or anything else derived from the data, may have changed."""
    data_changed()


def connect() -> None:
    """Receivers for every model a kept list or fragment is built from."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from recommendations.models import (
        Acceptance,
        AddresseeStatus,
        AuditDimension,
        ClosureEvent,
        Owner,
        ProgressUpdate,
        RatingDefinition,
        Recommendation,
        RecommendationLink,
        Response,
        ResponseFile,
    )
    from reports.models import Report

    for model in (
        Owner,
        Report,
        AuditDimension,
        Recommendation,
        ProgressUpdate,
        Response,
        ResponseFile,
        RatingDefinition,
        AddresseeStatus,
        ClosureEvent,  # a recommendation's life (#20): open and closed counts, chains
        RecommendationLink,
        Acceptance,
    ):
        post_save.connect(changed, sender=model, dispatch_uid=f"choice_lists_{model.__name__}_save")
        post_delete.connect(changed, sender=model, dispatch_uid=f"choice_lists_{model.__name__}_delete")
    for through in (Recommendation.owners.through, Recommendation.audit_dimensions.through):
        m2m_changed.connect(changed, sender=through, dispatch_uid=f"choice_lists_{through.__name__}_m2m")
