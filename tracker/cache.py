"""The data version that keys everything kept in Django's cache.

Anything derived from the data (a filter's choice lists, a page fragment) is kept under
a key holding the current data version; any write that could change it gives the data a
new version (``data_changed``), so the next read builds afresh and the old entries are
never read again (they expire). A random token, not a counter: two processes that bump at
once cannot land on the same value, and a restored cache cannot match other data.
Keys for what a viewer sees also hold what that viewer may see (their scope), so an
officer is never served an auditor's fragment.
"""

import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "tracker:data-version"


def data_version() -> str:
    """The current data version (one cache read; a new one when the cache has none)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def data_changed(**_) -> None:
    """The data changed: a new version now and again when the writer's transaction commits
    (a page built between the two from the old rows is then never read). ``**_``: it is
    also a signal receiver."""
    _bump()
    transaction.on_commit(_bump)


def key(*parts: object, version: str | None = None) -> str:
    """A cache key for something derived from the data: its parts under the data version."""
    return ":".join(["tracker", version or data_version(), *(str(part) for part in parts)])


def kept(parts: Iterable[object], build: Callable[[], object]):
    """``build()``, kept under the data version and ``parts`` until the data change."""
    return cache.get_or_set(key(*parts), build, timeout=settings.TRACKER_CACHE_SECONDS)
