"""The benchmark end to end at a tiny scale (no timing assertions: figures live in
BENCHMARKS.md), and the property it exists to check that a test can: no page's
query count changes with the number of recommendations."""

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bench import synthetic
from bench.generate_synthetic import Command as GenerateSynthetic
from recommendations.models import ProgressUpdate, Recommendation, Status
from tests.factories import generate_synthetic

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parent.parent / "bench" / "pages.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_pages", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_generate = generate_synthetic


def test_generated_data_is_consistent_and_deterministic(seeded):
    before = Recommendation.objects.count()
    _generate(80)
    recs = Recommendation.objects.filter(report__slug__startswith=synthetic.PREFIX)
    assert recs.count() == 80 and Recommendation.objects.count() == before + 80
    assert ProgressUpdate.objects.filter(recommendation__in=recs).count() == 640
    for rec in recs.prefetch_related("owners", "updates"):
        assert 1 <= rec.owners.count() <= 4
        history = sorted(rec.updates.all(), key=lambda u: (u.assessed_on, u.created, u.pk))
        assert rec.update_count == len(history)
        if history:
            latest = history[-1]
            assert (rec.status, rec.status_date, rec.status_date_precision) == (
                latest.rag,
                latest.assessed_on,
                latest.assessed_precision,
            )
            assert all(u.assessed_on >= rec.report.published for u in history)
        else:
            assert rec.status == Status.NEVER_ASSESSED
    first = list(recs.order_by("report__slug", "number").values_list("text", "status", "update_count"))

    with pytest.raises(CommandError, match="already holds synthetic data"):
        _generate(80)
    _generate(80, reset=True)
    again = list(recs.order_by("report__slug", "number").values_list("text", "status", "update_count"))
    assert again == first  # same seed, same data
    assert Recommendation.objects.count() == before + 80  # the seeded data is untouched


def test_generator_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command(GenerateSynthetic(), recommendations=5)


def test_generator_script_runs_as_documented(tmp_path):
    """The documented invocation, ``python bench/generate_synthetic.py``, from a clean
    process: it sets Django up itself, and refuses (exit status 1) with DEBUG off."""
    script = str(BENCH.parent / "generate_synthetic.py")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    run = {"capture_output": True, "text": True, "env": env}
    usage = subprocess.run([sys.executable, script, "--help"], **run)
    assert usage.returncode == 0, usage.stderr
    assert "usage: python bench/generate_synthetic.py" in usage.stdout and "--recommendations" in usage.stdout
    env.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="localhost")
    refused = subprocess.run([sys.executable, script, "--recommendations", "5"], **run)
    assert refused.returncode == 1 and "DEBUG is off" in refused.stderr, refused.stderr


def test_benchmark_runs_and_query_counts_do_not_grow(seeded):
    bench = _bench()
    counts = {}
    for n in (50, 500):
        _generate(n, reset=True)
        rows = bench.main(["--smoke"])
        assert [row.name for row in rows] == [item.name for item in bench.items()]
        for row in rows:
            assert row.p50_ms > 0 and row.queries > 0
            assert math.isfinite(row.page_floor) and math.isfinite(row.floor_spread)
            if row.admin_p50_ms is not None:
                assert math.isfinite(row.page_admin)
        export = next(row for row in rows if row.rows is not None)
        assert export.rows == Recommendation.objects.count() and export.rows_per_s > 0 and export.peak_mib >= 0
        counts[n] = {row.name: row.queries for row in rows}
        assert "| Table, unfiltered |" in bench.table(rows)
    assert counts[50] == counts[500]
