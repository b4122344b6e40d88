"""Small builders for test data. Progress updates go through the real service."""

import contextlib
import datetime
import io
import itertools

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.text import slugify

from recommendations.models import Owner, Recommendation, Status
from recommendations.services import progress_update_create
from reports.models import Report

_seq = itertools.count(1)


@contextlib.contextmanager
def at_migration(app: str, migration: str):
    """The database migrated back to ``app``'s ``migration`` for the block, which gets that
    state's apps (for its historical models), then forward to the latest again. Needs a
    transactional test."""
    executor = MigrationExecutor(connection)
    executor.migrate([(app, migration)])
    try:
        # Migrated to zero (migration None), the app has no state of its own: the whole project's.
        yield executor.loader.project_state([(app, migration)] if migration else None).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def make_owner(name: str | None = None, kind: str = Owner.Kind.NATIONAL_GOVERNMENT, **extra) -> Owner:
    name = name or f"Organisation {next(_seq)}"
    return Owner.objects.create(name=name, slug=slugify(name), kind=kind, **extra)


def make_report(title: str | None = None, published=datetime.date(2016, 3, 3), **extra) -> Report:
    title = title or f"Report {next(_seq)}"
    defaults = {"short_title": title, "slug": slugify(title), "kind": Report.Kind.PERFORMANCE_AUDIT}
    defaults.update(extra)
    return Report.objects.create(title=title, published=published, **defaults)


def make_recommendation(report=None, owners=(), number=None, text="Do the thing.", **extra) -> Recommendation:
    report = report or make_report()
    if number is None:
        number = report.recommendations.count() + 1
    rec = Recommendation.objects.create(report=report, number=number, text=text, **extra)
    rec.owners.set(owners)
    return rec


def add_update(rec, rag=Status.AMBER, on=datetime.date(2018, 7, 1), summary="Progress noted.", **extra):
    return progress_update_create(recommendation=rec, rag=rag, assessed_on=on, summary=summary, **extra)


def generate_synthetic(n: int, **overrides) -> None:
    """``bench/generate_synthetic.py`` at a small scale: n recommendations, 8 updates each
    on average, a report per 25 (at least 2), 6 more owners, unless overridden."""
    from bench.generate_synthetic import Command

    options = {"updates": n * 8, "reports": max(2, n // 25), "extra_owners": 6, **overrides}
    call_command(Command(), recommendations=n, force=True, stdout=io.StringIO(), **options)
