"""Concurrent RAG updates on PostgreSQL lose nothing (GUIDE section 4).

Twenty threads, each on its own database connection, add a progress update to
one recommendation at the same moment through the one service that writes
them. Their dates and ratings differ, and are dealt out so that thread order
says nothing about date order: whichever arrives last, the current status must
end as the rating of the latest update by (date assessed, created, id).
"""

import datetime
import random
import threading

import pytest
from django.db import connection

from recommendations.models import RATINGS, ProgressUpdate, Recommendation
from recommendations.services import progress_update_create
from tests.factories import make_recommendation, make_report

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers"),
    # Real commits: the threads' connections cannot see the test's transaction.
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


def _plan() -> list[tuple[datetime.date, int]]:
    """(assessed_on, rating) per thread: ten dates a quarter apart, each given to two
    threads with different ratings (so ties on the date are decided by created, id),
    shuffled so that the newest dates are not the last threads to start."""
    dates = [datetime.date(2016, 6, 1) + datetime.timedelta(days=91 * i) for i in range(THREADS // 2)]
    plan = [(day, RATINGS[(i + k) % len(RATINGS)].value) for i, day in enumerate(dates) for k in (0, 1)]
    random.Random(20).shuffle(plan)
    return plan


def test_concurrent_updates_to_one_recommendation_lose_nothing():
    rec = make_recommendation(report=make_report(published=datetime.date(2016, 3, 3)))
    plan = _plan()
    barrier = threading.Barrier(THREADS)
    errors: list[tuple[int, BaseException]] = []

    def add(index: int, assessed_on: datetime.date, rag: int) -> None:
        try:
            own = Recommendation.objects.get(pk=rec.pk)  # opens this thread's connection before the start
            barrier.wait(timeout=30)
            progress_update_create(
                recommendation=own, rag=rag, assessed_on=assessed_on, summary=f"Update from thread {index}."
            )
        except BaseException as exc:  # noqa: BLE001 - reported below, whatever it is
            errors.append((index, exc))
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i, *step), name=f"update-{i}") for i, step in enumerate(plan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [t.name for t in threads if t.is_alive()], "threads still running: a lock was never released"
    assert errors == []

    updates = ProgressUpdate.objects.filter(recommendation=rec)
    assert sorted(updates.values_list("summary", flat=True)) == sorted(
        f"Update from thread {i}." for i in range(THREADS)
    )
    rec.refresh_from_db()
    assert rec.update_count == THREADS
    latest = updates.order_by("-assessed_on", "-created", "-id").first()
    assert (rec.status, rec.status_date) == (latest.rag, latest.assessed_on)
    assert rec.status_date == max(day for day, _ in plan)


def _post_at_once(rec, auditor, *, seen_latest: int, confirm: bool) -> tuple[list[int], list]:
    """Twenty auditors' forms, all opened when ``seen_latest`` was the newest update,
    posted at the same moment through the detail page, each on its own connection.
    Returns the status codes, in the plan's order, and any errors."""
    from django.test import Client

    plan = _plan()
    clients = []
    for _ in plan:
        client = Client()
        client.force_login(auditor)
        clients.append(client)
    barrier = threading.Barrier(THREADS)
    codes: list[int] = [0] * THREADS
    errors: list[tuple[int, BaseException]] = []

    def post(index: int, assessed_on: datetime.date, rag: int) -> None:
        try:
            Recommendation.objects.filter(pk=rec.pk).exists()  # opens this thread's connection first
            barrier.wait(timeout=30)
            data = {
                "rag": str(rag),
                "assessed_on": assessed_on.isoformat(),
                "summary": f"Update from auditor {index}.",
                "seen_latest": str(seen_latest),
            }
            if confirm:
                data["confirm"] = "on"
            codes[index] = clients[index].post(rec.get_absolute_url(), data).status_code
        except BaseException as exc:  # noqa: BLE001 - reported below, whatever it is
            errors.append((index, exc))
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, *step), name=f"post-{i}") for i, step in enumerate(plan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [t.name for t in threads if t.is_alive()], "threads still running: a lock was never released"
    return codes, errors


def test_forms_opened_at_the_same_moment_store_one_update_unless_confirmed(auditor):
    """The stale-form check runs under the recommendation's row lock: of twenty forms opened on
    the same history, the first to be saved wins and the other nineteen are warned (409)."""
    rec = make_recommendation(report=make_report(published=datetime.date(2016, 3, 3)))
    first = progress_update_create(
        recommendation=rec, rag=RATINGS[0].value, assessed_on=datetime.date(2016, 4, 1), summary="Seen by all."
    )

    codes, errors = _post_at_once(rec, auditor, seen_latest=first.pk, confirm=False)

    assert errors == []
    assert sorted(codes) == [302] + [409] * (THREADS - 1)
    assert ProgressUpdate.objects.filter(recommendation=rec).count() == 2
    rec.refresh_from_db()
    assert rec.update_count == 2


def test_confirmed_forms_opened_at_the_same_moment_are_all_stored(auditor):
    rec = make_recommendation(report=make_report(published=datetime.date(2016, 3, 3)))
    first = progress_update_create(
        recommendation=rec, rag=RATINGS[0].value, assessed_on=datetime.date(2016, 4, 1), summary="Seen by all."
    )

    codes, errors = _post_at_once(rec, auditor, seen_latest=first.pk, confirm=True)

    assert errors == []
    assert codes == [302] * THREADS
    updates = ProgressUpdate.objects.filter(recommendation=rec)
    assert updates.count() == THREADS + 1
    rec.refresh_from_db()
    assert rec.update_count == THREADS + 1
    latest = updates.order_by("-assessed_on", "-created", "-id").first()
    assert (rec.status, rec.status_date) == (latest.rag, latest.assessed_on)
    assert rec.status_date == max(day for day, _ in _plan())
