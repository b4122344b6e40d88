"""The table filter's choice lists (owners, themes, audit dimensions, reports), kept by
each process between requests and built again only when they may have changed.

Every save or delete of an owner, report, audit dimension or recommendation gives
``ChoiceListsVersion`` a new random token, inside the writer's own transaction (signals
connected in ``RecommendationsConfig.ready``; the synthetic data generator, which writes
with COPY, calls ``changed()`` itself: bench/synthetic.py). A page reads the token (one query) and
uses the lists its process built under the same token, or builds them and keeps them
under it. A process that read the token before a write committed keeps lists under the
old token, which no later page reads. Without the row (a flushed test database), nothing
is kept. A random token, not a counter: a restored backup brings back its own token with
its own data, so it can only match lists built from that same data.

Four queries and about 5 ms of Python a table page at 100,000 recommendations
(BENCHMARKS.md, fourth round).
"""

import threading
import uuid
from collections.abc import Callable

_lock = threading.Lock()
_kept: tuple[str | None, dict] = (None, {})


def current_token() -> str | None:
    """The token now committed, or None when there is no row. 1 query."""
    from recommendations.models import ChoiceListsVersion

    return ChoiceListsVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def get(name: str, build: Callable[[], list], token: Callable[[], str | None]) -> list:
    """The list ``name`` as built under the token (built now if this process has not yet).
    ``token`` is asked only now, so that a page that never shows a list never reads it."""
    global _kept
    token = token()
    if token is None:
        return build()
    kept_token, lists = _kept
    if kept_token == token and name in lists:
        return lists[name]
    value = build()
    with _lock:
        kept_token, lists = _kept
        if kept_token != token:
            lists = {}
        _kept = (token, {**lists, name: value})
    return value


def changed(**_) -> None:
    """A choice list may have changed: a new token (a signal receiver, hence ``**_``)."""
    from recommendations.models import ChoiceListsVersion

    if not ChoiceListsVersion.objects.filter(pk=1).update(token=uuid.uuid4().hex):
        ChoiceListsVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def connect() -> None:
    """Receivers for every model a choice list is built from."""
    from django.db.models.signals import post_delete, post_save

    from recommendations.models import AuditDimension, Owner, Recommendation
    from reports.models import Report

    for model in (Owner, Report, AuditDimension, Recommendation):
        post_save.connect(changed, sender=model, dispatch_uid=f"choice_lists_{model.__name__}_save")
        post_delete.connect(changed, sender=model, dispatch_uid=f"choice_lists_{model.__name__}_delete")
